"""Calls for volunteers: an association's (a food-bank sorting day, 100 places) or the city's
(an event). They have no resident and are open to self-service applications.

Coordinators see who answered their association's calls by first name and initial only: the
volunteers' contact details stay with the city.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from solidaren.access import is_agent
from volontaires import proposals
from volontaires.models import COMMITTED, Assignment, Mission, MissionOrigin

CALL_ORIGINS = [MissionOrigin.ASSOCIATION, MissionOrigin.CITY]


def calls_editable_by(user) -> QuerySet:
    """The calls this user may list and change: agents all, coordinators their associations'."""
    return (
        Mission.objects.editable_by(user)
        .filter(origin__in=CALL_ORIGINS, resident__isnull=True)
        .select_related("programme", "mission_type", "quartier", "association")
        .annotate(accepted=Count("assignments", filter=Q(assignments__status__in=COMMITTED)))
    )


def origin_for(user) -> str:
    """Agents create city events; coordinators their association's calls."""
    return MissionOrigin.CITY if is_agent(user) else MissionOrigin.ASSOCIATION


@transaction.atomic
def create_call(mission: Mission, *, by) -> Mission:
    """Saves a new call (unsaved instance with its association for an association call)."""
    mission.origin = MissionOrigin.ASSOCIATION if mission.association_id else MissionOrigin.CITY
    mission.volunteer_calls = True
    mission.resident = None
    mission.created_by = by
    mission.full_clean()
    mission.save()
    return mission


@transaction.atomic
def update_call(mission: Mission) -> Mission:
    """Saves the changed call; its places never go below the volunteers already committed.

    The row is locked as when a volunteer accepts, so a place taken meanwhile is counted.
    """
    locked = Mission.objects.select_for_update().get(pk=mission.pk)
    taken = proposals.places_taken(locked)
    if mission.places < taken:
        raise ValidationError(
            {
                "places": _(
                    "%(count)d volontaire(s) ont déjà accepté : le nombre de places ne peut pas "
                    "descendre en dessous."
                )
                % {"count": taken}
            }
        )
    mission.full_clean()
    mission.save()
    proposals.refresh_mission_status(mission)
    return mission


def short_name(user) -> str:
    """« Léa M. »: what a coordinator may know of a volunteer."""
    initial = f" {user.last_name[:1].upper()}." if user.last_name else ""
    return f"{user.first_name or _('Volontaire')}{initial}"


def committed_volunteers(mission: Mission) -> list[str]:
    """First names and initials of the volunteers who accepted or did the mission."""
    rows = (
        Assignment.objects.filter(mission=mission, status__in=COMMITTED)
        .select_related("volunteer__user")
        .order_by("answered_at", "pk")
    )
    return [short_name(row.volunteer.user) for row in rows]
