"""A worker killed while it renders: the task comes back and exactly one document is stored;
the whole worker killed mid-batch: the sweep re-queues its document well before the broker
would (Must show 5b)."""

import datetime
import os
import signal
import time
import uuid
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.urls import reverse

from conventions import documents
from conventions.models import DocumentBatch, DocumentStatus, GeneratedDocument
from conventions.tasks import generate_document
from solidaren import outbox
from solidaren.celery import app
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


@pytest.mark.real_broker
@pytest.mark.django_db(transaction=True)
def test_the_whole_worker_killed_mid_batch_its_documents_are_requeued_and_done_once(
    client, tmp_path, settings, private_redis, agent
):
    """GIVEN a batch of a year's documents and a worker (parent and child) SIGKILLed while a
    document is "en cours" THEN the broker keeps that task unacknowledged until its visibility
    timeout (1 h), but the sweep re-queues the document once it has been running longer than
    the task time limit (20 s here) plus the margin (5 s), and a new worker does every document
    exactly once: one PDF each, the killed one made at its second attempt."""
    time_limit, margin = 20, 5
    queue = f"test-{uuid.uuid4().hex[:10]}"
    settings.CELERY_BROKER_URL = private_redis.url(0)
    settings.CELERY_TASK_TIME_LIMIT = time_limit
    settings.TASK_RECOVERY_MARGIN_SECONDS = margin
    env = {
        "CELERY_BROKER_URL": private_redis.url(0),
        "CACHE_URL": private_redis.url(1),
        "CELERY_TASK_TIME_LIMIT": str(time_limit),
        "CELERY_TASK_SOFT_TIME_LIMIT": str(time_limit - 2),
        "TASK_RECOVERY_MARGIN_SECONDS": str(margin),
    }
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        conventions = []
        for number in range(1, 6):
            ville = FunderFactory(name=f"Ville {number}")
            convention = ConventionFactory(funders=[ville], reference=f"CPO-2024-{number:02d}")
            CommitmentFactory(convention=convention, funder=ville, year=2024, amount=10000)
            conventions.append(convention)
        blocked = documents.convention_document(conventions[1])  # the second one of the queue

        blocker = other_connection()
        blocker.execute(
            "SELECT id FROM conventions_convention WHERE id = %s FOR UPDATE", [conventions[1].pk]
        )
        client.force_login(agent)
        assert client.post(reverse("conventions:generate_year"), {"annee": 2024}).status_code == 302
        batch = DocumentBatch.objects.get()
        assert batch.documents.count() == 6  # five conventions and the network's annual report

        with start_worker(tmp_path, pool="prefork", queue=queue, extra_env=env) as first:
            running = wait_for(
                lambda: GeneratedDocument.objects.filter(
                    pk=blocked.pk, status=DocumentStatus.RUNNING
                ).first()
            )
            wait_for(
                lambda: blocker.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                ).fetchone()[0]
            )  # rendered, waiting to store the file
            child = int(running.worker.rsplit(":", 1)[1])
            os.kill(first.process.pid, signal.SIGKILL)  # the whole worker: parent and child
            os.kill(child, signal.SIGKILL)
            killed_at = time.monotonic()
            first.process.wait()
        blocker.rollback()
        blocker.close()
        assert GeneratedDocument.objects.get(pk=blocked.pk).status == DocumentStatus.RUNNING

        with start_worker(tmp_path, pool="prefork", queue=queue, extra_env=env) as second:

            def all_done_after_a_sweep():
                outbox.sweep()  # what beat does every minute
                return not batch.documents.exclude(status=DocumentStatus.DONE).exists()

            wait_for(all_done_after_a_sweep, timeout=180, interval=1.0)
            recovery = time.monotonic() - killed_at
    finally:
        app.conf.task_default_queue = previous_queue

    print(f"whole worker killed: every document done {recovery:.1f} s after the kill")
    blocked.refresh_from_db()
    assert blocked.attempts == 2 and blocked.worker.startswith(f"{second.queue}@")
    assert blocked.requested_at - running.started_at >= datetime.timedelta(
        seconds=time_limit + margin
    )  # not re-queued while its first run could still be alive
    others = batch.documents.exclude(pk=blocked.pk)
    assert sorted(others.values_list("attempts", flat=True)) == [1] * 5
    files = sorted(Path(settings.MEDIA_ROOT).rglob("*.pdf"))
    assert files == sorted(Path(document.file.path) for document in batch.documents.all())
    assert recovery < settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] / 10
