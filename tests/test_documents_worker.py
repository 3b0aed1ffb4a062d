"""A worker killed while it renders: the task comes back and exactly one document is stored."""

import os
import signal
import time
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from conventions import documents
from conventions.models import DocumentStatus, GeneratedDocument
from conventions.tasks import generate_document
from tests.conftest import start_worker
from tests.factories import CommitmentFactory, ConventionFactory, FunderFactory


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not reached in time")


def other_connection() -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db.get("PASSWORD") or None,
        dbname=db["NAME"],
    )


@pytest.mark.real_broker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_render_is_replaced_and_one_document_is_stored(tmp_path, settings):
    """GIVEN a prefork worker rendering a convention WHEN its process is killed (SIGKILL)
    THEN Celery re-delivers the task (acks_late + reject_on_worker_lost) to a new process,
    and the convention ends with one document and one file."""
    ville = FunderFactory(name="Ville de Rennes")
    convention = ConventionFactory(funders=[ville])
    CommitmentFactory(convention=convention, funder=ville, year=2024, amount=Decimal("12500"))
    document = documents.convention_document(convention)

    with start_worker(tmp_path, pool="prefork") as worker:
        # Hold the convention's row: the worker renders, then waits for it to store the file.
        blocker = other_connection()
        blocker.execute(
            "SELECT id FROM conventions_convention WHERE id = %s FOR UPDATE", [convention.pk]
        )
        result = generate_document.apply_async(args=[document.pk], queue=worker.queue)

        def rendering_pid():
            row = (
                GeneratedDocument.objects.filter(
                    pk=document.pk, status=DocumentStatus.RUNNING, attempts=1
                )
                .values_list("worker", flat=True)
                .first()
            )
            return int(row.rsplit(":", 1)[1]) if row else None

        pid = wait_for(rendering_pid)
        wait_for(
            lambda: (
                blocker.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                ).fetchone()[0]
                > 0
            )
        )  # the PDF is rendered; the worker waits to store it

        os.kill(pid, signal.SIGKILL)
        blocker.rollback()
        blocker.close()

        finished = wait_for(
            lambda: GeneratedDocument.objects.filter(
                pk=document.pk, status=DocumentStatus.DONE
            ).first(),
            timeout=90,
        )
        result.get(timeout=30)

    log = worker.log_path.read_text()
    assert "WorkerLostError" in log or "SIGKILL" in log, log[-3000:]
    assert finished.attempts == 2
    assert int(finished.worker.rsplit(":", 1)[1]) != pid  # a new process did it
    assert GeneratedDocument.objects.filter(convention=convention).count() == 1
    files = sorted(Path(settings.MEDIA_ROOT).rglob("*.pdf"))
    assert files == [Path(finished.file.path)]
    assert files[0].read_bytes().startswith(b"%PDF-")
