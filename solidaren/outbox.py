"""Transactional outbox: every Celery task of the portal is written in the caller's transaction
and sent once that transaction commits.

Why: `transaction.on_commit(lambda: task.delay(pk))` loses the task when the broker does not
answer at that moment (the data are committed, the message never leaves) and turns the request
into a 500 after its data were saved. Here:

- `enqueue()` writes an `OutboxTask` row with the data, and after the commit publishes it once,
  with short broker timeouts and no retry loop, so that a request answers quickly when Redis is
  down; the row is marked sent on success and stays pending otherwise;
- `DelayedWorkMiddleware` then tells the person that the work is delayed (the publishing runs
  after the view, when ATOMIC_REQUESTS commits: the view itself cannot know);
- `sweep()` (beat, every minute; the worker at start-up; `manage.py sweep_outbox`) re-sends the
  pending rows, each under a row lock taken with `skip_locked` so that two sweeps never send
  one row twice, and runs the recoverers the apps declare (e.g. documents left "en cours" by a
  worker that died), through `register_recoverer`, so that this module imports no app model.

Delivery is at least once: every task must be harmless when delivered twice.
With no broker (the embedded demo, CELERY_TASK_ALWAYS_EAGER) the task runs in-process after the
commit: in a background thread once the request has answered (TASKS_IN_BACKGROUND), or at once.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial

from celery import Task
from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, connections, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from kombu.exceptions import KombuError

from solidaren.models import OutboxTask

logger = logging.getLogger(__name__)

DEFAULT_DELAYED_NOTICE = _(
    "Le service d'envoi est momentanément indisponible : le travail demandé sera fait dès son "
    "rétablissement."
)
# Rows sent per transaction of the sweep (each batch is committed before the next is locked).
SWEEP_BATCH_SIZE = 200


class BrokerUnavailable(Exception):
    """The broker did not take a message within the publish timeout."""


# --- publishing -------------------------------------------------------------------------------


def _celery_app():
    from solidaren.celery import app

    return app


def _runs_in_process() -> bool:
    return bool(_celery_app().conf.task_always_eager)


class Publisher:
    """One broker connection with short socket timeouts and no retry loop (kombu would otherwise
    retry for seconds inside the request), opened on first use and closed by `close()`."""

    def __init__(self) -> None:
        self._connection = None

    def _open(self):
        if self._connection is None:
            app = _celery_app()
            timeout = settings.OUTBOX_PUBLISH_TIMEOUT_SECONDS
            self._connection = app.connection_for_write(
                settings.CELERY_BROKER_URL,
                connect_timeout=timeout,
                transport_options={
                    "socket_timeout": timeout,
                    "socket_connect_timeout": timeout,
                    "max_retries": 0,
                },
            )
        return self._connection

    def send(self, row: OutboxTask) -> None:
        connection = self._open()
        errors = (KombuError, OSError, *connection.connection_errors, *connection.channel_errors)
        try:
            _celery_app().send_task(
                row.task,
                args=list(row.args),
                kwargs=dict(row.kwargs),
                task_id=str(row.task_id),
                connection=connection,
                retry=False,
            )
        except errors as error:
            self.close()  # the connection may be half-open: the next send opens a new one
            raise BrokerUnavailable(f"{error.__class__.__name__}: {error}") from error

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:  # closing a dead connection must not hide the first error
                logger.debug("Closing the broker connection failed", exc_info=True)
            self._connection = None


def _run_in_process(row_id: int) -> bool:
    """Eager mode: claims the row (only one caller can) and runs its task here, as before."""
    row = OutboxTask.objects.filter(pk=row_id, sent_at__isnull=True).first()
    claimed = (
        row is not None
        and OutboxTask.objects.filter(pk=row_id, sent_at__isnull=True).update(
            sent_at=timezone.now(), attempts=F("attempts") + 1
        )
        == 1
    )
    if claimed:
        task = _celery_app().tasks[row.task]
        task.apply_async(args=list(row.args), kwargs=dict(row.kwargs), task_id=str(row.task_id))
    return claimed


def _record_failure(row: OutboxTask, error: Exception) -> None:
    row.attempts += 1
    row.last_error = str(error)[:2000]
    row.save(update_fields=["attempts", "last_error"])


def _record_sent(row: OutboxTask) -> None:
    row.attempts += 1
    row.sent_at = timezone.now()
    row.last_error = ""
    row.save(update_fields=["attempts", "sent_at", "last_error"])


def publish(row_id: int, *, publisher: Publisher) -> bool:
    """Sends one pending row now; False when the broker refused it (the row stays pending).

    The row is locked while it is sent; a row locked by someone else (a sweep sending it) or
    already sent counts as sent."""
    failure = None
    with transaction.atomic():
        row = (
            OutboxTask.objects.select_for_update(skip_locked=True)
            .filter(pk=row_id, sent_at__isnull=True)
            .first()
        )
        if row is None:
            return True
        try:
            publisher.send(row)
        except BrokerUnavailable as error:
            _record_failure(row, error)
            failure = error
        else:
            _record_sent(row)
    if failure is not None:
        logger.warning(
            "Broker unavailable: task %s (outbox row %s) stays pending for the sweep: %s",
            row.task,
            row_id,
            failure,
        )
        return False
    return True


# --- what the person is told ------------------------------------------------------------------


@dataclasses.dataclass
class DeliveryReport:
    """What happened to the tasks enqueued during one request (or one command run)."""

    delayed_notices: list[str] = dataclasses.field(default_factory=list)
    confirmations: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    broker_down: bool = False
    publisher: Publisher = dataclasses.field(default_factory=Publisher)

    def delay(self, notice) -> None:
        text = str(notice)
        if text not in self.delayed_notices:
            self.delayed_notices.append(text)

    @property
    def all_sent(self) -> bool:
        return not self.delayed_notices


_current_report: ContextVar[DeliveryReport | None] = ContextVar("outbox_report", default=None)


@contextmanager
def delivery_report() -> Iterator[DeliveryReport]:
    """Collects, for the code run inside, which tasks could not be sent; after a first refusal
    the other tasks are not tried again (the answer stays fast), the sweep sends them."""
    report = DeliveryReport()
    token = _current_report.set(report)
    try:
        yield report
    finally:
        _current_report.reset(token)
        report.publisher.close()


class DelayedWorkMiddleware:
    """Wraps the view's transaction (ATOMIC_REQUESTS) so that it sees the tasks published on
    commit, and tells the person when some could not be: "le service d'envoi est
    momentanément indisponible…". Placed after MessageMiddleware, so that the warning is stored
    with the view's own messages and shown on the next page (the views concerned redirect)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with delivery_report() as report:
            response = self.get_response(request)
        for sent, delayed in report.confirmations:
            messages.success(request, sent if report.all_sent else delayed, fail_silently=True)
        for notice in report.delayed_notices:
            messages.warning(request, notice, fail_silently=True)
        return response


