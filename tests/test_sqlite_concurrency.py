"""The SQLite demo under simultaneous requests: no "database is locked" 500.

pytest-django's `live_server` uses an in-memory database, which cannot show file locking, so
these tests run the demo's own server (`manage.py runserver`, one thread per request) as a
separate process over a SQLite file made with `migrate` in a temporary folder, whatever
database the rest of the suite uses. Requests are released together by a barrier.

Before the fix (deferred transactions, rollback journal) the same race answered 500s: a
request's transaction started as a reader and failed at once ("database is locked") when it
tried to write after another request had. `test_the_race_is_real_with_the_former_settings`
keeps that proof: the same requests against the former settings lose at least one to a 500.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import free_port

# The demo server is another process, on the real clock: so are the rows made for it.
pytestmark = pytest.mark.real_clock

BASE_DIR = Path(__file__).resolve().parent.parent
LAST_PLACE = "la dernière place de cette mission vient d'être prise"

# Runs in `manage.py shell` over a new SQLite file: migrates it, then adds a call for
# volunteers with two places and ten volunteers able to take it, each with a logged-in session.
BOOTSTRAP = """
import json
from django.core.management import call_command
from django.test import Client
call_command("migrate", "--noinput", verbosity=0)
from tests.factories import MissionFactory, MissionTypeFactory, ProgrammeFactory
from tests.test_volontaires_volunteer import make_volunteer, next_weekday
programme = ProgrammeFactory()
sorting = MissionTypeFactory()
mission = MissionFactory(programme=programme, mission_type=sorting, places=2, date=next_weekday(5))
sessions = []
for _ in range(10):
    client = Client()
    client.force_login(make_volunteer(programme, [sorting]).user)
    sessions.append(client.cookies["sessionid"].value)
print(json.dumps({"mission": mission.pk, "sessions": sessions}))
"""

# The settings as they were before: deferred transactions, rollback journal, busy timeout.
FORMER_SETTINGS = """
from solidaren.settings import *  # noqa: F403

DATABASES["default"]["OPTIONS"] = {"timeout": 20}  # noqa: F405
"""


@dataclass
class DemoServer:
    """`manage.py runserver` over its own SQLite file."""

    data_dir: Path
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database(self) -> Path:
        return self.data_dir / "solidaren.sqlite3"

    def manage(self, *args: str, **env: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env | env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def start(self) -> None:
        self.log = (self.data_dir / "runserver.log").open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "runserver",
                f"127.0.0.1:{self.port}",
                "--noreload",
                "--skip-checks",  # `manage.py check` has its own tests
            ],
            cwd=BASE_DIR,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=5) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise AssertionError("the demo server did not start: " + self.log_text())

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.log.close()

    def log_text(self) -> str:
        return (self.data_dir / "runserver.log").read_text()

    def count(self, sql: str, *params) -> int:
        with sqlite3.connect(self.database) as db:
            return db.execute(sql, params).fetchone()[0]


def demo_env(data_dir: Path, **overrides: str) -> dict[str, str]:
    """The embedded demo's environment: SQLite file, in-process tasks, local cache."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    return env | {"DEBUG": "1", "DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"} | overrides


