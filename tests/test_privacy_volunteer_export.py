"""A volunteer downloads all their data as JSON from their space: the export says what the
rows say, holds only their own data, and nothing of others beyond what they were shown."""

from __future__ import annotations

import datetime
import json
import zoneinfo

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.urls import reverse

from associations.models import OrientationRequest
from tests.factories import (
    AssignmentFactory,
    AvailabilitySlotFactory,
    EnrolmentFactory,
    LanguageFactory,
    MissionFactory,
    MissionTypeFactory,
    ProgrammeFactory,
    QuartierFactory,
    ResidentFactory,
    ServiceFactory,
    StructureFactory,
    UserFactory,
    VolunteerProfileFactory,
)
from tests.test_volontaires_volunteer import make_volunteer
from volontaires import ical
from volontaires.enrolments import change_enrolment_status
from volontaires.models import (
    AssignmentStatus,
    EnrolmentStatus,
    KeepInTouchRequest,
    TrainingRegistration,
    TrainingSession,
)

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NOW = datetime.datetime(2026, 12, 2, 10, 0, tzinfo=PARIS)


def local(moment: datetime.datetime) -> str:
    return moment.astimezone(PARIS).isoformat()


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def rows(db, frozen, agent):
    """Everything a volunteer may have: profile, slots, languages, two programmes with a
    history, missions done, accepted, declined and proposed, a training, a calendar."""
    programme = ProgrammeFactory(name="Citoyennes et Citoyens Volontaires")
    other_programme = ProgrammeFactory(name="Volontaires Solidaires 2020")
    errands, calls = (
        MissionTypeFactory(name="Portage de courses"),
        MissionTypeFactory(name="Appels"),
    )
    user = UserFactory(email="soazig@exemple.fr", first_name="Soazig", last_name="Le Goff")
    profile = VolunteerProfileFactory(
        user=user,
        phone="06 12 34 56 78",
        quartier=QuartierFactory(name="Sud-Gare"),
        transport_modes=["velo", "transports"],
        engagement_areas=["solidarite"],
        max_missions_per_month=3,
        is_verified=True,
        verified_at=datetime.datetime(2026, 9, 5, 9, tzinfo=PARIS),
        verified_by=agent,
        charter_accepted_at=datetime.datetime(2026, 9, 1, 18, 30, tzinfo=PARIS),
        data_policy_accepted_at=datetime.datetime(2026, 9, 1, 18, 31, tzinfo=PARIS),
    )
    profile.mission_types.add(errands, calls)
    profile.languages.add(LanguageFactory(code="br", name="breton"), LanguageFactory(code="fr"))
    AvailabilitySlotFactory(
        volunteer=profile, weekday=4, start_time=datetime.time(14), end_time=datetime.time(17)
    )
    AvailabilitySlotFactory(
        volunteer=profile, weekday=0, start_time=datetime.time(9), end_time=datetime.time(12)
    )
    enrolment = EnrolmentFactory(
        volunteer=profile,
        programme=programme,
        signed_up_at=datetime.datetime(2026, 9, 1, 18, 30, tzinfo=PARIS),
        status_changed_at=datetime.datetime(2026, 9, 1, 18, 30, tzinfo=PARIS),
    )
    change_enrolment_status(
        enrolment, EnrolmentStatus.PAUSED, by=user, at=datetime.datetime(2026, 10, 1, tzinfo=PARIS)
    )
    change_enrolment_status(
        enrolment, EnrolmentStatus.ACTIVE, by=agent, at=datetime.datetime(2026, 11, 1, tzinfo=PARIS)
    )
    old = EnrolmentFactory(
        volunteer=profile,
        programme=other_programme,
        signed_up_at=datetime.datetime(2020, 11, 2, 9, tzinfo=PARIS),
        status_changed_at=datetime.datetime(2020, 11, 2, 9, tzinfo=PARIS),
    )
    change_enrolment_status(
        old,
        EnrolmentStatus.WITHDRAWN,
        by=user,
        at=datetime.datetime(2021, 3, 1, tzinfo=PARIS),
        note="Déménagement",
    )
    helped = ResidentFactory(
        programme=programme, first_name="Jeannine", last_name="Trégaro", phone="02 99 10 20 30"
    )
    done = AssignmentFactory(
        mission=MissionFactory(
            programme=programme,
            mission_type=errands,
            resident=helped,
            title="Courses de novembre",
            place="2 rue Passée",
            date=datetime.date(2026, 11, 12),
        ),
        volunteer=profile,
        status=AssignmentStatus.DONE,
        proposed_at=datetime.datetime(2026, 11, 5, 9, tzinfo=PARIS),
        proposed_by=agent,
        answered_at=datetime.datetime(2026, 11, 5, 20, tzinfo=PARIS),
        done_on=datetime.date(2026, 11, 12),
        duration_minutes=55,
        completion_note="Tout s'est bien passé.",
        score=71,
    )
    KeepInTouchRequest.objects.create(assignment=done)
    upcoming_resident = ResidentFactory(
        programme=programme,
        first_name="Gaël",
        last_name="Morvan",
        phone="02 99 40 50 60",
        address="9 rue du Futur",
    )
    upcoming = AssignmentFactory(
        mission=MissionFactory(
            programme=programme,
            mission_type=errands,
            resident=upcoming_resident,
            title="Courses de décembre",
            place="9 rue du Futur",
            date=datetime.date(2026, 12, 10),
        ),
        volunteer=profile,
        status=AssignmentStatus.ACCEPTED,
        proposed_at=datetime.datetime(2026, 12, 1, 9, tzinfo=PARIS),
        answered_at=datetime.datetime(2026, 12, 1, 12, tzinfo=PARIS),
    )
    declined = AssignmentFactory(
        mission=MissionFactory(programme=programme, mission_type=calls, title="Appel du mardi"),
        volunteer=profile,
        status=AssignmentStatus.DECLINED,
        proposed_at=datetime.datetime(2026, 2, 20, 9, tzinfo=PARIS),
        answered_at=datetime.datetime(2026, 2, 21, 9, tzinfo=PARIS),
        decline_reason="Pas disponible",
    )
    session = TrainingSession.objects.create(
        programme=programme,
        title="Premiers secours",
        starts_at=datetime.datetime(2026, 10, 15, 18, tzinfo=PARIS),
        ends_at=datetime.datetime(2026, 10, 15, 20, tzinfo=PARIS),
        place="Maison de quartier",
    )
    TrainingRegistration.objects.create(session=session, volunteer=profile, attended=True)
    ical.regenerate_token(profile)
    # Somebody else, with the same kind of data: nothing of it may appear.
    colleague = make_volunteer(programme, [errands], email="colleague@exemple.fr")
    AssignmentFactory(
        mission=done.mission,
        volunteer=colleague,
        status=AssignmentStatus.DECLINED,
        decline_reason="Raison du collègue",
    )
    # Orientation requests they made: the handover after the done mission ("garder le lien"
    # copied Jeannine's first name and phone), one during the coming mission; a colleague's.
    handover = OrientationRequest.objects.create(
        structure=StructureFactory(name="Secours de Bretagne"),
        prescriber=user,
        prescriber_role="volontaire",
        assignment=done,
        first_name="Jeannine",
        phone="02 99 10 20 30",
        reason="« Garder le lien » après la mission « Courses de novembre ».",
        consent_given=True,
        consent_recorded_at=datetime.datetime(2026, 11, 1, 9, tzinfo=PARIS),
        created_at=datetime.datetime(2026, 11, 12, 18, tzinfo=PARIS),
        status="acceptee",
        decided_at=datetime.datetime(2026, 11, 14, 10, tzinfo=PARIS),
        decided_by="Nolwenn Kerjean",
        decision_reason="Nous l'appelons lundi.",
    )
    showers = ServiceFactory(name="Douches du Puits", structure__name="Accueil du Puits")
    oriented = OrientationRequest.objects.create(
        structure=showers.structure,
        service=showers,
        prescriber=user,
        prescriber_role="volontaire",
        assignment=upcoming,
        first_name="Gaël",
        how_to_reach="Par la volontaire, le jeudi.",
        reason="Pas d'eau chaude chez lui cet hiver.",
        consent_given=True,
        consent_recorded_at=datetime.datetime(2026, 12, 1, 12, tzinfo=PARIS),
        created_at=datetime.datetime(2026, 12, 1, 12, tzinfo=PARIS),
    )
    OrientationRequest.objects.create(
        structure=showers.structure,
        service=showers,
        prescriber=colleague.user,
        prescriber_role="volontaire",
        first_name="Personne du collègue",
        reason="Orientation du collègue",
        consent_given=True,
    )
    return {
        "user": user,
        "profile": profile,
        "handover": handover,
        "oriented": oriented,
        "enrolment": enrolment,
        "done": done,
        "upcoming": upcoming,
        "declined": declined,
        "agent": agent,
    }


