"""A resident's data: the agents' export, and the erasure that leaves no identity anywhere
(every text column of every table, the back-office history included) while the programme's
figures stay exactly the same."""

from __future__ import annotations

import json

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import connection
from django.urls import reverse
from simple_history.models import registered_models

from associations.models import OrientationRequest
from conventions.models import Convention
from solidaren.demo import agents_group
from tests.factories import (
    AssignmentFactory,
    LanguageFactory,
    MissionFactory,
    MissionTypeFactory,
    ProgrammeFactory,
    QuartierFactory,
    ResidentFactory,
    StructureFactory,
)
from tests.test_volontaires_volunteer import make_volunteer, messages_of
from volontaires.models import (
    Assignment,
    AssignmentStatus,
    KeepInTouchRequest,
    Mission,
    MissionStatus,
    Resident,
    ResidentAccessLog,
    ResidentAccessSource,
)
from volontaires.resident_data import resident_export

FIRST_NAME = "Maëlys-Azilis"
LAST_NAME = "Kerdraonec"
PHONE = "02 99 87 65 43"
ADDRESS = "17 impasse des Hortensias"
NEEDS = "Sort d'une opération, sa fille Katell Kerdraonec passe le week-end."
SECRETS = [FIRST_NAME, LAST_NAME, PHONE, PHONE.replace(" ", ""), ADDRESS, "Katell"]


def rows_containing(needle: str) -> list[tuple[str, str]]:
    """(table, column) of every column of every table whose text holds `needle`."""
    hits = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [
                column.name
                for column in connection.introspection.get_table_description(cursor, table)
            ]
            condition = " OR ".join(
                f"LOWER(CAST({quote(column)} AS TEXT)) LIKE %s" for column in columns
            )
            cursor.execute(
                f"SELECT * FROM {quote(table)} WHERE {condition}",  # noqa: S608 — names from the schema, quoted; values are parameters
                [f"%{needle.lower()}%"] * len(columns),
            )
            for row in cursor.fetchall():
                hits += [
                    (table, column)
                    for column, value in zip(columns, row, strict=True)
                    if needle.lower() in str(value).lower()
                ]
    return hits


@pytest.fixture
def staff(agent):
    agent.groups.add(agents_group())  # the agents' back-office permissions, as in the demo
    return agent


@pytest.fixture
def case(db, staff):
    """A resident helped twice (one mission done with a note, one keep-in-touch request, one
    declined proposal naming them), whose record an agent changed in the back-office."""
    programme = ProgrammeFactory(slug="programme-habitants")
    errands = MissionTypeFactory(name="Portage de courses")
    quartier = QuartierFactory(name="Bréquigny")
    resident = ResidentFactory(
        programme=programme,
        first_name=FIRST_NAME,
        last_name=LAST_NAME,
        phone="02 99 00 00 00",
        address=ADDRESS,
        quartier=quartier,
        needs=NEEDS,
        language=LanguageFactory(code="br", name="breton"),
    )
    done = MissionFactory(
        programme=programme,
        mission_type=errands,
        resident=resident,
        quartier=quartier,
        title=f"Courses pour Mme {LAST_NAME}",
        description=f"Appeler au {PHONE} avant de passer.",
        place=ADDRESS,
        status=MissionStatus.DONE,
    )
    helper = make_volunteer(programme, [errands], email="aide@exemple.fr")
    assignment = AssignmentFactory(
        mission=done,
        volunteer=helper,
        status=AssignmentStatus.DONE,
        done_on=done.date,
        duration_minutes=50,
        completion_note=f"{FIRST_NAME} va mieux, elle remercie.",
    )
    KeepInTouchRequest.objects.create(assignment=assignment)
    OrientationRequest.objects.create(  # the handover to an association copied them
        structure=StructureFactory(name="Amitiés bretonnes", email="accueil@asso.example.fr"),
        prescriber=helper.user,
        prescriber_role="volontaire",
        assignment=assignment,
        first_name=FIRST_NAME,
        phone=PHONE,
        reason=f"Garder le lien avec {FIRST_NAME} {LAST_NAME}",
        consent_given=True,
        consent_recorded_at=resident.consent_recorded_at,
    )
    OrientationRequest.objects.create(  # somebody else's orientation, by an agent
        structure=StructureFactory(email="autre@asso.example.fr"),
        prescriber=staff,
        prescriber_role="agent",
        first_name="Personne d'ailleurs",
        reason="Une autre histoire",
        consent_given=True,
    )
    AssignmentFactory(
        mission=done,
        volunteer=make_volunteer(programme, [errands]),
        status=AssignmentStatus.DECLINED,
        decline_reason=f"Je connais {LAST_NAME}, je préfère pas.",
    )
    upcoming = MissionFactory(
        programme=programme, mission_type=errands, resident=resident, place=ADDRESS
    )
    # The back-office history: the admin writes the object's name, and the inline rows'.
    LogEntry.objects.log_actions(
        staff.pk,
        [done],
        CHANGE,
        change_message=[
            {"added": {"name": "proposition de mission", "object": str(assignment)}},
            {"changed": {"fields": ["Intitulé"]}},
        ],
    )
    return {
        "programme": programme,
        "resident": resident,
        "done": done,
        "upcoming": upcoming,
        "assignment": assignment,
    }


