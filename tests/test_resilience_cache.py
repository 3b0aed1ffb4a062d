"""The cache is optional (solidaren/cache.py): with Redis refusing, frozen or stopped, the cache
answers from local memory, logging in works, and Redis is used again once it is back.

Each test uses a Redis of its own (`private_redis`), never the machine's.
"""

from __future__ import annotations

import logging
import time

import pytest
import redis
from django.urls import reverse

from solidaren.cache import FailOpenRedisCache
from tests.conftest import free_port
from tests.factories import PASSWORD


def fail_open_cache(location: str, *, retry_after: float = 30) -> FailOpenRedisCache:
    return FailOpenRedisCache(
        location,
        {
            "OPTIONS": {
                "socket_timeout": 1,
                "socket_connect_timeout": 1,
                "retry_after": retry_after,
            }
        },
    )


def test_while_redis_refuses_the_cache_answers_from_local_memory_and_says_so_once(caplog):
    cache = fail_open_cache(f"redis://127.0.0.1:{free_port()}/1")

    with caplog.at_level(logging.WARNING, logger="solidaren.cache"):
        cache.set("compteur", 1)
        assert cache.incr("compteur") == 2
        assert cache.add("compteur", 5) is False
        assert cache.get_many(["compteur", "absent"]) == {"compteur": 2}
        cache.delete("compteur")
        assert cache.get("compteur", "défaut") == "défaut"

    assert not cache.redis_available  # left alone for `retry_after` seconds
    warnings = [record for record in caplog.records if record.name == "solidaren.cache"]
    assert len(warnings) == 1 and "Redis does not answer" in warnings[0].getMessage()


def test_the_cache_uses_redis_falls_back_while_it_is_stopped_and_returns_to_it(
    private_redis, caplog
):
    cache = fail_open_cache(private_redis.url(1), retry_after=0.2)
    direct = redis.Redis.from_url(private_redis.url(1))

    cache.set("avant", "redis")
    assert direct.exists(cache.make_key("avant")) == 1

    private_redis.stop()
    with caplog.at_level(logging.WARNING, logger="solidaren.cache"):
        cache.set("pendant", "mémoire")
        assert cache.get("pendant") == "mémoire"
        private_redis.start()  # empty: no persistence
        time.sleep(0.3)  # retry_after
        cache.set("après", "redis")

    direct = redis.Redis.from_url(private_redis.url(1))
    assert direct.exists(cache.make_key("après")) == 1
    assert cache.redis_available
    assert "Cache: Redis answers again." in caplog.text


def test_a_frozen_redis_costs_one_socket_timeout_then_is_left_alone(private_redis):
    """A Redis that accepts connections but never answers (SIGSTOP): the first call waits the
    socket timeout (1 s), the next ones are answered at once from local memory."""
    cache = fail_open_cache(private_redis.url(1))
    cache.set("clé", "valeur")  # the connection is open before the freeze
    private_redis.freeze()
    try:
        first_started = time.monotonic()
        assert cache.get("clé") is None  # not in the local cache: a miss, not an error
        first = time.monotonic() - first_started
        next_started = time.monotonic()
        for number in range(50):
            cache.set(f"clé-{number}", number)
        following = time.monotonic() - next_started
    finally:
        private_redis.thaw()

    assert not cache.redis_available
    assert cache.get("clé-49") == 49
    # Not a speed benchmark: without the socket timeout the first call never returns, and
    # without leaving Redis alone each of the 50 calls would wait one more second.
    assert first < 5 and following < 5


@pytest.mark.django_db
def test_logging_in_and_pages_work_with_the_redis_cache_stopped(
    client, settings, private_redis, coordinator_a
):
    """allauth counts login attempts in the cache: with Redis stopped this answered 500."""
    settings.CACHES = {
        "default": {
            "BACKEND": "solidaren.cache.FailOpenRedisCache",
            "LOCATION": private_redis.url(1),
            "OPTIONS": {"socket_timeout": 1, "socket_connect_timeout": 1, "retry_after": 10},
        }
    }
    private_redis.stop()

    response = client.post(
        reverse("account_login"), {"login": coordinator_a.email, "password": PASSWORD}
    )

    assert response.status_code == 302 and response.url == reverse("home")
    for url in [reverse("home"), reverse("conventions:list"), reverse("associations:list")]:
        assert client.get(url).status_code == 200, url
