"""`make audit`: the dependency audit counts what pip-audit really checked.

pip-audit once printed "No known vulnerabilities found" with 0 packages audited (every package
skipped: no vulnerability database answered). The samples below are pip-audit 2.10 outputs
recorded on this project's machines (trimmed to a few packages); the last tests run the real
pip-audit against a local stand-in for the OSV vulnerability API, and against none at all.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import django
import pytest
from django.core.management import CommandError, call_command

from solidaren import dependency_audit
from solidaren.dependency_audit import CLEAN, NOT_AUDITED, VULNERABLE, read_report

# `pip-audit --local --skip-editable -f json` with the PyPI service, whose JSON API answers
# 404 from these machines: every package skipped, exit status 0, "No known vulnerabilities".
RECORDED_NOTHING_CHECKED = {
    "dependencies": [
        {
            "name": "amqp",
            "skip_reason": "Dependency not found on PyPI and could not be audited: amqp (5.4.2)",
        },
        {
            "name": "django",
            "skip_reason": "Dependency not found on PyPI and could not be audited: django (5.2.19)",
        },
        {
            "name": "weasyprint",
            "skip_reason": "Dependency not found on PyPI and could not be audited: weasyprint "
            "(70.0)",
        },
        {"name": "solidaren", "skip_reason": "distribution marked as editable"},
    ],
    "fixes": [],
}
RECORDED_NOTHING_CHECKED_STDERR = "No known vulnerabilities found\n"

# The same command with the OSV service, unreachable: a traceback and no JSON, exit status 1.
RECORDED_UNREACHABLE_STDERR = """Traceback (most recent call last):
  File ".venv/lib/python3.11/site-packages/requests/adapters.py", line 729, in send
    raise ConnectionError(e, request=request)
requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.osv.dev', port=443): Max \
retries exceeded with url: /v1/query (Caused by NameResolutionError("HTTPSConnection(host='api.\
osv.dev', port=443): Failed to resolve 'api.osv.dev' ([Errno -2] Name or service not known)"))
"""

# With an OSV database answering (the local stand-in below): three packages checked, one of
# them with a known vulnerability, exit status 1.
RECORDED_CHECKED = {
    "dependencies": [
        {"name": "amqp", "version": "5.4.2", "vulns": []},
        {
            "name": "django",
            "version": "5.2.19",
            "vulns": [
                {
                    "id": "CVE-2026-00001",
                    "fix_versions": ["5.2.20"],
                    "aliases": ["GHSA-test-0001"],
                    "description": "Test vulnerability",
                }
            ],
        },
        {"name": "weasyprint", "version": "70.0", "vulns": []},
        {"name": "solidaren", "skip_reason": "distribution marked as editable"},
    ],
    "fixes": [],
}


def without_vulnerabilities(report: dict) -> dict:
    dependencies = [
        {**dependency, "vulns": []} if "vulns" in dependency else dependency
        for dependency in report["dependencies"]
    ]
    return {**report, "dependencies": dependencies}


def printed(outcome: dependency_audit.AuditOutcome, service: str = "osv") -> str:
    return "\n".join([*outcome.report(service=service), outcome.verdict()])


def test_nothing_checked_is_not_a_clean_result():
    outcome = read_report(
        json.dumps(RECORDED_NOTHING_CHECKED),
        returncode=0,
        stderr=RECORDED_NOTHING_CHECKED_STDERR,
    )

    assert outcome.exit_code == NOT_AUDITED
    text = printed(outcome, "pypi")
    assert "Packages checked against the pypi vulnerability database: 0 of 3." in text
    assert "NOT done" in text and "This is not a clean result." in text
    assert "No known vulnerability" not in text
    assert "our own editable code: solidaren" in text


def test_an_empty_report_is_not_a_clean_result():
    """pip-audit pointed at an environment with no package (a wrong --path, say)."""
    outcome = read_report(json.dumps({"dependencies": [], "fixes": []}), returncode=0)

    assert outcome.exit_code == NOT_AUDITED
    assert "0 of 0" in printed(outcome)
    assert "NOT done" in outcome.verdict()


def test_an_unreachable_service_is_not_a_clean_result():
    outcome = read_report("", returncode=1, stderr=RECORDED_UNREACHABLE_STDERR)

    assert outcome.exit_code == NOT_AUDITED
    text = printed(outcome)
    assert "Packages checked: 0" in text
    assert "Failed to resolve 'api.osv.dev'" in text
    assert "NOT done" in text


def test_checked_packages_with_a_vulnerability():
    outcome = read_report(json.dumps(RECORDED_CHECKED), returncode=1)

    assert outcome.exit_code == VULNERABLE
    assert outcome.audited == ["amqp 5.4.2", "django 5.2.19", "weasyprint 70.0"]
    text = printed(outcome)
    assert "Packages checked against the osv vulnerability database: 3 of 3." in text
    assert "VULNERABLE: django 5.2.19: CVE-2026-00001" in text
    assert outcome.verdict() == "1 package(s) with known vulnerabilities."


def test_checked_packages_without_vulnerability_are_clean():
    outcome = read_report(json.dumps(without_vulnerabilities(RECORDED_CHECKED)), returncode=0)

    assert outcome.exit_code == CLEAN
    assert "3 of 3" in printed(outcome)
    assert outcome.verdict() == "No known vulnerability in the 3 packages checked."


def test_a_partly_checked_environment_is_incomplete():
    report = without_vulnerabilities(RECORDED_CHECKED)
    report["dependencies"][2] = RECORDED_NOTHING_CHECKED["dependencies"][2]

    outcome = read_report(json.dumps(report), returncode=0)

    assert outcome.exit_code == NOT_AUDITED
    text = printed(outcome)
    assert "2 of 3" in text
    assert "INCOMPLETE: 1 package(s) could not be checked" in text
    assert "weasyprint (70.0)" in text


def test_a_failed_run_with_a_report_but_no_vulnerability_is_not_clean():
    """pip-audit exits 1 only for vulnerabilities: 1 without any means it failed."""
    outcome = read_report(
        json.dumps(without_vulnerabilities(RECORDED_CHECKED)),
        returncode=1,
        stderr="ERROR:pip_audit._cli:something went wrong\n",
    )

    assert outcome.exit_code == NOT_AUDITED
    assert "something went wrong" in printed(outcome)


# --- The real pip-audit, against a local stand-in for the OSV API ---------------------------


class FakeOsv(BaseHTTPRequestHandler):
    """Answers OSV's `POST /v1/query`: Django has one vulnerability, nothing else has."""

    queried: list[str]

    def do_POST(self):
        query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        name = query["package"]["name"]
        self.queried.append(name)
        answer = {}
        if name == "django":
            answer = {
                "vulns": [
                    {
                        "id": "GHSA-test-0001",
                        "aliases": ["CVE-2026-00001"],
                        "summary": "Test vulnerability",
                        "affected": [
                            {
                                "package": {"name": "django", "ecosystem": "PyPI"},
                                "ranges": [
                                    {
                                        "type": "ECOSYSTEM",
                                        "events": [{"introduced": "0"}, {"fixed": "99.0"}],
                                    }
                                ],
                            }
                        ],
                    }
                ]
            }
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_osv():
    handler = type("Handler", (FakeOsv,), {"queried": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/v1/query", handler.queried
    server.shutdown()
    server.server_close()


def audit(*args: str) -> tuple[str, CommandError | None]:
    out = StringIO()
    try:
        call_command("audit_dependencies", *args, stdout=out)
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


def test_make_audit_counts_what_the_database_answered(fake_osv, tmp_path):
    url, queried = fake_osv

    output, error = audit(
        "--service", "osv", "--osv-url", url, "--cache-dir", str(tmp_path), "--timeout", "30"
    )

    assert error is not None and error.returncode == VULNERABLE
    assert len(queried) > 50  # the whole virtualenv, one question per package
    assert f"database: {len(queried)} of {len(queried)}." in output
    assert f"VULNERABLE: django {django.get_version()}: CVE-2026-00001" in output
    assert "our own editable code: solidaren" in output
    assert "solidaren" not in queried


def test_make_audit_fails_plainly_when_no_database_answers(tmp_path):
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/v1/query"

    output, error = audit("--service", "osv", "--osv-url", closed, "--cache-dir", str(tmp_path))

    assert error is not None and error.returncode == NOT_AUDITED
    assert "Packages checked: 0" in output
    assert "NOT done" in str(error) and "This is not a clean result." in str(error)
    assert "No known vulnerability" not in output + str(error)
