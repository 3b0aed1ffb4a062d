"""What a volunteer may know of the resident of a mission.

Before accepting, a volunteer sees the mission (type, title, date, quartier, description) but
nothing of the resident. Once their assignment on that mission is accepted, they get the
resident's first name, phone and address — never the last name, never another resident —
and only until the mission is over: once it is done, cancelled or its date has passed, the
contact is no longer theirs to read (a volunteer of November 2020 does not keep a phone
number for years). Volunteer pages, e-mails and exports read the resident only through these
functions, never `mission.resident`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from solidaren.access import is_agent
from volontaires.models import Assignment, AssignmentStatus, Mission, MissionStatus, Resident

# Mission statuses after which nobody needs the resident's contact any more.
OVER = [MissionStatus.DONE, MissionStatus.CANCELLED]


@dataclass(frozen=True)
class ResidentContact:
    first_name: str
    phone: str
    address: str
    commune: str

    @classmethod
    def of(cls, resident: Resident) -> ResidentContact:
        return cls(
            first_name=resident.first_name,
            phone=resident.phone,
            address=resident.address,
            commune=resident.commune,
        )


def contact_is_current(assignment: Assignment, *, today: datetime.date) -> bool:
    """An accepted assignment on a mission still to come (today included), or weekly and
    running."""
    mission = assignment.mission
    return (
        assignment.status == AssignmentStatus.ACCEPTED
        and mission.status not in OVER
        and (mission.date is None or mission.date >= today)
    )


def contact_for_assignment(
    assignment: Assignment, *, today: datetime.date | None = None
) -> ResidentContact | None:
    """The contact details an assignment gives its volunteer now (None before acceptance and
    once the mission is over).

    Reads `assignment.mission.resident`: select it with the assignment to avoid a query.
    """
    if assignment.mission.resident_id is None:
        return None
    if not contact_is_current(assignment, today=today or timezone.localdate()):
        return None
    return ResidentContact.of(assignment.mission.resident)


def orientation_person_is_current(orientation, *, today: datetime.date) -> bool:
    """Whether the prescriber of an orientation request still reads the oriented person's data.

    A request made during a mission (often "garder le lien", which copies the resident's first
    name and phone) follows the resident's rule: only while the mission's contact is theirs.
    Select `assignment__mission` with the request to avoid queries."""
    assignment = orientation.assignment
    return assignment is None or contact_is_current(assignment, today=today)


def visible_place(mission: Mission, contact: ResidentContact | None) -> str:
    """The place of a resident's mission may be their home: shown with the contact only."""
    return mission.place if mission.resident_id is None or contact else ""


def resident_details_for(user, mission: Mission) -> ResidentContact | None:
    """The resident's contact details `user` may read on `mission`, or None.

    Agents: always (they entered them). Volunteers: only with an accepted assignment on this
    very mission, until the mission is over.
    """
    if mission.resident_id is None or not (user.is_authenticated and user.is_active):
        return None
    if is_agent(user):
        return ResidentContact.of(Resident.objects.get(pk=mission.resident_id))
    assignment = (
        Assignment.objects.filter(
            mission=mission, volunteer__user=user, status=AssignmentStatus.ACCEPTED
        )
        .select_related("mission__resident")
        .first()
    )
    return contact_for_assignment(assignment) if assignment else None
