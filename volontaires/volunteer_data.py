"""A volunteer's own data, as one JSON document they download from their space (right of
access and portability).

Everything the portal holds about them, and nothing of anybody else beyond what their pages
show them: the agents who proposed a mission or changed an enrolment are not named, and a
resident's contact appears only while the volunteer may read it (`privacy.py`); the
calendar's secret address is not written out, only whether one exists. The orientation
requests they made are there too, the oriented person's data under the same rule as a
resident's contact.
"""

from __future__ import annotations

import datetime

from allauth.account.models import EmailAddress
from django.db.models import Prefetch
from django.utils import timezone

from associations.models import OrientationRequest
from solidaren.models import User
from volontaires.models import (
    Assignment,
    EngagementArea,
    Enrolment,
    EnrolmentStatusChange,
    TrainingRegistration,
    TransportMode,
    VolunteerProfile,
)
from volontaires.privacy import (
    contact_for_assignment,
    orientation_person_is_current,
    visible_place,
)
from volontaires.resident_data import iso, orientation_export

# Version of the document's layout, for whoever reads it with a program.
EXPORT_FORMAT = 1


def _labels(codes: list[str], choices) -> list[str]:
    names = dict(choices.choices)
    return [str(names.get(code, code)) for code in codes]


def volunteer_export(user: User) -> dict:
    profile = (
        VolunteerProfile.objects.filter(user=user)
        .select_related("quartier")
        .prefetch_related("mission_types", "languages", "availability_slots")
        .first()
    )
    return {
        "format": EXPORT_FORMAT,
        "exporte_le": iso(timezone.now()),
        "compte": _account(user),
        "profil": _profile(profile) if profile else None,
        "inscriptions": _enrolments(profile) if profile else [],
        "missions": _assignments(profile) if profile else [],
        "formations": _trainings(profile) if profile else [],
        "orientations": _orientations(user),
    }


def _account(user: User) -> dict:
    return {
        "adresse_email": user.email,
        "prenom": user.first_name,
        "nom": user.last_name,
        "inscrit_le": iso(user.date_joined),
        "derniere_connexion": iso(user.last_login),
        "adresses_email": [
            {"adresse": address.email, "verifiee": address.verified, "principale": address.primary}
            for address in EmailAddress.objects.filter(user=user).order_by("email")
        ],
    }


def _profile(profile: VolunteerProfile) -> dict:
    return {
        "telephone": profile.phone,
        "commune": profile.commune,
        "quartier": profile.quartier.name if profile.quartier else None,
        "missions_acceptees": sorted(kind.name for kind in profile.mission_types.all()),
        "langues": sorted(language.name for language in profile.languages.all()),
        "moyens_de_deplacement": _labels(profile.transport_modes, TransportMode),
        "domaines_d_engagement": _labels(profile.engagement_areas, EngagementArea),
        "missions_par_mois_au_plus": profile.max_missions_per_month,
        "sollicitations_par_mois_au_plus": profile.solicitations_limit,
        "disponibilites": [
            {
                "jour": slot.get_weekday_display(),
                "de": iso(slot.start_time),
                "a": iso(slot.end_time),
            }
            for slot in sorted(
                profile.availability_slots.all(), key=lambda s: (s.weekday, s.start_time)
            )
        ],
        "verifie_par_les_agents": profile.is_verified,
        "verifie_le": iso(profile.verified_at),
        "consentements": {
            "charte_des_volontaires_acceptee_le": iso(profile.charter_accepted_at),
            "politique_de_donnees_acceptee_le": iso(profile.data_policy_accepted_at),
        },
        "profil_cree_le": iso(profile.created_at),
        "lien_agenda_actif": bool(profile.ical_token),
        "prevenu_de_l_anonymisation_le": iso(profile.retention_warned_at),
    }


