import uuid

from celery.exceptions import TimeoutError as CeleryTimeoutError
from django.core.management.base import BaseCommand, CommandError

from solidaren.tasks import ping


class Command(BaseCommand):
    help = "Sends a task through the broker and waits for a Celery worker to answer it."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=20.0)

    def handle(self, *args, timeout: float, **options):
        token = uuid.uuid4().hex
        try:
            answer = ping.delay(token).get(timeout=timeout)
        except CeleryTimeoutError:
            raise CommandError(f"No worker answered within {timeout:g} s.") from None
        if answer["token"] != token:
            raise CommandError("A worker answered with another token.")
        self.stdout.write(self.style.SUCCESS(f"Worker answered (database: {answer['database']})."))
