"""Shared fixtures: the personas of the portal and the switches between eager and real Celery.

Personas: `agent` (city staff), `coordinator_a` / `coordinator_b` (coordinators of
`association_a` / `association_b`), `volunteer`, `data_protection_officer`.
"""

import datetime
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache

from solidaren.access import DATA_PROTECTION_OFFICER_GROUP
from tests.factories import (
    AssociationFactory,
    MembershipFactory,
    UserFactory,
    VolunteerProfileFactory,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# The suite's clock. Every test runs with time frozen at this instant (then flowing normally),
# so that no test depends on the day it runs: the default is a Wednesday morning in Paris, and
# `make test-dates` runs the date-sensitive tests again at other instants (a Sunday just after
# midnight, when Paris and UTC disagree on the date; a summer evening; a leap day).
# Tests marked `real_clock` keep the real time: they talk to processes time-machine cannot reach
# (a Celery worker, a runserver, Chromium).
TEST_NOW_VARIABLE = "SOLIDAREN_TEST_NOW"
DEFAULT_TEST_NOW = "2026-12-02T10:00:00+01:00"


def suite_now() -> datetime.datetime:
    value = os.environ.get(TEST_NOW_VARIABLE) or DEFAULT_TEST_NOW
    moment = datetime.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise pytest.UsageError(f"{TEST_NOW_VARIABLE} needs a UTC offset, e.g. {DEFAULT_TEST_NOW}")
    return moment


def real_broker_available() -> tuple[bool, str]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return False, "needs a real broker: set CELERY_BROKER_URL (bash .ci/run does)"
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return False, "needs PostgreSQL (DATABASE_URL) so that a worker process shares the test DB"
    return True, ""


def pytest_report_header(config):
    database = settings.DATABASES["default"]
    broker = (
        "in-process (eager tasks)"
        if settings.CELERY_TASK_ALWAYS_EAGER
        else (settings.CELERY_BROKER_URL.split("@")[-1])
    )
    return [
        f"solidaren clock: {suite_now().isoformat()} ({suite_now():%A}; {TEST_NOW_VARIABLE})",
        f"solidaren database: {database['ENGINE'].rsplit('.', 1)[-1]} "
        f"({database.get('HOST') or 'file'} {database['NAME']})",
        f"solidaren broker: {broker}",
    ]


def pytest_collection_modifyitems(config, items):
    available, reason = real_broker_available()
    for item in items:
        if "real_broker" in item.keywords:
            # A worker is another process: it reads the real clock.
            item.add_marker(pytest.mark.real_clock)
            if not available:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _suite_clock(request):
    """Time starts at `suite_now()` for every test and flows from there (see TEST_NOW_VARIABLE).

    A test that needs an exact instant travels again inside (time-machine nests)."""
    if "real_clock" in request.keywords:
        yield
        return
    with time_machine.travel(suite_now(), tick=True):
        yield


@pytest.fixture(autouse=True)
def _test_defaults(request, settings, tmp_path):
    """Fast password hashing, a clean cache (allauth's rate limits), files in a temporary
    folder and eager tasks.

    Tests marked `real_broker` keep the configured broker and talk to a real worker.
    """
    from solidaren.celery import app

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS_IN_BACKGROUND = False  # in-process tasks run in the request: effects at once
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    eager = "real_broker" not in request.keywords
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager or previous
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def page_cache_on(settings):
    """The shared cache's pages and parts on (solidaren/page_cache.py), in this process's
    memory: CI's Redis is used by the rest of the suite."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.PAGE_CACHE_SECONDS = 600


@pytest.fixture
def agent(db):
    return UserFactory(email="agent@ville.example.fr", is_staff=True)


@pytest.fixture
def association_a(db):
    return AssociationFactory(name="Association A", short_name="A", slug="association-a")


@pytest.fixture
def association_b(db):
    return AssociationFactory(name="Association B", short_name="B", slug="association-b")


@pytest.fixture
def coordinator_a(association_a):
    return MembershipFactory(
        association=association_a, user__email="coordination@a.example.fr"
    ).user


@pytest.fixture
def coordinator_b(association_b):
    return MembershipFactory(
        association=association_b, user__email="coordination@b.example.fr"
    ).user


@pytest.fixture
def volunteer(db):
    return VolunteerProfileFactory(user__email="volontaire@exemple.fr").user


# --- permission matrix: the data protection officer persona and the count of cells -----------
# A signed-in user (not staff) in the group that migration volontaires/0006 creates (created
# here too when a test flushed it).


def make_data_protection_officer(**user_fields):
    group, _ = Group.objects.get_or_create(name=DATA_PROTECTION_OFFICER_GROUP)
    user = UserFactory(**user_fields)
    user.groups.add(group)
    return user


@pytest.fixture
def data_protection_officer(db):
    return make_data_protection_officer(email="dpd@ville.example.fr")


def pytest_terminal_summary(terminalreporter):
    """The number of URL × role cells the permission matrix checked (printed without -s)."""
    matrix = sys.modules.get("tests.permission_matrix")
    if matrix is not None:
        matrix.terminal_summary(terminalreporter)


# --- end of the permission matrix block -------------------------------------------------------


@pytest.fixture
def celery_worker_process(tmp_path):
    """A real `celery worker` process on the configured broker, consuming a private queue.

    It uses the test database (same DATABASE_URL, test name) and media folder, so tests using
    it must be `django_db(transaction=True)` for the worker to see their rows.
    """
    with start_worker(tmp_path, pool="solo") as worker:
        yield worker


@contextmanager
def start_worker(tmp_path, *, pool: str, extra_env: dict | None = None, queue: str | None = None):
    from django.db import connection

    extra_env = extra_env or {}
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    database_url = (
        f"postgresql://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    queue = queue or f"test-{uuid.uuid4().hex[:10]}"
    log_path = tmp_path / f"worker-{queue}.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        # Tasks the worker itself sends (outbox sweep, follow-up tasks) stay on its queue.
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        **extra_env,
    }
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "solidaren",
                "worker",
                "--queues",
                queue,
                "--hostname",
                f"{queue}@%h",
                "--pool",
                pool,
                "--concurrency",
                "1",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield SimpleNamespace(queue=queue, process=process, log_path=log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- Task outbox and resilience: a Redis server of the test's own, to stop and restart ------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """A `redis-server` on a free loopback port, without persistence, started by the test:
    outage tests stop, freeze and restart this one, never the machine's shared Redis."""

    def __init__(self, log_path: Path) -> None:
        self.port = free_port()
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        import redis

        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                [
                    *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                    *("--save", "", "--appendonly", "no"),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.exceptions.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)  # in case a test left it frozen
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def freeze(self) -> None:
        """Accepts connections but never answers, like a host that stopped responding."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)


@pytest.fixture
def private_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("needs the redis-server program")
    server = PrivateRedis(tmp_path / "redis.log")
    server.start()
    yield server
    server.stop()