def change_in_back_office(client, resident: Resident) -> None:
    """A real back-office change of the resident's phone (the admin logs it by name)."""
    url = reverse("admin:volontaires_resident_change", args=[resident.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "programme": resident.programme_id,
            "first_name": resident.first_name,
            "last_name": resident.last_name,
            "phone": PHONE,
            "address": resident.address,
            "commune": resident.commune,
            "quartier": resident.quartier_id,
            "needs": resident.needs,
            "language": resident.language_id,
            "referred_by": resident.referred_by,
            "consent_recorded_at_0": "2026-02-20",
            "consent_recorded_at_1": "10:15:00",
            "_save": "Enregistrer",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]


# --- Export --------------------------------------------------------------------------------


def test_the_agents_export_gives_the_residents_rows_and_is_logged(client, staff, case):
    resident = case["resident"]
    client.force_login(staff)

    response = client.get(reverse("volontaires:staff_resident_export", args=[resident.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="habitant-{resident.pk}.json"'
    data = json.loads(response.content)
    assert data["habitant"] == {
        "numero": resident.pk,
        "programme": case["programme"].name,
        "prenom": FIRST_NAME,
        "nom": LAST_NAME,
        "telephone": "02 99 00 00 00",
        "adresse": ADDRESS,
        "commune": "Rennes",
        "quartier": "Bréquigny",
        "besoins": NEEDS,
        "langue": "breton",
        "oriente_par": resident.get_referred_by_display(),
        "association_qui_oriente": None,
        "consentement_recueilli_le": data["habitant"]["consentement_recueilli_le"],
        "cree_le": data["habitant"]["cree_le"],
        "anonymise_le": None,
    }
    assert data["habitant"]["consentement_recueilli_le"].startswith(
        resident.consent_recorded_at.astimezone().date().isoformat()[:4]
    )
    missions = Mission.objects.filter(resident=resident).order_by("date", "pk")
    assert [m["numero"] for m in data["missions"]] == [mission.pk for mission in missions]
    done = next(m for m in data["missions"] if m["numero"] == case["done"].pk)
    assert done["intitule"] == f"Courses pour Mme {LAST_NAME}" and done["lieu"] == ADDRESS
    assert done["statut"] == "Réalisée" and done["date"] == "2026-03-02"
    assert [(i["statut"], i["duree_minutes"]) for i in done["interventions"]] == [
        ("Réalisée", 50),
        ("Déclinée", None),
    ]
    assert done["interventions"][0]["garder_le_lien"]["traitee"] is False
    # The handover made during their mission, and nobody else's orientation.
    [handover] = data["orientations"]
    assert handover["structure"] == "Amitiés bretonnes"
    assert handover["mission"]["numero"] == case["done"].pk
    assert handover["personne_orientee"] == {
        "prenom": FIRST_NAME,
        "nom": "",
        "telephone": PHONE,
        "adresse_email": "",
        "comment_la_joindre": "",
        "motif": f"Garder le lien avec {FIRST_NAME} {LAST_NAME}",
    }
    assert (handover["etat"], handover["anonymisee_le"]) == ("En attente de réponse", None)
    assert "Personne d'ailleurs" not in response.content.decode()
    # The helpers' identity is theirs, not the resident's.
    assert "aide@exemple.fr" not in response.content.decode()
    [entry] = ResidentAccessLog.objects.all()
    assert (entry.user, entry.resident_id, entry.source) == (
        staff,
        resident.pk,
        ResidentAccessSource.EXPORT,
    )
    assert entry.path == f"/volontaires/agents/habitants/{resident.pk}/donnees.json"


def test_only_agents_export_a_resident(client, case, coordinator_a, volunteer):
    url = reverse("volontaires:staff_resident_export", args=[case["resident"].pk])

    assert client.get(url).status_code == 302  # to the login page
    for user in (coordinator_a, volunteer):
        client.force_login(user)
        assert client.get(url).status_code == 403
    assert not ResidentAccessLog.objects.exists()


def test_an_unknown_resident_is_a_404(client, staff, case):
    client.force_login(staff)
    unknown = Resident.objects.order_by("-pk").first().pk + 1

    assert (
        client.get(reverse("volontaires:staff_resident_export", args=[unknown])).status_code == 404
    )
    assert (
        client.get(reverse("volontaires:staff_resident_erase", args=[unknown])).status_code == 404
    )


# --- Erasure -------------------------------------------------------------------------------


def test_erasure_leaves_no_identity_anywhere_and_the_figures_unchanged(client, staff, case):
    """GIVEN a resident with missions, notes, a declined reason naming them and back-office
    history WHEN an agent erases them (confirmation step) THEN no table holds their name,
    phone or address any more, the history entries stay without them, and bilan.json gives
    the same figures."""
    resident = case["resident"]
    client.force_login(staff)
    change_in_back_office(client, resident)
    figures_url = reverse("volontaires:figures_json") + "?programme=programme-habitants"
    before = client.get(figures_url).json()
    assert before["habitants"] == 1 and before["missions_realisees"] == 1
    assert rows_containing(LAST_NAME), "the test must start with the identity in the tables"
    history = LogEntry.objects.count()
    erase_url = reverse("volontaires:staff_resident_erase", args=[resident.pk])

    confirmation = client.get(erase_url)
    refused = client.post(erase_url, {})
    response = client.post(erase_url, {"confirm": "on"})

    assert confirmation.status_code == 200 and LAST_NAME in confirmation.content.decode()
    assert refused.status_code == 200
    assert "Cochez la case pour confirmer" in refused.content.decode()
    assert response.status_code == 302 and response.url == reverse("volontaires:staff_missions")
    assert any("sont effacées" in message for message in messages_of(response))
    for secret in SECRETS:
        assert rows_containing(secret) == [], secret
    assert client.get(figures_url).json() == before
    resident.refresh_from_db()
    assert resident.anonymised_at is not None
    assert str(resident) == f"Habitant·e anonymisé·e n°{resident.pk}"
    assert (resident.phone, resident.address, resident.needs, resident.language) == (
        "",
        "",
        "",
        None,
    )
    assert resident.quartier.name == "Bréquigny"  # coarse, and counted by quartier
    done = Mission.objects.get(pk=case["done"].pk)
    assert (done.title, done.description, done.place) == ("Portage de courses — Bréquigny", "", "")
    assert done.status == MissionStatus.DONE
    assert Assignment.objects.filter(mission=done, status=AssignmentStatus.DONE).count() == 1
    assert LogEntry.objects.count() == history  # the entries stay, without the identity
    mission_entry = LogEntry.objects.get(object_id=str(done.pk), content_type__model="mission")
    assert mission_entry.object_repr == "Portage de courses — Bréquigny"
    assert mission_entry.get_change_message()  # still says what was done, without names
    sources = list(
        ResidentAccessLog.objects.filter(resident=resident)
        .order_by("pk")
        .values_list("source", flat=True)
    )
    assert sources == [
        ResidentAccessSource.BACK_OFFICE_CHANGE,
        ResidentAccessSource.ERASURE_CONFIRMATION,
        ResidentAccessSource.ERASURE_CONFIRMATION,
        ResidentAccessSource.ERASURE,
    ]


def test_a_second_erasure_writes_nothing(client, staff, case):
    client.force_login(staff)
    erase_url = reverse("volontaires:staff_resident_erase", args=[case["resident"].pk])
    client.post(erase_url, {"confirm": "on"})
    erased_at = Resident.objects.get(pk=case["resident"].pk).anonymised_at
    logs = ResidentAccessLog.objects.count()

    again = client.post(erase_url, {"confirm": "on"})

    assert again.status_code == 200
    assert "ont déjà été effacées" in again.content.decode()
    assert Resident.objects.get(pk=case["resident"].pk).anonymised_at == erased_at
    assert ResidentAccessLog.objects.count() == logs


def test_the_erased_resident_shows_as_such_to_staff(client, staff, case):
    client.force_login(staff)
    client.post(
        reverse("volontaires:staff_resident_erase", args=[case["resident"].pk]), {"confirm": "on"}
    )

    page = client.get(reverse("volontaires:staff_mission", args=[case["done"].pk]))
    listing = client.get(reverse("volontaires:staff_missions") + "?status=")
    admin_change = client.get(
        reverse("admin:volontaires_resident_change", args=[case["resident"].pk])
    )
    export = resident_export(Resident.objects.get(pk=case["resident"].pk))
    mission_history = client.get(
        reverse("admin:volontaires_mission_history", args=[case["done"].pk])
    )

    assert "ont été effacées le" in page.content.decode()
    assert f"Habitant·e anonymisé·e n°{case['resident'].pk}" in listing.content.decode()
    assert admin_change.status_code == 200
    assert "Effacer ses données" not in admin_change.content.decode()
    assert 'name="phone"' not in admin_change.content.decode()  # read-only from now on
    assert export["habitant"]["prenom"] == "anonymisé·e"
    [handover] = export["orientations"]
    assert handover["personne_orientee"] is None and handover["anonymisee_le"] is not None
    assert mission_history.status_code == 200  # the rewritten history still reads
    assert "Portage de courses — Bréquigny" in mission_history.content.decode()
    for secret in SECRETS:
        assert secret not in json.dumps(export, ensure_ascii=False)


def test_only_agents_reach_the_erasure(client, case, coordinator_a, volunteer):
    url = reverse("volontaires:staff_resident_erase", args=[case["resident"].pk])

    assert client.post(url, {"confirm": "on"}).status_code == 302
    for user in (coordinator_a, volunteer):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.post(url, {"confirm": "on"}).status_code == 403
    assert Resident.objects.get(pk=case["resident"].pk).anonymised_at is None


def test_the_back_office_offers_export_and_erasure_but_no_deletion(client, staff, case):
    client.force_login(staff)
    resident = case["resident"]

    change = client.get(reverse("admin:volontaires_resident_change", args=[resident.pk]))
    delete = client.get(reverse("admin:volontaires_resident_delete", args=[resident.pk]))

    page = change.content.decode()
    assert reverse("volontaires:staff_resident_export", args=[resident.pk]) in page
    assert reverse("volontaires:staff_resident_erase", args=[resident.pk]) in page
    assert delete.status_code == 403
    assert Resident.objects.filter(pk=resident.pk).exists()


def test_no_change_history_table_holds_the_residents_rows():
    """The erasure rewrites the admin's LogEntry rows only: should Resident, Mission,
    Assignment or KeepInTouchRequest get a django-simple-history table, the erasure must
    purge it too (this test says so before a resident's name stays in it)."""
    assert Convention._meta.db_table in registered_models  # what a tracked model looks like
    for model in (Resident, Mission, Assignment, KeepInTouchRequest):
        assert model._meta.db_table not in registered_models, model
