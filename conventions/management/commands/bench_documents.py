"""`make bench`: how long a convention PDF takes, and how much the portal adds to WeasyPrint."""

import logging
import statistics
import time

from django.core.management.base import BaseCommand, CommandError

from conventions import documents
from conventions.models import Convention, DocumentStatus
from conventions.tasks import generate_document


class Command(BaseCommand):
    help = (
        "Times the portal's full generation of every signed convention's PDF (Celery task, "
        "queries, templates, checksum, storage) against WeasyPrint rendering the same HTML "
        "string alone, in one run. Needs the demo data (make bench loads them)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rounds", type=int, default=3)

    def handle(self, *args, rounds: int, **options):
        logging.getLogger("celery.app.trace").setLevel(logging.WARNING)  # one line per task
        conventions = list(Convention.objects.signed().filter(start_date__year=2023))
        if not conventions:
            raise CommandError("No signed 2023 convention: run `manage.py load_demo` first.")
        subjects = [documents.convention_document(convention) for convention in conventions]
        full_times, weasyprint_times = [], []
        for _round in range(rounds):
            for document in subjects:
                document.refresh_from_db()
                if document.file:
                    document.file.delete(save=False)
                document.status = DocumentStatus.QUEUED
                document.inputs_checksum = ""
                document.save()

                started = time.perf_counter()
                generate_document.apply(args=[document.pk]).get()
                full_times.append(time.perf_counter() - started)

                html = documents.render_html(document)
                started = time.perf_counter()
                documents.html_to_pdf(html)
                weasyprint_times.append(time.perf_counter() - started)

        full = statistics.median(full_times)
        alone = statistics.median(weasyprint_times)
        self.stdout.write(
            f"convention PDFs generated: {len(full_times)} "
            f"({len(subjects)} conventions x {rounds} rounds)"
        )
        self.stdout.write(
            f"seconds per convention PDF (portal, full task): {full:.3f} "
            f"(min {min(full_times):.3f}, max {max(full_times):.3f})"
        )
        self.stdout.write(f"seconds per convention PDF (WeasyPrint alone, same HTML): {alone:.3f}")
        self.stdout.write(f"ratio full generation / WeasyPrint alone: {full / alone:.2f}")
