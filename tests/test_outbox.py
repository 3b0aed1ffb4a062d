"""The task outbox (solidaren/outbox.py), fast: SQLite and kombu's in-memory transport.

A task is a row written in the caller's transaction, published after the commit (nothing on
rollback), left pending when the broker refuses it, and sent exactly once by the sweep. The
"broker down" here is a real refusal: a Redis URL on a port where nothing listens.
"""

from __future__ import annotations

import datetime
import html
import logging
import threading
import uuid
from io import StringIO
from types import SimpleNamespace

import psycopg
import pytest
from celery.signals import worker_ready
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from kombu import Connection

from conventions import documents
from conventions.models import DocumentStatus, GeneratedDocument
from solidaren import outbox
from solidaren.celery import app
from solidaren.models import OutboxTask
from solidaren.tasks import ping
from tests.conftest import free_port
from tests.factories import (
    AssignmentFactory,
    CommitmentFactory,
    ConventionFactory,
    FunderFactory,
    MissionTypeFactory,
    ProgrammeFactory,
)
from tests.test_volontaires_staff import open_mission, ready_volunteer
from volontaires.models import Assignment, AssignmentStatus
from volontaires.tasks import notify_proposal

DELAYED = "Le service d'envoi est momentanément indisponible"


def drain(queue: str) -> list[tuple[str, str, list]]:
    """The messages waiting in an in-memory queue: (task name, task id, args), oldest first."""
    received = []
    with Connection("memory://") as broker:
        simple = broker.SimpleQueue(queue)
        while True:
            try:
                message = simple.get(block=False)
            except simple.Empty:
                break
            received.append((message.headers["task"], message.headers["id"], message.payload[0]))
            message.ack()
        simple.close()
    return received


@pytest.fixture
def memory_broker(settings):
    """Tasks are published for real, through kombu's in-memory transport, to a queue of this
    test's own (nobody consumes it: the test reads what arrived)."""
    queue = f"outbox-{uuid.uuid4().hex[:8]}"
    settings.CELERY_BROKER_URL = "memory://"
    previous = app.conf.task_always_eager, app.conf.task_default_queue
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    yield SimpleNamespace(queue=queue, messages=lambda: drain(queue))
    app.conf.task_always_eager, app.conf.task_default_queue = previous


@pytest.fixture
def broker_down(settings):
    """A Redis broker URL on a loopback port where nothing listens: every publish is refused."""
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = previous


def pending_rows(count: int, *, age_seconds: int = 60) -> list[OutboxTask]:
    created_at = timezone.now() - datetime.timedelta(seconds=age_seconds)
    return [
        OutboxTask.objects.create(task="solidaren.ping", args=[f"t{n}"], created_at=created_at)
        for n in range(count)
    ]


@pytest.fixture
def convention(association_a):
    ville = FunderFactory(name="Ville de Rennes")
    convention = ConventionFactory(association=association_a, funders=[ville])
    CommitmentFactory(convention=convention, funder=ville, year=2024, amount=12500)
    return convention


# --- enqueue, commit, rollback --------------------------------------------------------------


