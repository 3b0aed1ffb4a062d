import time

from django.core.management.base import BaseCommand, CommandError

from conventions import documents
from conventions.models import DocumentStatus, GeneratedDocument


class Command(BaseCommand):
    help = (
        "Queues the PDF of every convention covering a year, of that year's submitted reports "
        "and of the network's annual report; with --wait, prints each file as it is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--wait", action="store_true", help="wait until every file is done")
        parser.add_argument("--timeout", type=float, default=600.0, help="seconds, with --wait")

    def handle(self, *args, year: int, wait: bool, timeout: float, **options):
        if not 2000 <= year <= 2100:
            raise CommandError("--year must be a year such as 2023.")
        batch = documents.queue_batch(
            f"Documents {year} (ligne de commande)",
            [*documents.documents_for_year(year), documents.network_document(year)],
            user=None,
        )
        total = batch.documents.count()
        self.stdout.write(f"{total} document(s) queued (batch {batch.pk}).")
        if not wait:
            return
        reported: set[int] = set()
        deadline = time.monotonic() + timeout
        while len(reported) < total:
            finished = GeneratedDocument.objects.filter(
                batch=batch, status__in=[DocumentStatus.DONE, DocumentStatus.FAILED]
            ).exclude(pk__in=reported)
            for document in finished.order_by("kind", "subject_key"):
                reported.add(document.pk)
                if document.status == DocumentStatus.DONE:
                    self.stdout.write(f"{document.file.path} ({document.page_count} pages)")
                else:
                    self.stderr.write(f"FAILED {document.subject_key}: {document.error}")
            if len(reported) < total:
                if time.monotonic() > deadline:
                    raise CommandError(f"Timed out: {total - len(reported)} document(s) pending.")
                time.sleep(0.5)
        failed = batch.documents.filter(status=DocumentStatus.FAILED).count()
        if failed:
            raise CommandError(f"{failed} document(s) failed.")
