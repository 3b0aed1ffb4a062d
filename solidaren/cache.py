"""The cache is optional: Django's Redis cache, answered from local memory while Redis is down.

Why: the cache only holds what may be lost (allauth's rate-limit counters, computed values), so
a Redis outage must not turn logging in, or any page, into a 500. When Redis does not answer
within the socket timeout, the call is answered by a local-memory cache of this process (rate
limits then count per process until Redis is back) and one warning is logged; Redis is tried
again after `retry_after` seconds, so that a page does not wait a socket timeout per cache call.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class FailOpenRedisCache(RedisCache):
    """OPTIONS are those of Django's RedisCache (`socket_timeout`, `socket_connect_timeout`...)
    plus `retry_after` (seconds, default 10)."""

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS", {}))
        self.retry_after = float(options.pop("retry_after", 10))
        super().__init__(server, {**params, "OPTIONS": options})
        self._fallback = LocMemCache(
            f"redis-fallback:{server}",
            {key: value for key, value in params.items() if key != "OPTIONS"},
        )
        self._down_until = 0.0
        self._state_lock = threading.Lock()

    @property
    def redis_available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _redis_failed(self, error: RedisError) -> None:
        with self._state_lock:
            was_up = self._down_until == 0.0
            self._down_until = time.monotonic() + self.retry_after
        if was_up:
            logger.warning(
                "Cache: Redis does not answer (%s: %s); local-memory cache used, Redis tried "
                "again every %g s.",
                error.__class__.__name__,
                error,
                self.retry_after,
            )

    def _redis_answered(self) -> None:
        if self._down_until:
            with self._state_lock:
                self._down_until = 0.0
            logger.warning("Cache: Redis answers again.")

    def _call(self, name: str, *args, **kwargs):
        if self.redis_available:
            try:
                result = getattr(super(), name)(*args, **kwargs)
            except RedisError as error:
                self._redis_failed(error)
            else:
                self._redis_answered()
                return result
        return getattr(self._fallback, name)(*args, **kwargs)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call("get", key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", key, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", key, version)

    def incr(self, key, delta=1, version=None):
        return self._call("incr", key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", keys, version)

    def clear(self):
        self._fallback.clear()
        return self._call("clear")
