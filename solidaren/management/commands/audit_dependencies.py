from django.core.management.base import BaseCommand, CommandError

from solidaren import dependency_audit


class Command(BaseCommand):
    help = (
        "Audits the installed Python packages with pip-audit and says how many it could "
        "check; fails when none or not all could be checked, or when one is vulnerable."
    )

    def add_arguments(self, parser):
        parser.add_argument("--service", choices=["pypi", "osv"], default="pypi")
        parser.add_argument("--timeout", type=int, default=15, help="seconds per request")
        parser.add_argument("--osv-url", default="", help="an OSV-compatible API (mirror)")
        parser.add_argument("--cache-dir", default="", help="pip-audit's HTTP cache")

    def handle(self, *args, service: str, timeout: int, osv_url: str, cache_dir: str, **options):
        outcome = dependency_audit.run_pip_audit(
            service=service, timeout=timeout, osv_url=osv_url, cache_dir=cache_dir
        )
        for line in outcome.report(service=service):
            self.stdout.write(line)
        if outcome.exit_code != dependency_audit.CLEAN:
            raise CommandError(outcome.verdict(), returncode=outcome.exit_code)
        self.stdout.write(self.style.SUCCESS(outcome.verdict()))