def confirm_after_commit(request, *, sent: str, delayed: str) -> None:
    """The view's confirmation, chosen once its tasks were published: `sent` (e.g. "…, prévenu·e
    par e-mail") or `delayed`, which claims nothing the broker has not done yet and is followed
    by the delay notice. Outside `DelayedWorkMiddleware`, `sent` is shown at once."""
    report = _current_report.get()
    if report is None:
        messages.success(request, sent, fail_silently=True)
    else:
        report.confirmations.append((sent, delayed))


# --- in-process tasks run after the response (the embedded demo) ------------------------------
# With no broker, a task queued by a request runs in this process; run in the request itself,
# a year's PDFs kept the page waiting for about 13 s with no feedback. They run instead in one
# background thread, one task at a time (SQLite takes one writer at a time anyway), in the
# order they were queued: the request answers at once and the progress page shows them advance.
_background_executor: ThreadPoolExecutor | None = None
_background_lock = threading.Lock()


def _background() -> ThreadPoolExecutor:
    global _background_executor
    with _background_lock:
        if _background_executor is None:
            _background_executor = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="solidaren-tasks"
            )
        return _background_executor


def _run_in_background(row_id: int) -> None:
    try:
        _run_in_process(row_id)
    except Exception:
        # The row is claimed: the app's recoverer (e.g. documents left "en cours") or the
        # person's retry takes it from here, as after a worker's failure.
        logger.exception("In-process task of outbox row %s failed", row_id)
    finally:
        connections.close_all()  # this thread's connections, not the requests'


def wait_for_background_tasks() -> None:
    """Blocks until the tasks queued so far in the background have run (tests, commands)."""
    _background().submit(lambda: None).result()


def _after_commit(row_id: int, delayed_notice) -> None:
    if _runs_in_process():
        if settings.TASKS_IN_BACKGROUND:
            _background().submit(_run_in_background, row_id)
        else:
            _run_in_process(row_id)
        return
    report = _current_report.get()
    if report is None:
        with delivery_report() as own_report:
            publish(row_id, publisher=own_report.publisher)
        return
    if report.broker_down or not publish(row_id, publisher=report.publisher):
        report.broker_down = True
        report.delay(delayed_notice)


# --- enqueueing -------------------------------------------------------------------------------


def enqueue(
    task: Task | str,
    *,
    args: Sequence = (),
    kwargs: Mapping | None = None,
    dedupe_key: str = "",
    delayed_notice=DEFAULT_DELAYED_NOTICE,
) -> OutboxTask:
    """Records `task(*args, **kwargs)` in the current transaction and sends it after commit.

    Arguments must be JSON values (ids, not model instances). With a `dedupe_key`, a row still
    waiting to be sent for that key is reused instead of adding another. `delayed_notice` is
    what the person is told when the broker does not take the task now."""
    name = task if isinstance(task, str) else task.name
    row = _pending_row(dedupe_key) if dedupe_key else None
    if row is None:
        try:
            with transaction.atomic():
                row = OutboxTask.objects.create(
                    task=name, args=list(args), kwargs=dict(kwargs or {}), dedupe_key=dedupe_key
                )
        except IntegrityError:
            row = _pending_row(dedupe_key)  # another transaction recorded the same work first
            if row is None:
                raise
    transaction.on_commit(partial(_after_commit, row.pk, delayed_notice))
    return row


