"""After a mission: "garder le lien" (keep in touch), when a volunteer asks that an association
take over the follow-up of a resident they helped."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from associations import orientation
from associations.models import Association
from solidaren.models import User
from volontaires.models import Assignment, AssignmentStatus, KeepInTouchRequest


@transaction.atomic
def request_keep_in_touch(
    assignment: Assignment, *, user: User, association: Association | None = None
) -> KeepInTouchRequest:
    """Records the request for the agents (one per done mission of a resident)."""
    assignment = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("mission", "volunteer")
        .get(pk=assignment.pk)
    )
    if assignment.volunteer.user_id != user.pk:
        raise ValidationError(_("Cette mission ne vous est pas adressée."))
    if assignment.status != AssignmentStatus.DONE or assignment.mission.resident_id is None:
        raise ValidationError(
            _("« Garder le lien » ne concerne qu'une mission réalisée auprès d'un·e habitant·e.")
        )
    if KeepInTouchRequest.objects.filter(assignment=assignment).exists():
        raise ValidationError(_("Votre demande a déjà été transmise aux agents du réseau."))
    request = KeepInTouchRequest.objects.create(assignment=assignment, association=association)
    # The chosen association hears of it: an orientation request it answers (associations/).
    orientation.keep_in_touch(assignment=assignment, association=association, volunteer=user)
    return request