def download(client, user) -> tuple[dict, str]:
    client.force_login(user)
    response = client.get(reverse("volontaires:account_export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="mes-donnees-solidaren.json"'
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    return json.loads(response.content), response.content.decode()


def test_the_export_says_what_the_rows_say(client, rows):
    user, profile = rows["user"], rows["profile"]

    data, _text = download(client, user)

    assert data["compte"] == {
        "adresse_email": "soazig@exemple.fr",
        "prenom": "Soazig",
        "nom": "Le Goff",
        "inscrit_le": local(user.date_joined),
        "derniere_connexion": local(NOW),  # the login that downloads it
        "adresses_email": [
            {"adresse": address.email, "verifiee": address.verified, "principale": address.primary}
            for address in EmailAddress.objects.filter(user=user)
        ],
    }
    assert data["profil"] == {
        "telephone": "06 12 34 56 78",
        "commune": "Rennes",
        "quartier": "Sud-Gare",
        "missions_acceptees": ["Appels", "Portage de courses"],
        "langues": ["breton", "langue fr"],
        "moyens_de_deplacement": ["À vélo", "Transports en commun"],
        "domaines_d_engagement": ["Solidarité"],
        "missions_par_mois_au_plus": 3,
        "sollicitations_par_mois_au_plus": 2,
        "disponibilites": [
            {"jour": "lundi", "de": "09:00:00", "a": "12:00:00"},
            {"jour": "vendredi", "de": "14:00:00", "a": "17:00:00"},
        ],
        "verifie_par_les_agents": True,
        "verifie_le": "2026-09-05T09:00:00+02:00",
        "consentements": {
            "charte_des_volontaires_acceptee_le": "2026-09-01T18:30:00+02:00",
            "politique_de_donnees_acceptee_le": "2026-09-01T18:31:00+02:00",
        },
        "profil_cree_le": local(profile.created_at),
        "lien_agenda_actif": True,
        "prevenu_de_l_anonymisation_le": None,
    }
    current, old = data["inscriptions"][1], data["inscriptions"][0]
    assert (current["programme"], current["statut"]) == (
        "Citoyennes et Citoyens Volontaires",
        "Actif·ve",
    )
    assert [
        (change["statut"], change["le"], change["par_vous"]) for change in current["historique"]
    ] == [
        ("En pause", "2026-10-01T00:00:00+02:00", True),
        ("Actif·ve", "2026-11-01T00:00:00+01:00", False),
    ]
    assert (old["statut"], old["desiste_le"], old["motif_du_desistement"]) == (
        "Désisté·e",
        "2021-03-01T00:00:00+01:00",
        "Déménagement",
    )
    missions = {entry["mission"]["intitule"]: entry for entry in data["missions"]}
    assert list(missions) == ["Appel du mardi", "Courses de novembre", "Courses de décembre"]
    done = missions["Courses de novembre"]
    assert (done["statut"], done["realisee_le"], done["duree_minutes"], done["compte_rendu"]) == (
        "Réalisée",
        "2026-11-12",
        55,
        "Tout s'est bien passé.",
    )
    assert done["score_de_rapprochement"] == 71
    assert done["garder_le_lien"] == {
        "association": None,
        "demande_le": local(rows["done"].keep_in_touch.created_at),
        "traitee": False,
    }
    assert missions["Appel du mardi"]["motif_du_refus"] == "Pas disponible"
    assert data["orientations"] == [
        {
            "structure": "Secours de Bretagne",
            "service": None,
            "oriente_en_tant_que": "Volontaire pendant une mission",
            "mission": {
                "numero": rows["done"].mission_id,
                "intitule": "Courses de novembre",
                "date": "2026-11-12",
            },
            "personne_orientee": None,  # the mission is over: Jeannine is no longer theirs
            "consentement_recueilli_le": "2026-11-01T09:00:00+01:00",
            "creee_le": "2026-11-12T18:00:00+01:00",
            "etat": "Acceptée",
            "reponse_le": "2026-11-14T10:00:00+01:00",
            "motif_de_la_reponse": "Nous l'appelons lundi.",
            "anonymisee_le": None,
        },
        {
            "structure": "Accueil du Puits",
            "service": "Douches du Puits",
            "oriente_en_tant_que": "Volontaire pendant une mission",
            "mission": {
                "numero": rows["upcoming"].mission_id,
                "intitule": "Courses de décembre",
                "date": "2026-12-10",
            },
            "personne_orientee": {
                "prenom": "Gaël",
                "nom": "",
                "telephone": "",
                "adresse_email": "",
                "comment_la_joindre": "Par la volontaire, le jeudi.",
                "motif": "Pas d'eau chaude chez lui cet hiver.",
            },
            "consentement_recueilli_le": "2026-12-01T12:00:00+01:00",
            "creee_le": "2026-12-01T12:00:00+01:00",
            "etat": "En attente de réponse",
            "reponse_le": None,
            "motif_de_la_reponse": "",
            "anonymisee_le": None,
        },
    ]
    assert data["formations"] == [
        {
            "session": "Premiers secours",
            "debut": "2026-10-15T18:00:00+02:00",
            "fin": "2026-10-15T20:00:00+02:00",
            "lieu": "Maison de quartier",
            "inscrit_le": local(NOW),
            "present": True,
        }
    ]


def test_a_residents_contact_only_while_the_volunteer_may_read_it(client, rows):
    data, text = download(client, rows["user"])

    missions = {entry["mission"]["intitule"]: entry for entry in data["missions"]}
    upcoming, done = missions["Courses de décembre"], missions["Courses de novembre"]
    assert upcoming["personne_aidee"] == {
        "prenom": "Gaël",
        "telephone": "02 99 40 50 60",
        "adresse": "9 rue du Futur",
    }
    assert upcoming["mission"]["lieu"] == "9 rue du Futur"
    assert done["personne_aidee"] is None and done["mission"]["lieu"] == ""
    for secret in ("Jeannine", "Trégaro", "02 99 10 20 30", "2 rue Passée", "Morvan"):
        assert secret not in text, secret


def test_only_their_own_data_and_no_agents_identity(client, rows):
    agent = rows["agent"]

    _data, text = download(client, rows["user"])

    for other in (
        "colleague@exemple.fr",
        "06 00 00 00 00",  # the colleague's phone
        "Raison du collègue",
        "Orientation du collègue",
        "Nolwenn Kerjean",  # who answered for the structure
        agent.email,
        agent.last_name,
        rows["profile"].ical_token,  # the secret address itself stays out of a file
    ):
        assert other not in text, other


def test_the_export_is_for_volunteers_signed_in(client, rows, coordinator_a):
    url = reverse("volontaires:account_export")

    assert client.get(url).status_code == 302
    for user in (rows["agent"], coordinator_a):
        client.force_login(user)
        assert client.get(url).status_code == 403
    assert client.post(url).status_code == 405


def test_my_space_links_to_the_export(client, rows):
    client.force_login(rows["user"])

    page = client.get(reverse("volontaires:my_space")).content.decode()

    assert reverse("volontaires:account_export") in page
    assert reverse("personal_data") in page