def _pending_row(dedupe_key: str) -> OutboxTask | None:
    return OutboxTask.objects.filter(dedupe_key=dedupe_key, sent_at__isnull=True).first()


def keys_in_flight(dedupe_keys: Iterable[str], *, sent_since: datetime.datetime) -> set[str]:
    """The keys whose task is still waiting to be sent or was sent after `sent_since`: their
    work is not lost yet (recoverers leave it alone)."""
    return set(
        OutboxTask.objects.filter(dedupe_key__in=list(dedupe_keys))
        .filter(Q(sent_at__isnull=True) | Q(sent_at__gte=sent_since))
        .values_list("dedupe_key", flat=True)
    )


# --- sweep ------------------------------------------------------------------------------------

Recoverer = Callable[..., int]
_recoverers: dict[str, Recoverer] = {}


def register_recoverer(name: str, recoverer: Recoverer) -> None:
    """An app declares how to find and re-queue its own lost work (from its AppConfig.ready);
    `recoverer(now=...)` returns how many items it re-queued."""
    _recoverers[name] = recoverer


def recoverers() -> dict[str, Recoverer]:
    return dict(_recoverers)


@dataclasses.dataclass(frozen=True)
class SweepResult:
    sent: int
    pending: int
    recovered: dict[str, int]
    purged: int
    broker_error: str = ""


def send_pending(*, older_than: datetime.timedelta, now: datetime.datetime | None = None):
    """Sends the rows waiting for longer than `older_than`, oldest first, each row locked with
    skip_locked (a concurrent sweep takes the others); stops at the broker's first refusal.

    Returns (rows sent, broker error or "")."""
    cutoff = (now or timezone.now()) - older_than
    unsent = OutboxTask.objects.filter(sent_at__isnull=True, created_at__lte=cutoff)
    if _runs_in_process():
        ids = list(unsent.order_by("pk").values_list("pk", flat=True))
        return sum(_run_in_process(row_id) for row_id in ids), ""
    sent = 0
    error = ""
    publisher = Publisher()
    try:
        while not error:
            with transaction.atomic():
                rows = list(
                    unsent.select_for_update(skip_locked=True).order_by("pk")[:SWEEP_BATCH_SIZE]
                )
                for row in rows:
                    try:
                        publisher.send(row)
                    except BrokerUnavailable as failure:
                        _record_failure(row, failure)
                        error = str(failure)
                        break
                    _record_sent(row)
                    sent += 1
            if len(rows) < SWEEP_BATCH_SIZE:
                break
    finally:
        publisher.close()
    if error:
        logger.warning("Outbox sweep: broker unavailable after %d task(s) sent: %s", sent, error)
    return sent, error


def purge_sent(*, now: datetime.datetime | None = None) -> int:
    """Sent rows are kept OUTBOX_KEEP_SENT_DAYS days (to trace a task), then deleted."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.OUTBOX_KEEP_SENT_DAYS)
    deleted, _per_model = OutboxTask.objects.filter(sent_at__lt=cutoff).delete()
    return deleted


def sweep(
    *, now: datetime.datetime | None = None, older_than: datetime.timedelta | None = None
) -> SweepResult:
    """Re-queues lost work (each app's recoverers), then sends what the broker has not taken."""
    now = now or timezone.now()
    if older_than is None:
        older_than = datetime.timedelta(seconds=settings.OUTBOX_SWEEP_AFTER_SECONDS)
    recovered = {}
    with delivery_report():  # a recoverer's tasks are tried once here, then left to send_pending
        for name, recover in recoverers().items():
            recovered[name] = recover(now=now)
    sent, error = send_pending(older_than=older_than, now=now)
    return SweepResult(
        sent=sent,
        pending=OutboxTask.objects.filter(sent_at__isnull=True).count(),
        recovered=recovered,
        purged=purge_sent(now=now),
        broker_error=error,
    )


def sweep_at_worker_start(sender=None, **kwargs) -> None:
    """celery `worker_ready`: a worker (re)starting sends what was left behind. Never stops the
    worker from starting; closes its database connections (the pool forks from this process)."""
    try:
        result = sweep()
        logger.info(
            "Outbox sweep at worker start: %d sent, %d pending, re-queued %s",
            result.sent,
            result.pending,
            result.recovered,
        )
    except Exception:
        logger.exception("Outbox sweep at worker start failed")
    finally:
        connections.close_all()