def _enrolments(profile: VolunteerProfile) -> list[dict]:
    enrolments = (
        Enrolment.objects.filter(volunteer=profile)
        .select_related("programme")
        .prefetch_related(
            Prefetch("changes", queryset=EnrolmentStatusChange.objects.order_by("changed_at", "pk"))
        )
        .order_by("signed_up_at", "pk")
    )
    return [
        {
            "programme": enrolment.programme.name,
            "inscrit_le": iso(enrolment.signed_up_at),
            "statut": enrolment.get_status_display(),
            "statut_depuis_le": iso(enrolment.status_changed_at),
            "desiste_le": iso(enrolment.withdrawn_at),
            "motif_du_desistement": enrolment.withdrawal_reason,
            "historique": [
                {
                    "statut": change.get_status_display(),
                    "le": iso(change.changed_at),
                    "par_vous": change.changed_by_id == profile.user_id,
                    "note": change.note,
                }
                for change in enrolment.changes.all()
            ],
        }
        for enrolment in enrolments
    ]


def _assignments(profile: VolunteerProfile) -> list[dict]:
    today = timezone.localdate()
    assignments = (
        Assignment.objects.filter(volunteer=profile)
        .select_related(
            "mission__mission_type",
            "mission__quartier",
            "mission__programme",
            "mission__resident",
            "keep_in_touch__association",
        )
        .order_by("proposed_at", "pk")
    )
    return [_assignment(assignment, today=today) for assignment in assignments]


def _assignment(assignment: Assignment, *, today: datetime.date) -> dict:
    mission = assignment.mission
    contact = contact_for_assignment(assignment, today=today)
    keep_in_touch = getattr(assignment, "keep_in_touch", None)
    return {
        "mission": {
            "intitule": mission.title,
            "type": mission.mission_type.name,
            "programme": mission.programme.name,
            "description": mission.description,
            "date": iso(mission.date),
            "chaque_semaine_le": mission.get_recurrence_weekday_display()
            if mission.recurrence_weekday is not None
            else None,
            "de": iso(mission.start_time),
            "a": iso(mission.end_time),
            "commune": mission.commune,
            "quartier": mission.quartier.name if mission.quartier else None,
            "lieu": visible_place(mission, contact),
            "aupres_d_un_habitant": mission.resident_id is not None,
        },
        "statut": assignment.get_status_display(),
        "origine": assignment.get_source_display(),
        "proposee_le": iso(assignment.proposed_at),
        "reponse_le": iso(assignment.answered_at),
        "motif_du_refus": assignment.decline_reason,
        "score_de_rapprochement": assignment.score,
        "realisee_le": iso(assignment.done_on),
        "duree_minutes": assignment.duration_minutes,
        "compte_rendu": assignment.completion_note,
        "rappel_envoye_le": iso(assignment.reminded_on),
        "personne_aidee": None
        if contact is None
        else {"prenom": contact.first_name, "telephone": contact.phone, "adresse": contact.address},
        "garder_le_lien": None
        if keep_in_touch is None
        else {
            "association": keep_in_touch.association.name if keep_in_touch.association else None,
            "demande_le": iso(keep_in_touch.created_at),
            "traitee": keep_in_touch.handled,
        },
    }


def _trainings(profile: VolunteerProfile) -> list[dict]:
    registrations = (
        TrainingRegistration.objects.filter(volunteer=profile)
        .select_related("session")
        .order_by("session__starts_at", "pk")
    )
    return [
        {
            "session": registration.session.title,
            "debut": iso(registration.session.starts_at),
            "fin": iso(registration.session.ends_at),
            "lieu": registration.session.place,
            "inscrit_le": iso(registration.registered_at),
            "present": registration.attended,
        }
        for registration in registrations
    ]


def _orientations(user: User) -> list[dict]:
    """The orientation requests they made. The oriented person's data (often the mission's
    resident, copied by "garder le lien") follows the resident's rule (`privacy.py`): only
    while the mission's contact is theirs to read."""
    today = timezone.localdate()
    requests = (
        OrientationRequest.objects.filter(prescriber=user)
        .select_related("structure", "service", "assignment__mission")
        .order_by("created_at", "pk")
    )
    return [
        orientation_export(
            orientation,
            with_person=orientation_person_is_current(orientation, today=today),
        )
        for orientation in requests
    ]
