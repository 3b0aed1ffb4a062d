"""Open data in the data·inclusion v1 schema: every exported structure and service validates
with the `data-inclusion-schema` package's own models; export → import into an empty database
→ export gives the same JSON; the import is idempotent, and refuses malformed files or files of
another schema version with the line and the field, writing nothing."""

import json
from io import StringIO

import pytest
from data_inclusion.schema import v1
from django.core.management import CommandError, call_command
from django.urls import reverse

from associations.models import OrientationRequest, Service, ServiceChange, ServiceStop, Structure
from tests.factories import ServiceFactory


def exported(client) -> tuple[list[dict], list[dict]]:
    structures = client.get(reverse("associations:data_inclusion_structures"))
    services = client.get(reverse("associations:data_inclusion_services"))
    assert structures.status_code == services.status_code == 200
    assert structures["Content-Type"] == "application/json"
    return structures.json(), services.json()


def write(tmp_path, name: str, items) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(items, ensure_ascii=False, indent=2), encoding="utf-8")
    return str(path)


@pytest.mark.django_db
def test_every_exported_item_of_the_demo_validates_with_the_schema_package(client):
    call_command("load_demo", stdout=StringIO())
    structures, services = exported(client)
    assert len(structures) >= 8 and len(services) >= 9
    for item in structures:
        v1.Structure.model_validate(item, context={"ignore_warnings": False})
    for item in services:
        v1.Service.model_validate(item, context={"ignore_warnings": False})
    ids = {item["id"] for item in structures}
    assert all(item["structure_id"] in ids for item in services)
    maraude = next(item for item in services if item["id"] == "solidaren--croix-rouge-maraude")
    assert maraude["horaires_accueil"] == (
        "Tu,Th,Sa 19:30-20:30, Tu,Th,Sa 20:45-21:30, We 19:30-20:30"
    )


@pytest.mark.django_db
def test_no_personal_contact_is_published(client):
    ServiceFactory(
        phone="06 12 34 56 78", email="marie.dupont@exemple.fr", contact_is_organisation=False
    )
    ServiceFactory(phone="02 99 00 00 00", email="accueil@asso.example.fr")
    _structures, services = exported(client)
    assert [(item["telephone"], item["courriel"]) for item in services] == [
        (None, None),
        ("02 99 00 00 00", "accueil@asso.example.fr"),
    ]
    assert all(item["contact_nom_prenom"] is None for item in services)


@pytest.mark.django_db
def test_round_trip_export_import_into_an_empty_database_export(client, tmp_path):
    call_command("load_demo", stdout=StringIO())
    structures, services = exported(client)
    files = [
        write(tmp_path, "structures.json", structures),
        write(tmp_path, "services.json", services),
    ]

    # An empty directory: the demo's services, stops, changes and structures removed.
    OrientationRequest.objects.all().delete()
    ServiceStop.objects.all().delete()
    ServiceChange.objects.all().delete()
    Service.objects.all().delete()
    Structure.objects.all().delete()
    output = StringIO()
    call_command("import_data_inclusion", *files, stdout=output)
    assert f"structures {len(structures)} créées" in output.getvalue()

    again_structures, again_services = exported(client)
    assert json.dumps(again_structures, sort_keys=True) == json.dumps(structures, sort_keys=True)
    assert json.dumps(again_services, sort_keys=True) == json.dumps(services, sort_keys=True)

    # Idempotent: importing the same files again changes no row.
    counts = (Structure.objects.count(), Service.objects.count())
    output = StringIO()
    call_command("import_data_inclusion", *files, stdout=output)
    assert "0 créées" in output.getvalue() and "0 créés" in output.getvalue()
    assert (Structure.objects.count(), Service.objects.count()) == counts


STRUCTURE = {
    "source": "cd35",
    "id": "cd35--cdas-blosne",
    "nom": "CDAS du Blosne",
    "date_maj": "2026-10-01",
    "commune": "Rennes",
    "code_insee": "35238",
}
SERVICE = {
    "source": "cd35",
    "structure_id": "cd35--cdas-blosne",
    "id": "cd35--accueil-social",
    "nom": "Accueil social",
    "description": "Premier accueil social inconditionnel.",
    "date_maj": "2026-10-01",
    "thematiques": [
        "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits"
    ],
    "horaires_accueil": "Mo-Fr 09:00-12:00; PH off",
}


@pytest.mark.django_db
def test_a_departement_file_is_imported_with_its_source_and_id(tmp_path):
    path = write(tmp_path, "cd35.json", [STRUCTURE, SERVICE])
    call_command("import_data_inclusion", path, stdout=StringIO())
    call_command("import_data_inclusion", path, stdout=StringIO())
    service = Service.objects.get()
    assert (service.source, service.source_id, service.data_inclusion_id) == (
        "cd35",
        "accueil-social",
        "cd35--accueil-social",
    )
    assert service.structure.name == "CDAS du Blosne" and Structure.objects.count() == 1


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (
            [STRUCTURE, {**SERVICE, "thematiques": ["manger-chaud"]}],
            "ligne 10, champ « thematiques.0 » : valeur inconnue du schéma data·inclusion v1 : "
            "« manger-chaud »",
        ),
        (
            [STRUCTURE, {**SERVICE, "horaires_accueil": "lundi matin"}],
            "ligne 10, champ « horaires_accueil » : Horaires illisibles",
        ),
        (
            [STRUCTURE, {**SERVICE, "date_maj": None}],
            "ligne 10, champ « date_maj »",
        ),
        (
            [{**STRUCTURE, "typologie": "CCAS", "antenne": False}],
            "ligne 2, champ « antenne » : champ inconnu du schéma data·inclusion v1 : le fichier "
            "est-il d'une autre version du schéma ?",
        ),
        (
            [{**SERVICE, "structure_id": "cd35--inconnue"}],
            "ligne 2, champ « structure_id » : structure « cd35--inconnue » absente",
        ),
    ],
)
@pytest.mark.django_db
def test_a_bad_file_is_refused_with_its_line_and_field_and_nothing_is_written(
    tmp_path, items, message
):
    path = write(tmp_path, "mauvais.json", items)
    with pytest.raises(CommandError) as refused:
        call_command("import_data_inclusion", path, stdout=StringIO())
    assert "Import annulé, rien n'a été enregistré." in str(refused.value)
    assert message in str(refused.value)
    assert not Structure.objects.exists() and not Service.objects.exists()


@pytest.mark.django_db
def test_malformed_json_names_its_line(tmp_path):
    path = tmp_path / "casse.json"
    path.write_text('[\n  {"source": "cd35",\n   "id": }\n]', encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("import_data_inclusion", str(path), stdout=StringIO())
    assert "casse.json, ligne 3, colonne 10 : JSON mal formé" in str(refused.value)


@pytest.mark.django_db
def test_a_coordinator_edit_of_the_fiche_reaches_the_published_structure(
    client, association_a, coordinator_a
):
    from associations.structures import structure_of

    structure = structure_of(association_a)
    client.force_login(coordinator_a)
    client.post(
        reverse("associations:edit", args=[association_a.slug]),
        {"description": "Accueil et écoute", "commune": "Rennes", "phone": "02 99 99 99 99"},
    )
    structure.refresh_from_db()
    assert (structure.description, structure.phone) == ("Accueil et écoute", "02 99 99 99 99")
    published = client.get(reverse("associations:data_inclusion_structures")).json()
    assert published[0]["telephone"] == "02 99 99 99 99"
