import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from solidaren import outbox


class Command(BaseCommand):
    help = (
        "Sends the tasks the broker has not taken yet and re-queues work left by a worker that "
        "died (what the beat task solidaren.sweep_outbox does every minute)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--min-age",
            type=int,
            default=settings.OUTBOX_SWEEP_AFTER_SECONDS,
            help="only send tasks recorded at least this many seconds ago (default: "
            "OUTBOX_SWEEP_AFTER_SECONDS; 0 sends every pending task now)",
        )

    def handle(self, *args, min_age: int, **options):
        if min_age < 0:
            raise CommandError("--min-age must be 0 or more seconds.")
        result = outbox.sweep(older_than=datetime.timedelta(seconds=min_age))
        recovered = ", ".join(f"{name}: {count}" for name, count in result.recovered.items())
        self.stdout.write(
            f"{result.sent} task(s) sent, {result.pending} still pending, "
            f"{result.purged} old row(s) purged; re-queued: {recovered or 'nothing to check'}."
        )
        if result.broker_error:
            raise CommandError(f"The broker refused the tasks: {result.broker_error}")
