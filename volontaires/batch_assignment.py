"""Assigning every open mission at once, as a Celery task with its progress and result.

The agent's button records a `BatchAssignmentRun` and queues `run_batch_assignment` through
the task outbox; the request returns at once to a page that htmx polls (as for documents).
The task loads the candidate pairs (volontaires/candidates.py), solves the assignment with
the monthly limits inside the optimisation (volontaires/matching.py), proposes the plan
(volontaires/proposals.py) and stores per mission what was proposed and why places stay empty.
"""

from __future__ import annotations

import logging
import time

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from volontaires import casework, proposals
from volontaires.models import BatchAssignmentRun, BatchRunStatus, Programme

logger = logging.getLogger(__name__)

BATCH_DELAYED = gettext_lazy(
    "Le service de tâches est momentanément indisponible : l'attribution groupée partira dès "
    "son rétablissement."
)


@transaction.atomic
def queue_batch(*, programme: Programme | None, by) -> BatchAssignmentRun:
    """Records the run and queues its task once the transaction commits."""
    from solidaren import outbox
    from volontaires.tasks import run_batch_assignment

    run = BatchAssignmentRun.objects.create(programme=programme, created_by=by)
    outbox.enqueue(
        run_batch_assignment,
        args=[run.pk],
        dedupe_key=f"volontaires.run_batch_assignment:{run.pk}",
        delayed_notice=BATCH_DELAYED,
    )
    return run


def _save(run: BatchAssignmentRun, **changes) -> None:
    BatchAssignmentRun.objects.filter(pk=run.pk).update(**changes)
    for name, value in changes.items():
        setattr(run, name, value)


def run_batch(run_id: int) -> BatchAssignmentRun | None:
    """Runs a queued batch once (a second delivery of the task finds it started and stops)."""
    started = BatchAssignmentRun.objects.filter(pk=run_id, status=BatchRunStatus.QUEUED).update(
        status=BatchRunStatus.RUNNING, step=_("Recherche des candidat·es")
    )
    if not started:
        return None
    run = BatchAssignmentRun.objects.select_related("created_by").get(pk=run_id)
    clock = time.perf_counter()
    try:
        missions = list(
            casework.missions_needing_volunteers(
                today=timezone.localdate(), programme=run.programme
            )
        )

        def progress(done: int, total: int) -> None:
            if done == total or done % 25 == 0:
                _save(run, done=done, total=total, step=_("Envoi des propositions"))

        outcome = proposals.propose_batch(missions, by=run.created_by, progress=progress)
    except Exception as error:  # recorded on the run page, with the trace in the log
        logger.exception("Batch assignment %s failed", run_id)
        _save(
            run,
            status=BatchRunStatus.FAILED,
            error=str(error)[:1000],
            finished_at=timezone.now(),
            step="",
        )
        return run
    _save(
        run,
        status=BatchRunStatus.DONE,
        step="",
        finished_at=timezone.now(),
        result={
            "missions": outcome.missions,
            "mission_count": len(missions),
            "proposals": len(outcome.proposals),
            "empty_places": outcome.empty_places,
            "seconds": round(time.perf_counter() - clock, 2),
        },
    )
    return run
