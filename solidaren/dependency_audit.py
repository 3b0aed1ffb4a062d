"""The dependency audit behind `make audit`: pip-audit over the installed environment, with
an honest count of what it could check.

pip-audit prints "No known vulnerabilities found" and exits 0 even when it checked nothing:
with no vulnerability database answering, every package is merely "skipped". So its JSON
report is read here and the audit passes only when packages were really checked against a
database and none has a known vulnerability; otherwise it says plainly what happened.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field

# Exit codes of `manage.py audit_dependencies` (and so of `make audit`).
CLEAN = 0
VULNERABLE = 1
NOT_AUDITED = 2

# A whole run, however many packages and however slow the service (seconds).
RUN_TIMEOUT = 900

# pip-audit's skip reason for our own package, installed in editable mode: not on any index.
EDITABLE_SKIP = "distribution marked as editable"


@dataclass(frozen=True)
class AuditOutcome:
    """What one pip-audit run could tell, package by package."""

    audited: list[str] = field(default_factory=list)  # "name version", checked
    vulnerable: dict[str, list[str]] = field(default_factory=dict)  # "name version" -> ids
    unchecked: dict[str, str] = field(default_factory=dict)  # name -> pip-audit's reason
    own_packages: list[str] = field(default_factory=list)  # editable: the project itself
    failure: str = ""  # pip-audit stopped before producing a report

    @property
    def exit_code(self) -> int:
        if self.failure or not self.audited or self.unchecked:
            return NOT_AUDITED
        return VULNERABLE if self.vulnerable else CLEAN

    def verdict(self) -> str:
        """One sentence that cannot be mistaken for a clean result when it is not one."""
        if self.failure or not self.audited:
            return (
                "Dependency audit NOT done: no vulnerability database answered, so no package "
                "was checked. This is not a clean result."
            )
        if self.unchecked:
            return (
                f"Dependency audit INCOMPLETE: {len(self.unchecked)} package(s) could not be "
                "checked. This is not a clean result."
            )
        if self.vulnerable:
            return f"{len(self.vulnerable)} package(s) with known vulnerabilities."
        return f"No known vulnerability in the {len(self.audited)} packages checked."

    def report(self, *, service: str) -> list[str]:
        """The lines printed before the verdict: the count first, then the details."""
        if self.failure:
            return [
                "Packages checked: 0 (pip-audit stopped before checking any package).",
                f"  {self.failure}",
                f"  Is the {service} vulnerability service reachable from this machine?",
            ]
        total = len(self.audited) + len(self.unchecked)
        lines = [
            f"Packages checked against the {service} vulnerability database: "
            f"{len(self.audited)} of {total}."
        ]
        if self.own_packages:
            lines.append(f"  Not audited, our own editable code: {', '.join(self.own_packages)}.")
        for name, reason in sorted(self.unchecked.items())[:10]:
            lines.append(f"  not checked: {reason}" if name in reason else f"  {name}: {reason}")
        if len(self.unchecked) > 10:
            lines.append(f"  ... and {len(self.unchecked) - 10} more not checked.")
        for package, ids in sorted(self.vulnerable.items()):
            lines.append(f"  VULNERABLE: {package}: {', '.join(ids)}")
        return lines


def read_report(stdout: str, *, returncode: int, stderr: str = "") -> AuditOutcome:
    """Reads the JSON that `pip-audit --format json` printed (or explains why there is none)."""
    try:
        data = json.loads(stdout)
        dependencies = data["dependencies"]
    except (ValueError, TypeError, KeyError):
        return AuditOutcome(failure=_last_line(stderr, returncode))

    audited, vulnerable, unchecked, own = [], {}, {}, []
    for dependency in dependencies:
        name = dependency["name"]
        if "skip_reason" in dependency:
            if EDITABLE_SKIP in dependency["skip_reason"]:
                own.append(name)
            else:
                unchecked[name] = dependency["skip_reason"]
            continue
        package = f"{name} {dependency['version']}"
        audited.append(package)
        if dependency.get("vulns"):
            vulnerable[package] = [vuln["id"] for vuln in dependency["vulns"]]
    if returncode not in (0, 1) or (returncode == 1 and not vulnerable):
        # pip-audit exits 1 for vulnerabilities only; anything else is a failed run.
        return AuditOutcome(failure=_last_line(stderr, returncode))
    return AuditOutcome(
        audited=audited, vulnerable=vulnerable, unchecked=unchecked, own_packages=own
    )


def _last_line(stderr: str, returncode: int) -> str:
    """pip-audit's last word (the exception or its message), for the person reading."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else f"pip-audit exited with status {returncode}."


def run_pip_audit(
    *, service: str, timeout: int, osv_url: str = "", cache_dir: str = ""
) -> AuditOutcome:
    """Runs pip-audit on the environment of this interpreter (the project's virtualenv)."""
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "--local",
        "--skip-editable",
        "--format",
        "json",
        "--progress-spinner",
        "off",
        "--vulnerability-service",
        service,
        "--timeout",
        str(timeout),
    ]
    if osv_url:
        command += ["--osv-url", osv_url]
    if cache_dir:
        command += ["--cache-dir", cache_dir]
    try:
        # Fixed arguments, our own interpreter: no shell, no user input.
        result = subprocess.run(  # noqa: S603
            command, capture_output=True, text=True, check=False, timeout=RUN_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        return AuditOutcome(failure=f"pip-audit did not finish within {RUN_TIMEOUT} s.")
    return read_report(result.stdout, returncode=result.returncode, stderr=result.stderr)
