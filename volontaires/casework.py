"""Agents' casework: a resident's request taken by phone, and the verification of volunteers.

A request creates the resident and their first mission together or not at all: the caller's
consent is recorded with its date and the agent who took the call.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from volontaires.models import (
    COMMITTED,
    PLACE_HOLDING,
    Assignment,
    AssignmentStatus,
    Mission,
    MissionOrigin,
    MissionStatus,
    Programme,
    Resident,
    VolunteerProfile,
)


def current_programme(today: datetime.date | None = None) -> Programme | None:
    """The programme running today (the latest started if several), else the latest one."""
    today = today or timezone.localdate()
    running = Programme.objects.filter(start_date__lte=today).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today)
    )
    return (
        running.order_by("-start_date").first() or Programme.objects.order_by("-start_date").first()
    )


def default_title(mission: Mission) -> str:
    """The resident's name stays out of the title: volunteers read it in their proposals."""
    place = mission.quartier.name if mission.quartier_id else mission.commune
    return _("%(type)s — %(place)s") % {"type": mission.mission_type.name, "place": place}


@transaction.atomic
def record_request(resident: Resident, mission: Mission, *, by) -> Mission:
    """Saves a resident (unsaved instance) and their first mission (unsaved instance).

    The mission takes the resident's programme, commune and quartier; it is never open to
    self-service applications and belongs to no association (coordinators do not see it).
    """
    resident.consent_recorded_at = timezone.now()
    resident.consent_recorded_by = by
    resident.full_clean()
    resident.save()
    mission.programme = resident.programme
    mission.resident = resident
    mission.origin = MissionOrigin.RESIDENT
    mission.volunteer_calls = False
    mission.association = None
    mission.commune = resident.commune
    mission.quartier = resident.quartier
    mission.engagement_area = mission.mission_type.engagement_area
    mission.title = mission.title or default_title(mission)
    mission.created_by = by
    mission.full_clean()
    mission.save()
    return mission


def verify_volunteer(volunteer: VolunteerProfile, *, by, verified: bool = True) -> None:
    """Staff vouch for a volunteer (needed for missions at a resident's home), or withdraw it."""
    volunteer.is_verified = verified
    volunteer.verified_at = timezone.now() if verified else None
    volunteer.verified_by = by if verified else None
    volunteer.save(update_fields=["is_verified", "verified_at", "verified_by"])


# --- Selectors of the agents' pages -----------------------------------------------------------


def _assignments_count(statuses) -> Coalesce:
    """A mission's assignments in these statuses, as a subquery: the list sorts and cuts the
    missions first and counts for the rows of the page only (a join and GROUP BY counted them
    for every open mission of the territory)."""
    rows = (
        Assignment.objects.filter(mission=OuterRef("pk"), status__in=statuses)
        .order_by()
        .values("mission")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def staff_missions(missions: QuerySet | None = None) -> QuerySet:
    """Missions with what the agents' list shows, in a fixed number of queries: urgent first,
    then by date (weekly missions last)."""
    missions = Mission.objects.all() if missions is None else missions
    return (
        missions.select_related("programme", "mission_type", "quartier", "resident")
        .annotate(
            held=_assignments_count(PLACE_HOLDING),
            committed=_assignments_count(COMMITTED),
            proposed=_assignments_count([AssignmentStatus.PROPOSED]),
        )
        # "urgente" sorts after "normale": descending puts the urgent first, in the order of
        # the index `mission_staff_order_idx` (a CASE expression would sort the whole table).
        .order_by("-urgency", F("date").asc(nulls_last=True), "start_time", "pk")
    )


def missions_needing_volunteers(
    *, today: datetime.date, programme: Programme | None = None
) -> QuerySet:
    """Open missions still to come (or weekly) whose places are not all proposed or taken."""
    missions = staff_missions().filter(
        Q(date__gte=today) | Q(date__isnull=True),
        status=MissionStatus.OPEN,
        held__lt=F("places"),
    )
    return missions.filter(programme=programme) if programme is not None else missions


def programme_workload(programme: Programme, *, today: datetime.date) -> dict[str, int]:
    """What is left to do in a programme, for the agents' dashboard."""
    assignments = Assignment.objects.filter(mission__programme=programme).aggregate(
        pending=Count("pk", filter=Q(status=AssignmentStatus.PROPOSED)),
        expired_this_month=Count(
            "pk",
            filter=Q(
                status=AssignmentStatus.EXPIRED,
                proposed_at__year=today.year,
                proposed_at__month=today.month,
            ),
        ),
    )
    return {
        "missions_waiting": missions_needing_volunteers(today=today, programme=programme).count(),
        "pending_proposals": assignments["pending"],
        "expired_this_month": assignments["expired_this_month"],
        "verified_volunteers": VolunteerProfile.objects.filter(
            enrolments__programme=programme, is_verified=True
        ).count(),
    }


def volunteers_for_staff(user, *, to_verify: bool, text: str = ""):
    """The volunteers an agent sees, the ones still to verify first (newest sign-ups first),
    filtered by a piece of their name or e-mail."""
    volunteers = VolunteerProfile.objects.visible_to(user).select_related("user", "quartier")
    if to_verify:
        volunteers = volunteers.filter(is_verified=False)
    if text:
        volunteers = volunteers.filter(
            Q(user__first_name__icontains=text)
            | Q(user__last_name__icontains=text)
            | Q(user__email__icontains=text)
        )
    return volunteers.order_by("is_verified", "-created_at", "pk")
