"""`manage.py generate_scale_data --volunteers N --missions M --associations K`."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from solidaren.scale_data import ScaleDataError, generate


class Command(BaseCommand):
    help = (
        "Fills the database with realistic, varied rows at a département's scale (bulk "
        "inserts, progress bar): the Rennes demo data, then N volunteers, M missions with "
        "their assignments and K associations with subsidies. Refuses a database that already "
        "holds scale data."
    )

    def add_arguments(self, parser):
        parser.add_argument("--volunteers", type=int, default=1000)
        parser.add_argument("--missions", type=int, default=2000)
        parser.add_argument("--associations", type=int, default=100)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, volunteers, missions, associations, seed, **options):
        for name, value in (
            ("--volunteers", volunteers),
            ("--missions", missions),
            ("--associations", associations),
        ):
            if value < 0 or value > 2_000_000:
                raise CommandError(f"{name} : un nombre entre 0 et 2 000 000.")
        started = time.perf_counter()
        last = {"label": None}

        def progress(label: str, done: int, total: int) -> None:
            total = max(total, done, 1)
            width = 30
            filled = round(width * done / total)
            bar = "#" * filled + "." * (width - filled)
            end = "\n" if done >= total else ""
            if last["label"] not in (None, label) and not last.get("ended"):
                sys.stderr.write("\n")
            sys.stderr.write(f"\r{label:<16} [{bar}] {done:>9,}/{total:,}{end}")
            sys.stderr.flush()
            last.update(label=label, ended=bool(end))

        try:
            counts = generate(
                volunteers=volunteers,
                missions=missions,
                associations=associations,
                seed=seed,
                progress=progress,
            )
        except ScaleDataError as error:
            raise CommandError(str(error)) from error
        summary = ", ".join(f"{count:,} {name}" for name, count in counts.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Données d'échelle créées en {time.perf_counter() - started:.0f} s : {summary}."
            )
        )
