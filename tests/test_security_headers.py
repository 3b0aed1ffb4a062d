"""Security headers on every kind of response, pages free of inline code, and Django's
deployment checks with the production settings.

The Content-Security-Policy forbids inline scripts and styles: the second half of this file
reads the HTML of the portal's and the back-office's pages and fails on any inline `<script>`,
`<style>`, `style=` or `on…=` attribute, which the browser would refuse (and which a headless
browser showed as CSP violations before the back-office templates were overridden).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib import admin
from django.urls import reverse

from conventions import documents
from conventions.models import DocumentBatch
from tests.factories import (
    CommitmentFactory,
    ConventionFactory,
    FunderFactory,
    MissionFactory,
    ProgrammeFactory,
    UserFactory,
    give_totp,
)

BASE_DIR = Path(__file__).resolve().parent.parent

EXPECTED_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}
DENIED_FEATURES = ["camera", "microphone", "geolocation", "payment", "usb"]


def csp_directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_security_headers(response) -> None:
    directives = csp_directives(response)
    for name, values in EXPECTED_CSP.items():
        assert directives.get(name) == values, (name, directives)
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
    permissions = dict(
        item.strip().split("=", 1) for item in response.headers["Permissions-Policy"].split(",")
    )
    for feature in DENIED_FEATURES:
        assert permissions[feature] == "()", feature
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.fixture
def superuser(db):
    user = UserFactory(email="admin@ville.example.fr", is_staff=True, is_superuser=True)
    give_totp(user)  # superusers need TOTP to open any page (solidaren.two_factor)
    return user


# --- The headers on each kind of response --------------------------------------------------


@pytest.mark.django_db
def test_a_portal_page_has_the_security_headers(client):
    response = client.get(reverse("associations:list"))

    assert response.status_code == 200
    assert_security_headers(response)


@pytest.mark.django_db
def test_an_allauth_page_has_the_security_headers(client):
    response = client.get(reverse("account_login"))

    assert response.status_code == 200
    assert_security_headers(response)


def test_back_office_pages_have_the_security_headers(client, agent):
    """The back-office login (wherever it leads), and its index once logged in."""
    login_page = client.get(reverse("admin:login"), follow=True)
    client.force_login(agent)
    index = client.get(reverse("admin:index"))

    assert (login_page.status_code, index.status_code) == (200, 200)
    assert_security_headers(login_page)
    assert_security_headers(index)


@pytest.mark.django_db
def test_the_404_page_has_the_security_headers(client):
    response = client.get("/cette-page-n-existe-pas/")

    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()
    assert_security_headers(response)


@pytest.mark.django_db
def test_a_json_endpoint_has_the_security_headers(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert_security_headers(response)


def test_htmx_is_told_not_to_inject_its_indicator_styles(client, db):
    """htmx adds a <style> element for its indicators unless its config meta says no."""
    content = client.get(reverse("home")).content.decode()

    start = content.index('<meta name="htmx-config" content=\'') + len(
        '<meta name="htmx-config" content=\''
    )
    config = json.loads(content[start : content.index("'", start)])
    assert config["includeIndicatorStyles"] is False
    assert content.index('name="htmx-config"') < content.index("js/htmx.min.js")


# --- No inline code in the pages (what the policy would refuse) ----------------------------


class InlineCodeFinder(HTMLParser):
    """Collects what a `script-src 'self'; style-src 'self'` policy refuses in a page."""

    DATA_SCRIPT_TYPES = {"application/json", "application/ld+json", "text/template"}

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._open_script: str | None = None
        self._script_text = ""

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}={value!r}>")
            if name in {"href", "src", "action"} and (value or "").strip().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}={value!r}>")
        if tag == "style":
            self.found.append("<style> element")
        if tag == "script" and not attributes.get("src"):
            script_type = (attributes.get("type") or "").lower()
            if script_type not in self.DATA_SCRIPT_TYPES:
                self._open_script = f"<script type={script_type!r}>"
                self._script_text = ""

    def handle_data(self, data):
        if self._open_script is not None:
            self._script_text += data

    def handle_endtag(self, tag):
        if tag == "script" and self._open_script is not None:
            if self._script_text.strip():
                self.found.append(f"{self._open_script} {self._script_text.strip()[:60]}")
            self._open_script = None


def inline_code_in(html: str) -> list[str]:
    finder = InlineCodeFinder()
    finder.feed(html)
    return finder.found


def test_the_inline_code_finder_finds_what_the_policy_refuses():
    page = (
        '<p style="color: red">x</p><style>p {}</style><button onclick="go()">'
        '<script>alert(1)</script><a href="javascript:go()">'
        '<script type="application/json" id="data">{"a": 1}</script><script src="/s.js"></script>'
    )

    assert len(inline_code_in(page)) == 5


@pytest.fixture
def portal_objects(agent):
    """A convention with a commitment (back-office lists, history, export) and a batch of
    documents still waiting (the htmx progress page keeps polling)."""
    convention = ConventionFactory(funders=[FunderFactory()])
    CommitmentFactory(convention=convention, funder=convention.parties.first().funder)
    batch = DocumentBatch.objects.create(label="Documents 2023", created_by=agent)
    document = documents.convention_document(convention)
    document.batch = batch
    document.save(update_fields=["batch"])
    programme = ProgrammeFactory()
    MissionFactory(programme=programme, volunteer_calls=True)
    return convention, batch


def test_portal_pages_carry_no_inline_script_or_style(client, agent, volunteer, portal_objects):
    _, batch = portal_objects
    anonymous_urls = [
        reverse("home"),
        reverse("account_login"),
        reverse("account_signup"),
        reverse("account_reset_password"),
        reverse("associations:list"),
        reverse("volontaires:figures"),
        reverse("personal_data"),
        "/cette-page-n-existe-pas/",
    ]
    agent_urls = [
        reverse("conventions:dashboard"),
        reverse("conventions:document_batch", args=[batch.pk]),
        reverse("volontaires:staff_missions"),
    ]
    volunteer_urls = [reverse("volontaires:profile"), reverse("volontaires:mission_list")]

    pages = {url: client.get(url) for url in anonymous_urls}
    client.force_login(agent)
    pages |= {url: client.get(url) for url in agent_urls}
    client.force_login(volunteer)
    pages |= {url: client.get(url) for url in volunteer_urls}

    assert {url: r.status_code for url, r in pages.items() if r.status_code not in (200, 404)} == {}
    assert 'hx-get="' in pages[agent_urls[1]].content.decode()  # the polling page was seen
    found = {url: inline_code_in(r.content.decode()) for url, r in pages.items()}
    assert {url: items for url, items in found.items() if items} == {}


def test_back_office_pages_carry_no_inline_script_or_style(client, superuser, portal_objects):
    """Every registered model's list and add form, the change form of each object that
    exists, the convention's history and the CSV/Excel export page."""
    convention, _ = portal_objects
    client.force_login(superuser)
    urls = [reverse("admin:index"), reverse("admin:password_change")]
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls.append(reverse(f"{prefix}_changelist"))
        urls.append(reverse(f"{prefix}_add"))
        obj = model._default_manager.first()
        if obj is not None:
            urls.append(reverse(f"{prefix}_change", args=[obj.pk]))
    urls += [
        reverse("admin:conventions_convention_history", args=[convention.pk]),
        reverse("admin:conventions_convention_export"),
        reverse("admin:auth_user_password_change", args=[superuser.pk]),
    ]

    pages = {url: client.get(url) for url in urls}

    # 403: the add forms of what is never typed in (generated documents, logs...).
    assert {r.status_code for r in pages.values()} <= {200, 403}
    opened = {url: r for url, r in pages.items() if r.status_code == 200}
    assert len(opened) > 60
    found = {url: inline_code_in(r.content.decode()) for url, r in opened.items()}
    assert {url: items for url, items in found.items() if items} == {}


