"""Deleting a volunteer's account: anonymise, do not erase.

The programme's figures are counted from rows (`figures.py`): a volunteer's enrolments and
done missions must stay so that the 2020–2021 campaign still counts 509 sign-ups and 398
missions done. The account is therefore emptied of everything personal and closed, and its
rows keep pointing to a profile that no longer says who it was. The same anonymisation is
applied by the retention job to accounts inactive for too long (`retention.py`).
"""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from solidaren.access import coordinated_association_ids
from solidaren.models import User
from volontaires import proposals
from volontaires.admin_history import purge_identity
from volontaires.enrolments import change_enrolment_status
from volontaires.models import Assignment, AssignmentStatus, EnrolmentStatus, VolunteerProfile

ANONYMOUS_EMAIL = "supprime-{pk}@anonyme.invalid"


def anonymous_email(user: User) -> str:
    return ANONYMOUS_EMAIL.format(pk=user.pk)


def can_delete_own_account(user: User) -> bool:
    """Agents' and coordinators' accounts carry other responsibilities: not from here."""
    return not (user.is_staff or user.is_superuser or coordinated_association_ids(user))


@transaction.atomic
def anonymise_account(user: User, *, note: str | None = None) -> User:
    """Closes the account and removes the volunteer's personal data.

    - user: e-mail `supprime-<id>@anonyme.invalid`, no name, unusable password, inactive;
      allauth's e-mail addresses removed;
    - profile: phone, languages, availability, transport means and calendar token cleared;
    - enrolments in programmes still running: withdrawn (the change is kept in their history,
      with `note`); those of ended programmes are history and stay as they were;
    - pending proposals and accepted missions not done yet: cancelled, their places reopen;
    - done missions and enrolments stay, so the figures do not move (except `actifs` of the
      running programmes);
    - the back-office history of these rows no longer names the volunteer.
    """
    if not can_delete_own_account(user):
        raise ValidationError(
            _(
                "Ce compte est aussi celui d'un agent ou d'une coordinatrice d'association : "
                "demandez sa suppression aux agents du réseau."
            )
        )
    user = User.objects.select_for_update().get(pk=user.pk)
    profile = VolunteerProfile.objects.filter(user=user).first()
    if profile is not None:
        _anonymise_profile(
            profile, note=note or _("Compte supprimé à la demande de la personne volontaire.")
        )
    EmailAddress.objects.filter(user=user).delete()
    user.email = anonymous_email(user)
    user.first_name = ""
    user.last_name = ""
    user.set_unusable_password()  # also ends the other sessions (their hash no longer matches)
    user.is_active = False
    user.save()
    if profile is not None:
        purge_identity(
            [
                user,
                profile,
                *profile.enrolments.all(),
                *profile.assignments.all(),
                *profile.training_registrations.all(),
            ]
        )
    else:
        purge_identity([user])
    return user


def _anonymise_profile(profile: VolunteerProfile, *, note: str) -> None:
    now = timezone.now()
    running = Q(programme__end_date__isnull=True) | Q(
        programme__end_date__gte=timezone.localdate(now)
    )
    for enrolment in profile.enrolments.not_withdrawn().filter(running):
        change_enrolment_status(enrolment, EnrolmentStatus.WITHDRAWN, at=now, note=note)
    pending = Assignment.objects.filter(
        volunteer=profile, status__in=[AssignmentStatus.PROPOSED, AssignmentStatus.ACCEPTED]
    )
    for assignment in pending:
        proposals.cancel(assignment, reason=note)
    profile.availability_slots.all().delete()
    profile.languages.clear()
    profile.phone = ""
    profile.transport_modes = []
    profile.ical_token = None
    profile.save(update_fields=["phone", "transport_modes", "ical_token"])
