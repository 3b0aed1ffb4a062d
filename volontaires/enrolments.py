"""Joining a programme, pausing, resuming and withdrawing, with the history of each change."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from solidaren.models import User
from volontaires.models import (
    Enrolment,
    EnrolmentStatus,
    EnrolmentStatusChange,
    Programme,
    VolunteerProfile,
)


@transaction.atomic
def enrol(
    *,
    volunteer: VolunteerProfile,
    programme: Programme,
    at: datetime.datetime | None = None,
    by: User | None = None,
) -> Enrolment:
    """The volunteer's enrolment in the programme, created active if they had none."""
    at = at or timezone.now()
    enrolment, created = Enrolment.objects.get_or_create(
        volunteer=volunteer,
        programme=programme,
        defaults={"signed_up_at": at, "status_changed_at": at},
    )
    if created:
        EnrolmentStatusChange.objects.create(
            enrolment=enrolment, status=EnrolmentStatus.ACTIVE, changed_at=at, changed_by=by
        )
    return enrolment


@transaction.atomic
def change_enrolment_status(
    enrolment: Enrolment,
    status: EnrolmentStatus | str,
    *,
    at: datetime.datetime | None = None,
    by: User | None = None,
    note: str = "",
) -> Enrolment:
    """Pause, resume or withdraw (a withdrawn volunteer may come back); no-op if unchanged.

    The enrolment keeps its current status; every change is kept in EnrolmentStatusChange.
    """
    enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    if enrolment.status == status:
        return enrolment
    at = at or timezone.now()
    enrolment.status = status
    enrolment.status_changed_at = at
    withdrawn = status == EnrolmentStatus.WITHDRAWN
    enrolment.withdrawn_at = at if withdrawn else None
    enrolment.withdrawal_reason = note if withdrawn else ""
    enrolment.save(
        update_fields=["status", "status_changed_at", "withdrawn_at", "withdrawal_reason"]
    )
    EnrolmentStatusChange.objects.create(
        enrolment=enrolment, status=status, changed_at=at, changed_by=by, note=note
    )
    return enrolment
