"""Must-show 5: /opendata/subventions.csv validated against the SCDL subventions 2.1.1 Table
Schema (tests/scdl/subventions-2.1.1.schema.json) with frictionless, plus the schema's extra
checks (the beneficiary's SIRET or RNA, the SIRET's form), on the demo data and after adding an
association without identifiers."""

import csv
import datetime
import json
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from frictionless import Resource, Schema, formats
from stdnum.fr import siret

from associations.models import Association
from conventions.models import Commitment, Convention, ConventionParty, ConventionStatus, Funder

SCHEMA_PATH = Path(__file__).parent / "scdl" / "subventions-2.1.1.schema.json"


def schema_descriptor() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def extra_check_errors(rows: list[dict[str, str]]) -> list[str]:
    """The schema's own custom checks (its `custom_checks`, as Validata runs them): one of the
    beneficiary's SIRET or RNA present; a SIRET, when given, a valid one (14 digits, Luhn)."""
    errors = []
    for check in schema_descriptor()["custom_checks"]:
        params = check["params"]
        for number, row in enumerate(rows, start=2):
            if check["name"] == "one-of-required":
                if not (row[params["column1"]] or row[params["column2"]]):
                    errors.append(f"ligne {number} : ni {params['column1']} ni {params['column2']}")
            elif check["name"] == "french-siret-value":
                value = row[params["column"]]
                if value and not siret.is_valid(value):
                    errors.append(f"ligne {number} : {params['column']}={value!r}")
            else:
                raise AssertionError(f"custom check {check['name']!r} not implemented here")
    return errors


def validate(content: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """Frictionless's errors (type, constraint, header) and the extra checks', in words."""
    schema = Schema.from_descriptor(
        {key: value for key, value in schema_descriptor().items() if key != "custom_checks"}
    )
    resource = Resource(
        data=content,
        format="csv",
        encoding="utf-8",
        schema=schema,
        control=formats.CsvControl(delimiter=","),
    )
    report = resource.validate()
    errors = [
        f"ligne {row}, {field} : {kind} ({note})"
        for row, field, kind, note in report.flatten(["rowNumber", "fieldName", "type", "note"])
    ]
    rows = list(csv.DictReader(StringIO(content.decode("utf-8"))))
    return errors + extra_check_errors(rows), rows


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=StringIO())


def export(client) -> bytes:
    response = client.get(reverse("opendata_subsidies"))
    assert response.status_code == 200
    return response.content


def test_the_schema_file_is_the_scdl_2_1_1(db):
    descriptor = schema_descriptor()
    assert descriptor["version"] == "2.1.1"
    from conventions.opendata import SCDL_COLUMNS

    assert [field["name"] for field in descriptor["fields"]] == SCDL_COLUMNS


def test_the_validator_catches_what_the_schema_forbids(db):
    """The check can fail: a row breaking the schema in several ways is reported."""
    from conventions.opendata import SCDL_COLUMNS

    bad = {
        "nomAttribuant": "Ville",
        "idAttribuant": "213502388",  # not 14 digits
        "dateConvention": "07/11/2022",  # not ISO
        "nomBeneficiaire": "Asso",
        "idBeneficiaire": "",
        "rnaBeneficiaire": "",  # neither SIRET nor RNA
        "objet": "Objet",
        "montant": "47 800,20",  # not a number with a point
        "nature": "subvention",  # not allowed
        "conditionsVersement": "unique",
        "datesPeriodeVersement": "2024",
        "notificationUE": "peut-être",
        "pourcentageSubvention": "1.50",  # above 1
    }
    buffer = StringIO()
    writer = csv.DictWriter(buffer, fieldnames=SCDL_COLUMNS)
    writer.writeheader()
    writer.writerow({column: bad.get(column, "") for column in SCDL_COLUMNS})
    errors, _rows = validate(buffer.getvalue().encode("utf-8"))
    text = "\n".join(errors)
    for column in [
        "idAttribuant",
        "dateConvention",
        "montant",
        "nature",
        "datesPeriodeVersement",
        "notificationUE",
        "pourcentageSubvention",
    ]:
        assert column in text, (column, text)
    assert "ni idBeneficiaire ni rnaBeneficiaire" in text


def test_the_demo_export_follows_the_scdl_schema(client, demo):
    errors, rows = validate(export(client))
    assert errors == []
    assert len(rows) > 50
    assert all(row["idBeneficiaire"] or row["rnaBeneficiaire"] for row in rows)


def test_an_association_without_identifiers_never_breaks_the_export(client, demo):
    """Its convention, entered before the rule (saved without `full_clean`), is signed with
    amounts: the export leaves it out rather than publish a row the schema refuses."""
    association = Association.objects.create(
        name="Association sans identifiant", slug="sans-identifiant", siret="", rna=""
    )
    ville = Funder.objects.get(name="Ville de Rennes")
    convention = Convention.objects.create(
        reference="CPO-2025-SANS",
        association=association,
        purpose="Soutien",
        start_date=datetime.date(2025, 1, 1),
        end_date=datetime.date(2026, 12, 31),
        status=ConventionStatus.IN_FORCE,
        association_signed_on=datetime.date(2024, 12, 1),
    )
    ConventionParty.objects.create(
        convention=convention, funder=ville, signed_on=datetime.date(2024, 12, 2)
    )
    Commitment.objects.create(
        convention=convention, funder=ville, year=2025, amount=Decimal("5000")
    )

    errors, rows = validate(export(client))

    assert errors == []
    assert "Association sans identifiant" not in {row["nomBeneficiaire"] for row in rows}