@pytest.mark.django_db
def test_the_row_is_written_in_the_transaction_and_published_only_after_commit(
    memory_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        row = outbox.enqueue(ping, args=["jeton"])
        assert OutboxTask.objects.get().sent_at is None
    assert memory_broker.messages() == []  # not before the commit

    for callback in callbacks:  # the commit
        callback()

    row.refresh_from_db()
    assert row.sent_at is not None and row.attempts == 1 and row.last_error == ""
    assert memory_broker.messages() == [("solidaren.ping", str(row.task_id), ["jeton"])]


@pytest.mark.django_db
def test_a_rolled_back_transaction_records_and_sends_nothing(
    memory_broker, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        outbox.enqueue(ping, args=["jeton"])
        raise RuntimeError("the view failed")

    assert callbacks == []
    assert not OutboxTask.objects.exists()
    assert memory_broker.messages() == []


@pytest.mark.django_db
def test_a_refused_publish_leaves_the_row_pending_with_the_reason(
    broker_down, django_capture_on_commit_callbacks, caplog
):
    with (
        caplog.at_level(logging.WARNING, logger="solidaren.outbox"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        row = outbox.enqueue(ping, args=["jeton"])

    row.refresh_from_db()
    assert row.sent_at is None and row.attempts == 1
    assert "OperationalError" in row.last_error
    assert "stays pending for the sweep" in caplog.text


@pytest.mark.django_db
def test_one_unsent_row_per_dedupe_key(memory_broker, settings):
    unreachable = settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
    first = outbox.enqueue(ping, args=["a"], dedupe_key="ping:a")
    again = outbox.enqueue(ping, args=["a"], dedupe_key="ping:a")
    assert again.pk == first.pk and OutboxTask.objects.count() == 1

    settings.CELERY_BROKER_URL = "memory://"
    assert outbox.send_pending(older_than=datetime.timedelta(0)) == (1, "")
    settings.CELERY_BROKER_URL = unreachable
    later = outbox.enqueue(ping, args=["a"], dedupe_key="ping:a")  # the first one has left
    assert later.pk != first.pk and OutboxTask.objects.count() == 2


@pytest.mark.django_db
def test_without_a_broker_the_task_runs_in_process_on_commit_and_the_row_is_marked_sent(
    convention, django_capture_on_commit_callbacks
):
    document = documents.convention_document(convention)

    with django_capture_on_commit_callbacks(execute=True):
        documents.queue([document])

    document.refresh_from_db()
    assert document.status == DocumentStatus.DONE
    row = OutboxTask.objects.get()
    assert row.task == "conventions.generate_document" and row.args == [document.pk]
    assert row.sent_at is not None


# --- the sweep --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sweep_sends_each_pending_row_once_oldest_first(memory_broker):
    rows = pending_rows(3)
    recent = OutboxTask.objects.create(task="solidaren.ping", args=["now"])  # may be in flight

    first = outbox.sweep()
    second = outbox.sweep()

    assert (first.sent, first.pending, second.sent, second.pending) == (3, 1, 0, 1)
    assert memory_broker.messages() == [
        ("solidaren.ping", str(row.task_id), row.args) for row in rows
    ]
    recent.refresh_from_db()
    assert recent.sent_at is None
    later = outbox.sweep(now=timezone.now() + datetime.timedelta(seconds=11))
    assert later.sent == 1 and later.pending == 0


@pytest.mark.django_db
def test_the_sweep_stops_at_the_first_refusal_and_reports_it(broker_down):
    pending_rows(3)

    result = outbox.sweep()

    assert result.sent == 0 and result.pending == 3
    assert "Connection refused" in result.broker_error
    assert sorted(OutboxTask.objects.values_list("attempts", flat=True)) == [0, 0, 1]


@pytest.mark.django_db
def test_without_a_broker_the_sweep_runs_pending_tasks_in_process(convention):
    document = documents.convention_document(convention)
    OutboxTask.objects.create(
        task="conventions.generate_document",
        args=[document.pk],
        created_at=timezone.now() - datetime.timedelta(minutes=5),
    )

    assert outbox.sweep().sent == 1

    document.refresh_from_db()
    assert document.status == DocumentStatus.DONE


@pytest.mark.django_db
def test_sent_rows_are_purged_after_the_keeping_period(memory_broker, settings):
    settings.OUTBOX_KEEP_SENT_DAYS = 7
    old = OutboxTask.objects.create(
        task="solidaren.ping", sent_at=timezone.now() - datetime.timedelta(days=8)
    )
    kept = OutboxTask.objects.create(
        task="solidaren.ping", sent_at=timezone.now() - datetime.timedelta(days=6)
    )

    assert outbox.sweep().purged == 1
    assert list(OutboxTask.objects.values_list("pk", flat=True)) == [kept.pk]
    assert old.pk != kept.pk


def other_connection() -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db.get("PASSWORD") or None,
        dbname=db["NAME"],
    )


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL row locks (DATABASE_URL)"
)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_row_another_sweep_holds_is_skipped_not_sent_twice(memory_broker):
    held, free = pending_rows(2)
    other = other_connection()
    other.execute("SELECT id FROM solidaren_outboxtask WHERE id = %s FOR UPDATE", [held.pk])

    result = outbox.sweep()  # does not wait for the lock

    assert result.sent == 1
    assert [message[1] for message in memory_broker.messages()] == [str(free.task_id)]
    other.rollback()
    other.close()
    assert outbox.sweep().sent == 1
    assert [message[1] for message in memory_broker.messages()] == [str(held.task_id)]


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_every_row_exactly_once(memory_broker, monkeypatch):
    monkeypatch.setattr(outbox, "SWEEP_BATCH_SIZE", 5)
    rows = pending_rows(60)
    results = []
    barrier = threading.Barrier(2)

    def sweep():
        barrier.wait()
        try:
            results.append(outbox.send_pending(older_than=datetime.timedelta(0)))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    ids = [message[1] for message in memory_broker.messages()]
    assert sorted(ids) == sorted(str(row.task_id) for row in rows)  # each once
    assert sum(sent for sent, _error in results) == 60
    assert not OutboxTask.objects.filter(sent_at__isnull=True).exists()


# --- recovery of documents left behind ------------------------------------------------------


@pytest.mark.django_db
def test_documents_left_running_or_queued_long_ago_are_queued_again(
    convention, memory_broker, settings, django_capture_on_commit_callbacks
):
    """Time limit 900 s + margin 60 s: a document "en cours" for 20 minutes lost its worker;
    one "en attente" whose task left 20 minutes ago lost its message; recent or unsent work
    is left alone."""
    settings.CELERY_TASK_TIME_LIMIT = 900
    settings.TASK_RECOVERY_MARGIN_SECONDS = 60
    now = timezone.now()
    long_ago = now - datetime.timedelta(minutes=20)
    recently = now - datetime.timedelta(minutes=5)
    batch = documents.queue_batch("Lot", [], user=None)

    def document(key, status, *, started_at=None, requested_at=long_ago, sent_at=None):
        made = GeneratedDocument.objects.create(
            kind="convention",
            subject_key=key,
            convention=convention,
            status=status,
            batch=batch,
            started_at=started_at,
            requested_at=requested_at,
        )
        if sent_at is not None or status == DocumentStatus.QUEUED:
            OutboxTask.objects.create(
                task="conventions.generate_document",
                args=[made.pk],
                dedupe_key=documents.generation_key(made.pk),
                created_at=requested_at,
                sent_at=sent_at,
            )
        return made

    lost_running = document("a", DocumentStatus.RUNNING, started_at=long_ago, sent_at=long_ago)
    lost_queued = document("b", DocumentStatus.QUEUED, sent_at=long_ago)
    running = document("c", DocumentStatus.RUNNING, started_at=recently, sent_at=recently)
    unsent = document("d", DocumentStatus.QUEUED)  # broker down: the sweep sends its row
    sent_lately = document("e", DocumentStatus.QUEUED, sent_at=recently)

    with django_capture_on_commit_callbacks(execute=True):
        assert documents.requeue_stuck(now=now) == 2

    for made in (lost_running, lost_queued):
        made.refresh_from_db()
        assert (made.status, made.requested_at, made.batch) == (DocumentStatus.QUEUED, now, batch)
    for made, status in [
        (running, "en_cours"),
        (unsent, "en_attente"),
        (sent_lately, "en_attente"),
    ]:
        made.refresh_from_db()
        assert made.status == DocumentStatus(status)
    sent_args = sorted(message[2] for message in memory_broker.messages())
    assert sent_args == [[lost_running.pk], [lost_queued.pk]]
    # Queued again once: the next sweep leaves them until another full delay has passed.
    with django_capture_on_commit_callbacks(execute=True):
        assert documents.requeue_stuck(now=now + datetime.timedelta(minutes=1)) == 0


@pytest.mark.django_db
def test_the_sweep_runs_the_recoverers_the_apps_declare(memory_broker):
    assert "documents" in outbox.recoverers()  # declared by conventions.apps
    assert outbox.sweep().recovered == {"documents": 0}


# --- the proposal e-mail is sent once -------------------------------------------------------


@pytest.mark.django_db
def test_the_proposal_email_is_sent_once_when_its_task_is_delivered_twice():
    assignment = AssignmentFactory(status=AssignmentStatus.PROPOSED)

    first = notify_proposal.apply(args=[assignment.pk]).get()
    second = notify_proposal.apply(args=[assignment.pk]).get()

    assert (first, second) == (True, False)
    assert [message.to for message in mail.outbox] == [[assignment.volunteer.user.email]]
    assignment.refresh_from_db()
    assert assignment.notified_at is not None


# --- what the person is told ----------------------------------------------------------------


def post_and_follow(client, url):
    response = client.post(url)
    assert response.status_code == 302
    return html.unescape(client.get(response.url).content.decode())


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_the_pdf_request_succeeds_and_says_it_is_delayed(
    client, coordinator_a, convention, broker_down
):
    client.force_login(coordinator_a)

    page = post_and_follow(
        client, reverse("conventions:generate_convention_documents", args=[convention.pk])
    )

    assert f"{DELAYED} : les documents seront générés dès son rétablissement." in page
    document = GeneratedDocument.objects.get(convention=convention)
    assert document.status == DocumentStatus.QUEUED
    row = OutboxTask.objects.get()
    assert (row.task, row.args, row.sent_at) == (
        "conventions.generate_document",
        [document.pk],
        None,
    )


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_up_the_pdf_request_says_nothing_of_a_delay(
    client, coordinator_a, convention, memory_broker
):
    client.force_login(coordinator_a)

    page = post_and_follow(
        client, reverse("conventions:generate_convention_documents", args=[convention.pk])
    )

    assert DELAYED not in page
    assert OutboxTask.objects.get().sent_at is not None
    assert len(memory_broker.messages()) == 1


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_a_proposal_is_saved_and_its_email_announced_as_delayed(
    client, agent, broker_down
):
    programme = ProgrammeFactory(start_date=timezone.localdate() - datetime.timedelta(days=100))
    groceries = MissionTypeFactory(name="Portage de courses", at_residents_home=False)
    mission = open_mission(programme, groceries, places=1)
    volunteer = ready_volunteer(programme, mission.mission_type)
    client.force_login(agent)

    page = post_and_follow(
        client, reverse("volontaires:staff_mission_propose", args=[mission.pk, volunteer.pk])
    )

    assert f"Mission proposée à {volunteer}." in page  # not "prévenu·e par e-mail"
    assert "prévenu·e par e-mail" not in page
    assert f"{DELAYED} : l'e-mail de proposition partira dès son rétablissement." in page
    assignment = Assignment.objects.get()
    assert assignment.status == AssignmentStatus.PROPOSED and assignment.notified_at is None
    assert OutboxTask.objects.get().args == [assignment.pk]
    assert mail.outbox == []


# --- schedule, worker start-up, operators' command ------------------------------------------


def test_beat_sweeps_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-outbox"]
    assert entry["task"] == "solidaren.sweep_outbox" and entry["schedule"] == 60.0
    assert "solidaren.sweep_outbox" in app.tasks


@pytest.mark.django_db(transaction=True)
def test_a_starting_worker_sends_what_was_left_behind(convention):
    document = documents.convention_document(convention)
    OutboxTask.objects.create(
        task="conventions.generate_document",
        args=[document.pk],
        created_at=timezone.now() - datetime.timedelta(minutes=5),
    )

    worker_ready.send(sender=None)

    document.refresh_from_db()
    assert document.status == DocumentStatus.DONE
    assert OutboxTask.objects.get().sent_at is not None


@pytest.mark.django_db
def test_the_sweep_command_reports_what_it_sent(memory_broker):
    pending_rows(2)
    out = StringIO()

    call_command("sweep_outbox", stdout=out)

    assert out.getvalue().startswith("2 task(s) sent, 0 still pending, 0 old row(s) purged")
    assert "documents: 0" in out.getvalue()


@pytest.mark.django_db
def test_the_sweep_command_fails_when_the_broker_refuses(broker_down):
    pending_rows(1)

    with pytest.raises(CommandError, match="The broker refused the tasks"):
        call_command("sweep_outbox", "--min-age", "0", stdout=StringIO())
    assert OutboxTask.objects.get().sent_at is None


@pytest.mark.django_db(transaction=True)
def test_the_year_batch_is_confirmed_as_started_only_when_its_tasks_left(
    client, agent, convention, settings
):
    client.force_login(agent)
    url = reverse("conventions:generate_year")

    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        delayed = html.unescape(client.get(client.post(url, {"annee": 2024}).url).content.decode())
    finally:
        app.conf.task_always_eager = previous
    started = html.unescape(client.get(client.post(url, {"annee": 2024}).url).content.decode())

    assert "La génération des documents de 2024 est enregistrée." in delayed
    assert "a commencé" not in delayed
    assert f"{DELAYED} : les documents seront générés dès son rétablissement." in delayed
    assert "La génération des documents de 2024 a commencé." in started  # in-process
    assert DELAYED not in started
