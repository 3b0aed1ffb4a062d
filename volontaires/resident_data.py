"""A resident's personal data: the export (right of access) and the erasure (right to
erasure, also applied by the retention job).

A resident is never deleted: their missions and the volunteers' assignments are the rows the
programme's figures count (`figures.py`: residents helped, supports, missions done, by month,
type and quartier). Erasing anonymises the resident in place — name, phone, address, needs
and language go — and cleans the free text of their missions that may name them (title,
description, place, the volunteers' notes), then rewrites the back-office history of those
rows. What stays is what the figures need: programme, commune and quartier, mission types,
dates, statuses and durations.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from associations import orientation
from associations.models import OrientationRequest
from volontaires.admin_history import ANONYMISED, purge_identity
from volontaires.casework import default_title
from volontaires.models import Assignment, KeepInTouchRequest, Mission, Resident


def iso(value: datetime.date | datetime.time | None) -> str | None:
    """Dates and times of an export, ISO 8601; aware datetimes in the portal's time zone."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value)
    return value.isoformat()


# --- Export --------------------------------------------------------------------------------


def resident_export(resident: Resident) -> dict:
    """Everything the portal holds about a resident, for the resident (read by staff).

    The volunteers who helped appear only by what was done (status, dates, duration, notes):
    their identity is their own personal data, not the resident's.
    """
    missions = (
        Mission.objects.filter(resident=resident)
        .select_related("mission_type", "quartier", "programme")
        .prefetch_related("assignments__keep_in_touch__association")
        .order_by("date", "pk")
    )
    return {
        "habitant": {
            "numero": resident.pk,
            "programme": resident.programme.name,
            "prenom": resident.first_name,
            "nom": resident.last_name,
            "telephone": resident.phone,
            "adresse": resident.address,
            "commune": resident.commune,
            "quartier": resident.quartier.name if resident.quartier else None,
            "besoins": resident.needs,
            "langue": resident.language.name if resident.language else None,
            "oriente_par": resident.get_referred_by_display(),
            "association_qui_oriente": resident.referring_association.name
            if resident.referring_association
            else None,
            "consentement_recueilli_le": iso(resident.consent_recorded_at),
            "cree_le": iso(resident.created_at),
            "anonymise_le": iso(resident.anonymised_at),
        },
        "missions": [_mission_export(mission) for mission in missions],
        # The handovers and orientations made during their missions copied their data.
        "orientations": [
            orientation_export(orientation)
            for orientation in OrientationRequest.objects.filter(
                assignment__mission__resident=resident
            )
            .select_related("structure", "service", "assignment__mission")
            .order_by("created_at", "pk")
        ],
        "exporte_le": iso(timezone.now()),
    }


def _mission_export(mission: Mission) -> dict:
    return {
        "numero": mission.pk,
        "programme": mission.programme.name,
        "intitule": mission.title,
        "type": mission.mission_type.name,
        "description": mission.description,
        "date": iso(mission.date),
        "chaque_semaine_le": mission.get_recurrence_weekday_display()
        if mission.recurrence_weekday is not None
        else None,
        "de": iso(mission.start_time),
        "a": iso(mission.end_time),
        "lieu": mission.place,
        "commune": mission.commune,
        "quartier": mission.quartier.name if mission.quartier else None,
        "statut": mission.get_status_display(),
        "creee_le": iso(mission.created_at),
        "interventions": [
            _assignment_export(assignment)
            for assignment in sorted(mission.assignments.all(), key=lambda a: (a.proposed_at, a.pk))
        ],
    }


def _assignment_export(assignment: Assignment) -> dict:
    keep_in_touch = getattr(assignment, "keep_in_touch", None)
    return {
        "statut": assignment.get_status_display(),
        "proposee_le": iso(assignment.proposed_at),
        "reponse_le": iso(assignment.answered_at),
        "realisee_le": iso(assignment.done_on),
        "duree_minutes": assignment.duration_minutes,
        "compte_rendu": assignment.completion_note,
        "garder_le_lien": None
        if keep_in_touch is None
        else {
            "association": keep_in_touch.association.name if keep_in_touch.association else None,
            "demande_le": iso(keep_in_touch.created_at),
            "traitee": keep_in_touch.handled,
        },
    }