def test_the_export_page_select_all_box_is_wired_from_a_static_script(client, superuser, db):
    client.force_login(superuser)
    content = client.get(reverse("admin:conventions_convention_export")).content.decode()

    assert 'id="select-all-toggle"' in content
    assert "js/back-office-export.js" in content
    script = (BASE_DIR / "static" / "js" / "back-office-export.js").read_text()
    assert ".select-toggle" in script and "addEventListener" in script


# --- Production settings: check --deploy, HSTS and secure cookies --------------------------


def production_env(**overrides: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64)[:50],
        "ALLOWED_HOSTS": "solidaren.example.org",
    }
    for name in [
        "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
    ]:
        env.pop(name, None)
    return env | overrides


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_fails_on_no_warning_with_production_settings():
    """What CI runs (.ci/run): any warning of `check --deploy` fails it."""
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_deploy_check_does_fail_on_a_weakened_setting():
    """The same command catches a deployment that turns HSTS off (security.W004)."""
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env=production_env(SECURE_HSTS_SECONDS="0"),
    )

    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr


# Runs inside `manage.py shell` with DEBUG=0. Only the static files storage is swapped (the
# manifest of hashed names exists after collectstatic, which this probe does not need).
PRODUCTION_RESPONSE_PROBE = """
import json
from django.conf import settings
from django.test import Client, override_settings
storages = {**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
with override_settings(STORAGES=storages):
    client = Client(HTTP_HOST="solidaren.example.org")
    plain = client.get("/comptes/login/")
    secure = client.get("/comptes/login/", secure=True)
csrf = secure.cookies["csrftoken"]
print(json.dumps({
    "plain_status": plain.status_code,
    "plain_location": plain.headers.get("Location"),
    "status": secure.status_code,
    "hsts": secure.headers.get("Strict-Transport-Security"),
    "csp": secure.headers.get("Content-Security-Policy"),
    "permissions": secure.headers.get("Permissions-Policy"),
    "csrf_cookie_secure": bool(csrf["secure"]),
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "session_cookie_httponly": settings.SESSION_COOKIE_HTTPONLY,
}))
"""


def test_production_settings_send_hsts_and_secure_cookies(tmp_path):
    """A request through the production settings (DEBUG=0): HTTP is redirected to HTTPS,
    HSTS is sent for a year with subdomains, the CSRF cookie is Secure, the session cookie
    Secure and HttpOnly, and the CSP and Permissions-Policy are there too."""
    env = production_env(DATA_DIR=str(tmp_path))
    result = run_manage("shell", "-c", PRODUCTION_RESPONSE_PROBE, env=env)

    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["plain_status"] == 301
    assert probe["plain_location"] == "https://solidaren.example.org/comptes/login/"
    assert probe["status"] == 200
    assert probe["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert "script-src 'self'" in probe["csp"] and "frame-ancestors 'none'" in probe["csp"]
    assert "camera=()" in probe["permissions"]
    assert probe["csrf_cookie_secure"] is True
    assert probe["session_cookie_secure"] is True
    assert probe["session_cookie_httponly"] is True
