"""`make bench`: the portal at two data sizes, printed as a table and saved as JSON
(solidaren/bench.py says what is measured and how)."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from solidaren import bench


class Command(BaseCommand):
    help = (
        "Builds scale data in databases of its own (PostgreSQL when DATABASE_URL names one, "
        "SQLite with a warning otherwise), measures the main pages through gunicorn, the "
        "matching and the documents, prints a table and writes .bench/results.json."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(bench.SCALES), default="full")
        parser.add_argument("--out", default=str(Path(settings.BASE_DIR) / ".bench"))
        # Internal: what the parent asks a child process to measure on one database.
        parser.add_argument("--child", choices=["in_process", "documents"], help="(interne)")
        parser.add_argument("--options", default="{}", help="(interne)")

    def handle(self, *args, scale, out, child, options, **rest):
        if child:
            self.stdout.write(json.dumps(self._child(child, json.loads(options))))
            return
        try:
            results = bench.run(scale, out=Path(out), log=self.stdout.write)
        except (RuntimeError, OSError) as error:
            raise CommandError(f"Mesure interrompue : {error}") from error
        self.stdout.write("")
        self.stdout.write(bench.table(results))
        self.stdout.write(f"\nRésultats : {Path(out) / 'results.json'}")

    def _child(self, action: str, options: dict) -> dict:
        if action == "documents":
            return bench.documents_figures(options["renders"])
        queries, urls, cookies = bench.query_counts()
        missions, volunteers = options["batch"]
        return {
            "queries": queries,
            "urls": urls,
            "cookies": cookies,
            "top10": bench.top_candidates_ms(),
            "batch": bench.batch_figures(missions, volunteers),
        }
