"""The training path (parcours citoyen): sessions, registrations and attendance.

A registration takes a place with the session's row locked (`select_for_update`): two
volunteers asking for the last place at the same moment cannot both get it.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from volontaires.models import (
    Enrolment,
    TrainingRegistration,
    TrainingSession,
    VolunteerProfile,
)


def sessions_with_counts() -> QuerySet:
    return TrainingSession.objects.select_related("programme").annotate(
        registered=Count("registrations")
    )


def upcoming_sessions_for(volunteer: VolunteerProfile, *, now: datetime.datetime) -> QuerySet:
    """Sessions not started yet of the programmes the volunteer has not withdrawn from."""
    programme_ids = (
        Enrolment.objects.filter(volunteer=volunteer).not_withdrawn().values("programme_id")
    )
    return sessions_with_counts().filter(programme_id__in=programme_ids, starts_at__gt=now)


def _locked_session(session: TrainingSession) -> TrainingSession:
    return TrainingSession.objects.select_for_update().get(pk=session.pk)


@transaction.atomic
def register(session: TrainingSession, volunteer: VolunteerProfile) -> TrainingRegistration:
    session = _locked_session(session)
    if session.starts_at <= timezone.now():
        raise ValidationError(_("Cette session a déjà commencé : l'inscription est close."))
    enrolled = (
        Enrolment.objects.filter(volunteer=volunteer, programme_id=session.programme_id)
        .not_withdrawn()
        .exists()
    )
    if not enrolled:
        raise ValidationError(
            _("Cette session est réservée aux volontaires du programme « %(programme)s ».")
            % {"programme": session.programme}
        )
    if session.registrations.filter(volunteer=volunteer).exists():
        raise ValidationError(_("Vous êtes déjà inscrit·e à cette session."))
    if session.registrations.count() >= session.capacity:
        raise ValidationError(
            _("Désolé, cette session est complète (%(capacity)d places).")
            % {"capacity": session.capacity}
        )
    return TrainingRegistration.objects.create(session=session, volunteer=volunteer)


@transaction.atomic
def unregister(session: TrainingSession, volunteer: VolunteerProfile) -> None:
    session = _locked_session(session)
    if session.starts_at <= timezone.now():
        raise ValidationError(
            _("Cette session a déjà commencé : la désinscription n'est plus possible.")
        )
    deleted, _details = session.registrations.filter(volunteer=volunteer).delete()
    if not deleted:
        raise ValidationError(_("Vous n'étiez pas inscrit·e à cette session."))


@transaction.atomic
def record_attendance(session: TrainingSession, attendance: Mapping[int, bool | None]) -> int:
    """Sets who attended (registration id → True, False or None for unknown); returns the
    number of registrations changed. Only once the session has started."""
    session = _locked_session(session)
    if session.starts_at > timezone.now():
        raise ValidationError(
            _("La session n'a pas encore commencé : la présence se note à partir du début.")
        )
    changed = 0
    registrations = session.registrations.filter(pk__in=list(attendance))
    for registration in registrations:
        value = attendance[registration.pk]
        if registration.attended != value:
            registration.attended = value
            registration.save(update_fields=["attended"])
            changed += 1
    return changed