def orientation_export(orientation: OrientationRequest, *, with_person: bool = True) -> dict:
    """An orientation request (to a service, or "garder le lien" to an association), for the
    resident's export and for its prescriber's. Who answered for the structure is not written
    out; the person's data only when asked for and still kept (the retention blanks it)."""
    assignment = orientation.assignment
    person = None
    if with_person and orientation.anonymised_at is None:
        person = {
            "prenom": orientation.first_name,
            "nom": orientation.last_name,
            "telephone": orientation.phone,
            "adresse_email": orientation.email,
            "comment_la_joindre": orientation.how_to_reach,
            "motif": orientation.reason,
        }
    return {
        "structure": orientation.structure.name,
        "service": orientation.service.name if orientation.service else None,
        "oriente_en_tant_que": orientation.get_prescriber_role_display(),
        "mission": None
        if assignment is None
        else {
            "numero": assignment.mission_id,
            "intitule": assignment.mission.title,
            "date": iso(assignment.mission.date),
        },
        "personne_orientee": person,
        "consentement_recueilli_le": iso(orientation.consent_recorded_at),
        "creee_le": iso(orientation.created_at),
        "etat": orientation.get_status_display(),
        "reponse_le": iso(orientation.decided_at),
        "motif_de_la_reponse": orientation.decision_reason,
        "anonymisee_le": iso(orientation.anonymised_at),
    }


# --- Erasure -------------------------------------------------------------------------------


@transaction.atomic
def erase_resident(resident: Resident, *, at: datetime.datetime | None = None) -> Resident:
    """Anonymises the resident and the identity their missions may hold; the figures stay.

    Refused (French message) when already done, so that a second click writes nothing.
    """
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    if resident.anonymised_at is not None:
        raise ValidationError(
            _("Les données de cet·te habitant·e ont déjà été effacées le %(date)s.")
            % {"date": timezone.localtime(resident.anonymised_at).strftime("%d/%m/%Y")}
        )
    resident.anonymised_at = at or timezone.now()
    # Required fields; pages show `str(resident)`: "Habitant·e anonymisé·e n°<id>".
    resident.first_name = resident.last_name = ANONYMISED
    resident.phone = ""
    resident.address = ""
    resident.needs = ""
    resident.language = None
    resident.save(
        update_fields=[
            "anonymised_at",
            "first_name",
            "last_name",
            "phone",
            "address",
            "needs",
            "language",
        ]
    )
    missions = list(
        Mission.objects.select_for_update(of=("self",))
        .filter(resident=resident)
        .select_related("mission_type", "quartier")
    )
    for mission in missions:
        # The agents' free text may name the resident or give their address.
        mission.title = default_title(mission)
        mission.description = ""
        mission.place = ""
    Mission.objects.bulk_update(missions, ["title", "description", "place"])
    assignments = list(Assignment.objects.filter(mission__resident=resident))
    for assignment in assignments:
        # The volunteers' notes and reasons may name the person they helped.
        assignment.completion_note = ""
        assignment.decline_reason = ""
    Assignment.objects.bulk_update(assignments, ["completion_note", "decline_reason"])
    keep_in_touch = KeepInTouchRequest.objects.filter(assignment__mission__resident=resident)
    purge_identity([resident, *missions, *assignments, *keep_in_touch])
    # The handovers to associations ("garder le lien") copied their first name and phone.
    orientation.blank_personal_data(
        OrientationRequest.objects.filter(assignment__mission__resident=resident),
        resident.anonymised_at,
    )
    return resident


def erase_residents(resident_ids: list[int], *, at: datetime.datetime | None = None) -> int:
    """The retention job's erasure: one transaction per resident, the done ones skipped."""
    erased = 0
    for resident in Resident.objects.filter(pk__in=resident_ids, anonymised_at__isnull=True):
        erase_resident(resident, at=at)
        erased += 1
    return erased
