"""End-to-end journeys in a real browser (Debian's Chromium driven by Playwright) against the
demo's own server (`manage.py runserver` on a fresh SQLite file loaded with `load_demo`).

Every page a journey visits goes through `Checker.check`: axe-core (vendored under assets/,
with its licence) for the WCAG 2.0/2.1 A and AA rules, and the document's width compared with
the viewport, at 390 px (a phone) and at 1,280 px (a desktop). `make e2e` prints the totals.
Screenshots of the key screens go to data/e2e/screenshots/ (git-ignored).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import free_port

BASE_DIR = Path(__file__).resolve().parents[2]
ASSETS = Path(__file__).resolve().parent / "assets"
OUTPUT = BASE_DIR / "data" / "e2e"
SCREENSHOTS = OUTPUT / "screenshots"
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}
NARROW_PHONE = {"width": 360, "height": 740}
WIDTH = "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
DESKTOP = {"width": 1280, "height": 900}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
DEMO_PASSWORD = "solidaren-demo"


@dataclass
class Portal:
    """The demo portal served by `manage.py runserver` on its own data folder."""

    data_dir: Path
    port: int
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "emails"

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def run(self, code: str) -> dict:
        """Runs Python in the portal's Django (setting up what a journey needs that another
        person would do elsewhere); the code prints one JSON object as its last line."""
        return json.loads(self.manage("shell", "-c", code).strip().splitlines()[-1])

    def start(self) -> None:
        self.log = (self.data_dir / "runserver.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
            cwd=BASE_DIR,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=5):
                    return
            except urllib.error.HTTPError:
                return  # answers (the broker check may say 503 in the demo)
            except OSError:
                time.sleep(0.3)
        raise AssertionError("the demo server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.log.close()

    def mails(self) -> list[str]:
        if not self.mail_dir.exists():
            return []
        return [path.read_text() for path in sorted(self.mail_dir.iterdir(), key=os.path.getmtime)]


@pytest.fixture(scope="session")
def portal(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("e2e-portal")
    port = int(os.environ.get("E2E_PORT") or free_port())
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env |= {
        "DATA_DIR": str(data_dir),
        "SITE_URL": f"http://127.0.0.1:{port}",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(data_dir / "emails"),
        "PYTHONUNBUFFERED": "1",
    }
    server = Portal(data_dir=data_dir, port=port, env=env)
    server.manage("migrate", "--noinput", "-v0")
    server.manage("load_demo")
    server.start()
    yield server
    server.stop()


@dataclass
class PageCheck:
    name: str
    viewport: int
    width: int
    violations: list[dict]
    small_targets: list[str] = field(default_factory=list)


# Buttons and fields of the portal's pages under 44 × 44 px on a phone (links inside text are
# exempt, as in WCAG 2.5.8; the back-office is Django's own admin and is used on a desktop).
TARGETS = (
    "main button, main select, main textarea, header button, header select, .main-nav a, "
    "main input:not([type=hidden]):not([type=checkbox]):not([type=radio])"
)
SMALL_TARGETS = """(selector) => [...document.querySelectorAll(selector)]
  .filter(e => e.offsetParent !== null && !document.querySelector('#site-name'))
  .map(e => [e, e.getBoundingClientRect()])
  .filter(([e, r]) => r.height < 43.5 || r.width < 43.5)
  .map(([e, r]) => `${e.tagName.toLowerCase()}[name=${e.name || ''}] `
                   + `${Math.round(r.width)}×${Math.round(r.height)}`)"""


@dataclass
class Checker:
    """Runs axe-core and measures the document's width on each page, at both viewports."""

    checks: list[PageCheck] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # measurements the journeys report
    narrow_widths: list[tuple[str, int]] = field(default_factory=list)  # at 360 px
    axe_source: str = field(default_factory=lambda: (ASSETS / "axe.min.js").read_text())

    def check(self, page, name: str, *, screenshot: bool = False) -> None:
        current = page.viewport_size
        # The narrowest phones the layout is made for: the width only.
        page.set_viewport_size(NARROW_PHONE)
        page.wait_for_timeout(50)
        narrow = page.evaluate(WIDTH)
        self.narrow_widths.append((name, narrow))
        for viewport in (PHONE, DESKTOP):
            page.set_viewport_size(viewport)
            page.wait_for_timeout(50)
            if not page.evaluate("typeof window.axe !== 'undefined'"):
                page.add_script_tag(content=self.axe_source)
            result = page.evaluate(
                """async (tags) => {
                    const run = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                                         resultTypes: ['violations']});
                    return run.violations.map(v => ({id: v.id, impact: v.impact,
                        help: v.help, targets: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
                }""",
                AXE_TAGS,
            )
            width = page.evaluate(WIDTH)
            small = page.evaluate(SMALL_TARGETS, TARGETS) if viewport is PHONE else []
            self.checks.append(PageCheck(name, viewport["width"], width, result, small))
            if screenshot:
                folder = OUTPUT / "screenshots"
                folder.mkdir(parents=True, exist_ok=True)
                page.screenshot(
                    path=str(folder / f"{name}-{viewport['width']}.png"), full_page=True
                )
                # The first screen only, as a person sees it (the README's images).
                page.screenshot(path=str(folder / f"{name}-{viewport['width']}-ecran.png"))
        page.set_viewport_size(current)

    def problems(self) -> list[str]:
        return self.problems_since(0)

    def problems_since(self, first: int) -> list[str]:
        found = [
            f"{name} @360px: {width}px wide"
            for name, width in self.narrow_widths[first // 2 :]
            if width > NARROW_PHONE["width"]
        ]
        for check in self.checks[first:]:
            if check.width > check.viewport:
                found.append(f"{check.name} @{check.viewport}px: {check.width}px wide")
            if check.small_targets:
                found.append(
                    f"{check.name} @{check.viewport}px: targets under 44 px: "
                    + ", ".join(check.small_targets[:5])
                )
            for violation in check.violations:
                found.append(
                    f"{check.name} @{check.viewport}px: axe {violation['id']} "
                    f"({violation['impact']}) {violation['help']} {violation['targets']}"
                )
        return found

    def summary(self) -> list[str]:
        phone = [check for check in self.checks if check.viewport == PHONE["width"]]
        pages = {check.name for check in self.checks}
        violations = sum(len(check.violations) for check in self.checks)
        widest = max(phone, key=lambda check: check.width, default=None)
        return [
            *self.notes,
            f"e2e: {len(pages)} pages checked at {len({c.viewport for c in self.checks})} "
            f"viewports (390 px and 1,280 px): {len(self.checks)} page × viewport checks",
            f"e2e: axe-core violations (wcag2a, wcag2aa, wcag21a, wcag21aa): {violations}",
            "e2e: buttons and fields under 44 × 44 px at 390 px: "
            + str(sum(len(check.small_targets) for check in phone)),
            "e2e: widest page at 390 px: "
            + (f"{widest.width} px ({widest.name})" if widest else "none"),
            "e2e: widest page at 360 px: "
            + str(max((width for _name, width in self.narrow_widths), default=0))
            + " px",
        ]


_CHECKER = Checker()


@pytest.fixture(scope="session")
def checker():
    return _CHECKER


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium chromium-driver")
    with sync_playwright() as playwright:
        # Browser downloads are impossible here: Debian's Chromium only.
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield browser
        browser.close()


def _context(browser, portal, viewport):
    # axe is injected as a script: the portal's Content-Security-Policy would refuse it.
    context = browser.new_context(
        base_url=portal.url,
        viewport=viewport,
        bypass_csp=True,
        locale="fr-FR",
        accept_downloads=True,
    )
    context.set_default_timeout(20_000)
    return context


@pytest.fixture
def phone(browser, portal):
    context = _context(browser, portal, PHONE)
    yield context.new_page()
    context.close()


@pytest.fixture
def desktop(browser, portal):
    context = _context(browser, portal, DESKTOP)
    yield context.new_page()
    context.close()


def pytest_terminal_summary(terminalreporter):
    if _CHECKER.checks:
        for line in _CHECKER.summary():
            terminalreporter.write_line(line)
        (OUTPUT).mkdir(parents=True, exist_ok=True)
        (OUTPUT / "summary.txt").write_text("\n".join(_CHECKER.summary()) + "\n")
        for problem in _CHECKER.problems():
            terminalreporter.write_line("e2e problem: " + problem)


def copy_screenshot(name: str, target: str) -> None:
    """With E2E_README_SCREENSHOTS=1, refreshes a screenshot of the README (static/readme/)."""
    source = OUTPUT / "screenshots" / name
    if os.environ.get("E2E_README_SCREENSHOTS") == "1" and source.exists():
        folder = BASE_DIR / "static" / "readme"
        folder.mkdir(exist_ok=True)
        shutil.copyfile(source, folder / target)


def render_first_page(pdf: bytes, name: str) -> None:
    """The PDF's first page as an image among the screenshots, when poppler's pdftoppm is
    installed (Chromium cannot screenshot its PDF viewer headless)."""
    folder = OUTPUT / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.pdf").write_bytes(pdf)
    if shutil.which("pdftoppm"):
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "80",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(folder / f"{name}.pdf"),
                str(folder / name),
            ],
            check=True,
            timeout=60,
        )
