"""What a volunteer may know of the resident of a mission.

Before accepting, a volunteer sees the mission (type, title, date, quartier, description) but
nothing of the resident. Once their assignment on that mission is accepted (or done), they get
the resident's first name, phone and address — never the last name, never another resident.
Volunteer pages read the resident only through these functions, never `mission.resident`.
"""

from __future__ import annotations

from dataclasses import dataclass

from solidaren.access import is_agent
from volontaires.models import Assignment, AssignmentStatus, Mission, Resident

# Assignment statuses that give the volunteer the resident's contact details.
REVEALING = [AssignmentStatus.ACCEPTED, AssignmentStatus.DONE]


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


def contact_for_assignment(assignment: Assignment) -> ResidentContact | None:
    """The contact details an assignment gives its volunteer (None before acceptance).

    Reads `assignment.mission.resident`: select it with the assignment to avoid a query.
    """
    if assignment.status not in REVEALING or assignment.mission.resident_id is None:
        return None
    return ResidentContact.of(assignment.mission.resident)


def resident_details_for(user, mission: Mission) -> ResidentContact | None:
    """The resident's contact details `user` may read on `mission`, or None.

    Agents: always (they entered them). Volunteers: only with an accepted or done assignment
    on this very mission.
    """
    if mission.resident_id is None or not (user.is_authenticated and user.is_active):
        return None
    if is_agent(user):
        return ResidentContact.of(Resident.objects.get(pk=mission.resident_id))
    assignment = (
        Assignment.objects.filter(mission=mission, volunteer__user=user, status__in=REVEALING)
        .select_related("mission__resident")
        .first()
    )
    return contact_for_assignment(assignment) if assignment else None