class Browser:
    """One person's cookies; redirects are not followed, so each answer is seen as sent."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, server: DemoServer, session: str | None = None) -> None:
        self.server = server
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), self.NoRedirect
        )
        if session:
            self.cookies.set_cookie(make_cookie("sessionid", session))

    def get(self, path: str) -> tuple[int, str, str]:
        return self._send(urllib.request.Request(self.server.url + path))

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode()
        return self._send(urllib.request.Request(self.server.url + path, data=body))

    def _send(self, request) -> tuple[int, str, str]:
        try:
            with self.opener.open(request, timeout=120) as answer:
                return answer.status, answer.headers.get("Location", ""), answer.read().decode()
        except urllib.error.HTTPError as answer:
            return answer.code, answer.headers.get("Location", ""), answer.read().decode()

    def csrf_token(self, path: str) -> str:
        status, _, page = self.get(path)
        assert status == 200, (path, status)
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def make_cookie(name: str, value: str) -> http.cookiejar.Cookie:
    return http.cookiejar.Cookie(
        0, name, value, None, False, "127.0.0.1", False, False, "/", True,
        False, None, False, None, None, {},
    )  # fmt: skip


def all_at_once(count: int, work) -> list:
    """Runs `work(index)` in `count` threads released at the same instant."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as error:  # collected, asserted by the test
            results[index] = error

    threads = [threading.Thread(target=target, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    return results


@dataclass
class DemoData:
    database: Path
    mission: int
    sessions: list[str]


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory) -> DemoData:
    """A migrated SQLite file with the call and its volunteers; each server gets a copy."""
    data_dir = tmp_path_factory.mktemp("sqlite-demo")
    output = DemoServer(data_dir, demo_env(data_dir)).manage("shell", "-c", BOOTSTRAP)
    setup = json.loads(output.strip().splitlines()[-1])
    return DemoData(data_dir / "solidaren.sqlite3", setup["mission"], setup["sessions"])


def copy_database(demo_data: DemoData, data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    with (
        sqlite3.connect(demo_data.database) as source,
        sqlite3.connect(data_dir / demo_data.database.name) as copy,
    ):
        source.backup(copy)


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory, demo_data):
    """The demo server with the portal's settings, over a copy of the demo data."""
    data_dir = tmp_path_factory.mktemp("sqlite-server")
    copy_database(demo_data, data_dir)
    server = DemoServer(data_dir, demo_env(data_dir))
    server.start()
    yield server
    server.stop()


def apply_together(server: DemoServer, demo_data: DemoData) -> tuple[list, list]:
    """The ten volunteers post "je m'inscris" on the two-place call at the same instant."""
    path = f"/volontaires/missions/{demo_data.mission}/"
    browsers = [Browser(server, session) for session in demo_data.sessions]
    tokens = [browser.csrf_token(path) for browser in browsers]

    def apply(index: int):
        return browsers[index].post(path + "inscription/", {"csrfmiddlewaretoken": tokens[index]})

    return browsers, all_at_once(len(browsers), apply)


def test_simultaneous_applications_for_the_last_places_answer_no_500(demo_server, demo_data):
    """Ten volunteers take the two places of a call at the same instant: two get them, the
    eight others the French "last place" message, and no request fails."""
    browsers, answers = apply_together(demo_server, demo_data)

    assert not [a for a in answers if isinstance(a, Exception)], answers
    assert [status for status, _, _ in answers] == [302] * 10, demo_server.log_text()[-3000:]
    mission_page = f"/volontaires/missions/{demo_data.mission}/"
    losers = [
        browser
        for browser, (_, location, _) in zip(browsers, answers, strict=True)
        if location != mission_page
    ]
    assert len(losers) == 8
    for browser, (_, location, _) in zip(browsers, answers, strict=True):
        if browser in losers:
            _, _, page = browser.get(location)
            assert LAST_PLACE in page.replace("&#x27;", "'")
    accepted = demo_server.count(
        "SELECT COUNT(*) FROM volontaires_assignment WHERE mission_id = ? AND status = ?",
        demo_data.mission,
        "acceptee",
    )
    assert accepted == 2
    assert "database is locked" not in demo_server.log_text()


def test_simultaneous_sign_ups_answer_no_500(demo_server):
    """Eight people create their account at the same instant: eight accounts, no 500."""
    browsers = [Browser(demo_server) for _ in range(8)]
    tokens = [browser.csrf_token("/comptes/signup/") for browser in browsers]

    def sign_up(index: int):
        return browsers[index].post(
            "/comptes/signup/",
            {
                "csrfmiddlewaretoken": tokens[index],
                "email": f"simultane-{index}@exemple.fr",
                "password1": "Une phrase de passe solide 2026",
                "password2": "Une phrase de passe solide 2026",
            },
        )

    answers = all_at_once(len(browsers), sign_up)

    assert not [a for a in answers if isinstance(a, Exception)], answers
    assert [status for status, _, _ in answers] == [302] * 8, demo_server.log_text()[-3000:]
    created = demo_server.count(
        "SELECT COUNT(*) FROM solidaren_user WHERE email LIKE ?", "simultane-%"
    )
    assert created == 8
    assert "database is locked" not in demo_server.log_text()


def test_the_race_is_real_with_the_former_settings(tmp_path, demo_data):
    """The proof that the tests above can fail: the same applications, served with the
    former database options (deferred transactions, rollback journal), get 500s."""
    (tmp_path / "former_settings.py").write_text(FORMER_SETTINGS)
    copy_database(demo_data, tmp_path / "data")
    with sqlite3.connect(tmp_path / "data" / demo_data.database.name) as db:
        db.execute("PRAGMA journal_mode=DELETE")  # as the file was before WAL
    pythonpath = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    server = DemoServer(
        tmp_path / "data",
        demo_env(
            tmp_path / "data", DJANGO_SETTINGS_MODULE="former_settings", PYTHONPATH=pythonpath
        ),
    )
    server.start()
    try:
        _, answers = apply_together(server, demo_data)
    finally:
        server.stop()

    statuses = [a if isinstance(a, Exception) else a[0] for a in answers]
    assert 500 in statuses, statuses
    assert "database is locked" in server.log_text()
