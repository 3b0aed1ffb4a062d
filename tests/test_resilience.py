"""Never lose a task (issue 8, Must show 5a), on a real Redis and real Celery workers.

Each test starts a Redis of its own (`private_redis`, a free loopback port), stops or freezes
it, and points the web side (the test client), the outbox and the workers at it. Rows live in
the PostgreSQL test database that the workers share.
"""

from __future__ import annotations

import datetime
import html
import time
import uuid
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from conventions.models import DocumentStatus, GeneratedDocument
from solidaren.celery import app
from solidaren.models import OutboxTask
from tests.conftest import start_worker
from tests.factories import (
    PASSWORD,
    CommitmentFactory,
    ConventionFactory,
    FunderFactory,
    MissionTypeFactory,
    ProgrammeFactory,
)
from tests.test_volontaires_staff import open_mission, ready_volunteer
from volontaires.models import (
    Assignment,
    AssignmentStatus,
    BatchAssignmentRun,
    BatchRunStatus,
)

DELAYED = "Le service d'envoi est momentanément indisponible"


def wait_for(predicate, timeout: float = 180.0, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not reached in time")


@pytest.fixture
def redis_stack(settings, private_redis):
    """The web side's broker and cache on the private Redis; tasks to a queue of this test."""
    queue = f"test-{uuid.uuid4().hex[:10]}"
    settings.CELERY_BROKER_URL = private_redis.url(0)
    settings.CACHES = {
        "default": {
            "BACKEND": "solidaren.cache.FailOpenRedisCache",
            "LOCATION": private_redis.url(1),
            "OPTIONS": {"socket_timeout": 1, "socket_connect_timeout": 1, "retry_after": 1},
        }
    }
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    yield private_redis, queue
    app.conf.task_default_queue = previous


def worker_env(private_redis, mail_dir: Path, **extra) -> dict:
    return {
        "CELERY_BROKER_URL": private_redis.url(0),
        "CACHE_URL": private_redis.url(1),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        **extra,
    }


def sent_mails(mail_dir: Path) -> list[str]:
    """The recipients of every e-mail the worker wrote (one Message-ID each)."""
    recipients = []
    for path in sorted(mail_dir.glob("*.log")) if mail_dir.exists() else []:
        for line in path.read_text().splitlines():
            if line.startswith("To: "):
                recipients.append(line.removeprefix("To: "))
    return recipients


def stored_pdfs(settings) -> list[Path]:
    return sorted(Path(settings.MEDIA_ROOT).rglob("*.pdf"))


def log_in(client, user) -> None:
    """Through allauth's form: its rate limit counts in the (Redis) cache."""
    client.logout()
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("home"), response


def post_and_follow(client, url, data=None) -> str:
    response = client.post(url, data or {})
    assert response.status_code == 302, response.status_code
    page = client.get(response.url)
    assert page.status_code == 200
    return html.unescape(page.content.decode())


def a_convention(association, *, year: int = 2024):
    ville = FunderFactory(name=f"Ville de Rennes {uuid.uuid4().hex[:4]}")
    convention = ConventionFactory(association=association, funders=[ville])
    CommitmentFactory(convention=convention, funder=ville, year=year, amount=12500)
    return convention


def a_proposable_mission():
    programme = ProgrammeFactory(start_date=timezone.localdate() - datetime.timedelta(days=100))
    groceries = MissionTypeFactory(name="Portage de courses", at_residents_home=False)
    mission = open_mission(programme, groceries, places=1)
    return mission, ready_volunteer(programme, groceries)


@pytest.mark.real_broker
@pytest.mark.django_db(transaction=True)
def test_with_redis_stopped_requests_succeed_and_each_task_is_done_once_when_it_is_back(
    client, settings, tmp_path, redis_stack, coordinator_a, agent
):
    """GIVEN Redis stopped WHEN a coordinator logs in and asks for the convention's PDF and an
    agent proposes a mission THEN no 500, both are told the work is delayed, the tasks wait in
    the outbox; WHEN Redis is back THEN the sweep sends them and a real worker generates one PDF
    and sends one e-mail — also when every task is delivered a second time."""
    private_redis, queue = redis_stack
    convention = a_convention(coordinator_a.memberships.get().association)
    mission, volunteer = a_proposable_mission()
    private_redis.stop()

    started = time.monotonic()
    log_in(client, coordinator_a)
    logged_in = time.monotonic()
    page = post_and_follow(
        client, reverse("conventions:generate_convention_documents", args=[convention.pk])
    )
    asked = time.monotonic()
    print(
        f"Redis stopped: login {logged_in - started:.2f} s, PDF request {asked - logged_in:.2f} s"
    )
    assert f"{DELAYED} : les documents seront générés dès son rétablissement." in page
    health = client.get(reverse("healthz"))
    assert health.status_code == 503 and health.json()["broker"]["ok"] is False

    log_in(client, agent)
    page = post_and_follow(
        client, reverse("volontaires:staff_mission_propose", args=[mission.pk, volunteer.pk])
    )
    assert f"{DELAYED} : l'e-mail de proposition partira dès son rétablissement." in page

    document = GeneratedDocument.objects.get(convention=convention)
    assignment = Assignment.objects.get(mission=mission)
    assert document.status == DocumentStatus.QUEUED
    assert assignment.status == AssignmentStatus.PROPOSED and assignment.notified_at is None
    assert sorted(OutboxTask.objects.filter(sent_at=None).values_list("task", flat=True)) == [
        "conventions.generate_document",
        "volontaires.notify_proposal",
    ]

    private_redis.start()  # empty: no persistence, nothing was kept while it was down
    assert client.get(reverse("healthz")).status_code == 200
    out = StringIO()
    call_command("sweep_outbox", "--min-age", "0", stdout=out)
    assert out.getvalue().startswith("2 task(s) sent, 0 still pending")

    mail_dir = tmp_path / "mails"
    with start_worker(
        tmp_path, pool="prefork", queue=queue, extra_env=worker_env(private_redis, mail_dir)
    ) as worker:
        wait_for(
            lambda: (
                GeneratedDocument.objects.filter(
                    pk=document.pk, status=DocumentStatus.DONE
                ).exists()
                and Assignment.objects.filter(pk=assignment.pk, notified_at__isnull=False).exists()
            )
        )
        # Every task delivered once more, as a broker re-delivery or a second sweep would.
        OutboxTask.objects.update(sent_at=None)
        call_command("sweep_outbox", "--min-age", "0", stdout=StringIO())
        wait_for(lambda: worker.log_path.read_text().count("succeeded in") >= 4)

    document.refresh_from_db()
    assert document.attempts == 1  # the second delivery found the PDF up to date
    assert stored_pdfs(settings) == [Path(document.file.path)]
    assert sent_mails(mail_dir) == [volunteer.user.email]
    assert not OutboxTask.objects.filter(sent_at=None).exists()


@pytest.mark.real_broker
@pytest.mark.django_db(transaction=True)
def test_a_worker_starting_sends_what_the_broker_refused(
    client, settings, tmp_path, redis_stack, agent
):
    """No sweep by hand, no beat: the worker's start-up (worker_ready) sends the pending task."""
    private_redis, queue = redis_stack
    mission, volunteer = a_proposable_mission()
    private_redis.stop()
    client.force_login(agent)
    post_and_follow(
        client, reverse("volontaires:staff_mission_propose", args=[mission.pk, volunteer.pk])
    )
    assert OutboxTask.objects.get().sent_at is None
    private_redis.start()

    mail_dir = tmp_path / "mails"
    env = worker_env(private_redis, mail_dir, OUTBOX_SWEEP_AFTER_SECONDS="0")
    with start_worker(tmp_path, pool="solo", queue=queue, extra_env=env) as worker:
        wait_for(lambda: sent_mails(mail_dir))

    assert "Outbox sweep at worker start: 1 sent" in worker.log_path.read_text()
    assert sent_mails(mail_dir) == [volunteer.user.email]
    assert OutboxTask.objects.get().sent_at is not None


@pytest.mark.real_broker
@pytest.mark.django_db(transaction=True)
def test_with_redis_frozen_logging_in_and_asking_for_a_pdf_still_answer(
    client, settings, redis_stack, coordinator_a
):
    """A Redis that accepts connections and never answers (SIGSTOP), the worst case for a
    request: the cache and the publish give up after their socket timeouts (1 s and 2 s).

    Not a speed benchmark: without those timeouts the request never answers at all."""
    private_redis, _queue = redis_stack
    convention = a_convention(coordinator_a.memberships.get().association)
    private_redis.freeze()
    try:
        started = time.monotonic()
        log_in(client, coordinator_a)
        page = post_and_follow(
            client, reverse("conventions:generate_convention_documents", args=[convention.pk])
        )
        elapsed = time.monotonic() - started
    finally:
        private_redis.thaw()

    assert f"{DELAYED} : les documents seront générés dès son rétablissement." in page
    assert OutboxTask.objects.get().sent_at is None
    print(f"Redis frozen: login and PDF request {elapsed:.2f} s")
    assert elapsed < 20, elapsed


@pytest.mark.real_broker
@pytest.mark.django_db(transaction=True)
def test_with_redis_stopped_the_batch_button_records_the_run_and_it_runs_once_redis_is_back(
    client, settings, tmp_path, redis_stack, agent
):
    """GIVEN Redis stopped WHEN an agent asks to assign every open mission THEN no 500: the run
    is recorded "en attente", its page says the batch will start once the service is back, the
    task waits in the outbox; WHEN Redis is back THEN a real worker runs it, once, and the
    mission is proposed to the volunteer."""
    private_redis, queue = redis_stack
    mission, volunteer = a_proposable_mission()
    private_redis.stop()

    log_in(client, agent)
    page = post_and_follow(client, reverse("volontaires:staff_mission_batch"))

    assert "l'attribution groupée partira dès son rétablissement" in page
    run = BatchAssignmentRun.objects.get()
    assert run.status == BatchRunStatus.QUEUED and run.created_by == agent
    assert list(OutboxTask.objects.filter(sent_at=None).values_list("task", flat=True)) == [
        "volontaires.run_batch_assignment"
    ]
    assert not Assignment.objects.exists()

    private_redis.start()
    call_command("sweep_outbox", "--min-age", "0", stdout=StringIO())
    mail_dir = tmp_path / "mails"
    with start_worker(
        tmp_path, pool="prefork", queue=queue, extra_env=worker_env(private_redis, mail_dir)
    ) as worker:
        wait_for(
            lambda: BatchAssignmentRun.objects.filter(
                pk=run.pk, status=BatchRunStatus.DONE
            ).exists()
        )
        # Delivered a second time: the run is found started and nothing more is proposed.
        OutboxTask.objects.update(sent_at=None)
        call_command("sweep_outbox", "--min-age", "0", stdout=StringIO())
        wait_for(lambda: worker.log_path.read_text().count("run_batch_assignment") >= 2)

    assignment = Assignment.objects.get()
    assert (assignment.mission, assignment.volunteer) == (mission, volunteer)
    assert assignment.status == AssignmentStatus.PROPOSED
    run.refresh_from_db()
    assert run.done == 1 and run.finished_at is not None
