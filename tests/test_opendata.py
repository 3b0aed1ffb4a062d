"""Open-data export of the grants in the SCDL "subventions" 2.1.1 schema.

`schema_errors` re-implements the schema's per-column constraints, so that every row we publish
(the demo data's included) is checked against the schema rather than against our own code.
"""

import csv
import datetime
import io
import re
from decimal import Decimal, InvalidOperation

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conventions.models import (
    ConventionParty,
    ConventionStatus,
    GrantKind,
    InKindSupport,
    Payment,
    SubsidyNature,
)
from conventions.opendata import SCDL_COLUMNS, subsidy_rows
from tests.factories import (
    AssociationFactory,
    CommitmentFactory,
    ConventionFactory,
    FunderFactory,
    SubsidyFactory,
)

SCHEMA_COLUMNS = [
    "nomAttribuant", "idAttribuant", "dateConvention", "referenceDecision", "nomBeneficiaire",
    "idBeneficiaire", "rnaBeneficiaire", "objet", "montant", "nature", "conditionsVersement",
    "datesPeriodeVersement", "idRAE", "notificationUE", "pourcentageSubvention", "dispositifAide",
]  # fmt: skip

SIRET = re.compile(r"^\d{14}$")
RNA = re.compile(r"^W\d{9}$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
PERIOD = re.compile(r"^[0-9]{4}\-[0-9]{2}\-[0-9]{2}(\/[0-9]{4}\-[0-9]{2}\-[0-9]{2})?$")
DECIMAL_NUMBER = re.compile(r"^\d+\.\d+$")
MONEY, IN_KIND = "aide en numéraire", "aide en nature"
NATURES = {MONEY, IN_KIND, f"{MONEY};{IN_KIND}", f"{IN_KIND};{MONEY}"}
PAYMENT_TERMS = {"unique", "échelonné", "autre"}


def is_iso_date(value: str) -> bool:
    if not ISO_DATE.match(value):
        return False
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def is_period(value: str) -> bool:
    if not PERIOD.match(value):
        return False
    dates = value.split("/")
    if not all(is_iso_date(date) for date in dates):
        return False
    return dates[0] <= dates[-1]


def is_decimal_number(value: str, low: Decimal, high: Decimal | None = None) -> bool:
    if not DECIMAL_NUMBER.match(value):
        return False
    try:
        number = Decimal(value)
    except InvalidOperation:
        return False
    return number >= low and (high is None or number <= high)


def schema_errors(row: dict[str, str]) -> list[str]:
    """The columns of `row` that break the SCDL subventions 2.1.1 constraints."""
    in_kind_to_association = row["nature"] == IN_KIND and RNA.match(row["rnaBeneficiaire"])
    checks = {
        "nomAttribuant": bool(row["nomAttribuant"].strip()),
        "idAttribuant": bool(SIRET.match(row["idAttribuant"])),
        "dateConvention": is_iso_date(row["dateConvention"]),
        "referenceDecision": isinstance(row["referenceDecision"], str),
        "nomBeneficiaire": bool(row["nomBeneficiaire"].strip()),
        "idBeneficiaire": bool(SIRET.match(row["idBeneficiaire"]))
        or (row["idBeneficiaire"] == "" and bool(in_kind_to_association)),
        "rnaBeneficiaire": row["rnaBeneficiaire"] == "" or bool(RNA.match(row["rnaBeneficiaire"])),
        "objet": len(row["objet"].strip()) > 0 and len(row["objet"]) < 256,
        "montant": is_decimal_number(row["montant"], Decimal("0.01")),
        "nature": row["nature"] in NATURES,
        "conditionsVersement": row["conditionsVersement"] in PAYMENT_TERMS,
        "datesPeriodeVersement": is_period(row["datesPeriodeVersement"]),
        "idRAE": len(row["idRAE"]) < 5,
        "notificationUE": row["notificationUE"] in {"oui", "non"},
        "pourcentageSubvention": is_decimal_number(
            row["pourcentageSubvention"], Decimal("0.01"), Decimal("1")
        ),
        "dispositifAide": isinstance(row["dispositifAide"], str),
    }
    return [f"{column}={row[column]!r}" for column, valid in checks.items() if not valid]


def export(client, **params) -> list[dict[str, str]]:
    response = client.get(reverse("opendata_subsidies"), params)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))


def header(content: bytes) -> list[str]:
    return next(csv.reader(io.StringIO(content.decode("utf-8"))))


def summary(rows: list[dict[str, str]]) -> list[tuple[str, ...]]:
    columns = ["nomAttribuant", "idAttribuant", "dateConvention", "referenceDecision",
               "montant", "nature", "datesPeriodeVersement"]  # fmt: skip
    return [tuple(row[column] for column in columns) for row in rows]


@pytest.fixture
def ville(db):
    return FunderFactory(name="Ville de Rennes")


@pytest.fixture
def metropole(db):
    return FunderFactory(name="Rennes Métropole")


@pytest.fixture
def departement(db):
    return FunderFactory(name="Département d'Ille-et-Vilaine")


# --- the validator itself ---------------------------------------------------------------------


def valid_row() -> dict[str, str]:
    return {
        "nomAttribuant": "Ville de Rennes", "idAttribuant": "21350238800019",
        "dateConvention": "2022-11-07", "referenceDecision": "DCM 2022-0412",
        "nomBeneficiaire": "Association", "idBeneficiaire": "80000001000019",
        "rnaBeneficiaire": "W350000001", "objet": "Soutien", "montant": "47800.20",
        "nature": MONEY, "conditionsVersement": "échelonné",
        "datesPeriodeVersement": "2024-01-01/2024-12-31", "idRAE": "", "notificationUE": "non",
        "pourcentageSubvention": "1.00", "dispositifAide": "",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("idAttribuant", "213502388"),
        ("dateConvention", "07/11/2022"),
        ("dateConvention", "2022-02-30"),
        ("montant", "47 800,20"),
        ("montant", "47800"),
        ("nature", "subvention"),
        ("conditionsVersement", "échelonnée"),
        ("datesPeriodeVersement", "2024"),
        ("datesPeriodeVersement", "2024-12-31/2024-01-01"),
        ("pourcentageSubvention", "1"),
        ("pourcentageSubvention", "1.50"),
        ("rnaBeneficiaire", "W35"),
        ("objet", "x" * 256),
        ("idBeneficiaire", ""),
    ],
)
def test_the_validator_rejects_what_the_schema_rejects(column, value):
    assert schema_errors(valid_row()) == []
    assert schema_errors({**valid_row(), column: value}) == [f"{column}={value!r}"]


def test_the_validator_accepts_in_kind_grants_to_an_association_without_siret():
    assert schema_errors({**valid_row(), "idBeneficiaire": "", "nature": IN_KIND}) == []


# --- the file ---------------------------------------------------------------------------------


def test_header_is_the_sixteen_scdl_columns_in_order(client, db):
    response = client.get(reverse("opendata_subsidies"))

    assert SCDL_COLUMNS == SCHEMA_COLUMNS
    assert header(response.content) == SCHEMA_COLUMNS
    assert response.content.decode("utf-8") == ",".join(SCHEMA_COLUMNS) + "\r\n"


def test_the_file_is_public_csv_for_anonymous_and_signed_in_users(client, agent, ville):
    convention = ConventionFactory(funders=[ville])
    CommitmentFactory(convention=convention, funder=ville, year=2023)

    anonymous = client.get(reverse("opendata_subsidies"))
    client.force_login(agent)
    signed_in = client.get(reverse("opendata_subsidies"))

    assert anonymous.status_code == 200
    assert anonymous["Content-Type"] == "text/csv; charset=utf-8"
    assert anonymous["Content-Disposition"] == 'attachment; filename="subventions.csv"'
    assert signed_in.content == anonymous.content
    assert len(anonymous.content.decode("utf-8").splitlines()) == 2


def test_only_get_is_allowed(client, db):
    assert client.post(reverse("opendata_subsidies")).status_code == 405


# --- the rows ---------------------------------------------------------------------------------


def test_a_tripartite_convention_gives_one_row_per_funder_and_year(client, ville, metropole):
    """
    GIVEN a signed tripartite convention where the Ville and the Métropole commit money,
    WHEN the export is downloaded,
    THEN each funder's yearly total is one grant, under the funder's own SIRET and decision.
    """
    association = AssociationFactory(name="Cœurs Résistants", rna="W350000003")
    convention = ConventionFactory(
        association=association, funders=[ville, metropole], purpose="Repas solidaires",
        association_signed_on=datetime.date(2022, 12, 1),
    )  # fmt: skip
    ConventionParty.objects.filter(convention=convention, funder=metropole).update(signed_on=None)
    CommitmentFactory(convention=convention, funder=ville, year=2023, amount=Decimal("10000"))
    CommitmentFactory(
        convention=convention, funder=ville, year=2023, kind=GrantKind.PROJECT,
        amount=Decimal("2500.50"),
    )  # fmt: skip
    CommitmentFactory(convention=convention, funder=metropole, year=2023, amount=Decimal("8000"))
    CommitmentFactory(convention=convention, funder=ville, year=2024, amount=Decimal("47800.2"))
    CommitmentFactory(convention=convention, funder=metropole, year=2024, amount=Decimal("0"))
    Payment.objects.create(
        convention=convention, funder=ville, year=2023, amount=Decimal("12500.50"),
        paid_on=datetime.date(2023, 5, 10),
    )  # fmt: skip
    for month in (3, 9):
        Payment.objects.create(
            convention=convention, funder=ville, year=2024, amount=Decimal("23900.10"),
            paid_on=datetime.date(2024, month, 1),
        )  # fmt: skip

    rows = export(client)

    ville_ref = f"DEL-{convention.pk}-{ville.pk}"
    metropole_ref = f"DEL-{convention.pk}-{metropole.pk}"
    assert summary(rows) == [
        ("Rennes Métropole", metropole.siret, "2022-12-01", metropole_ref, "8000.00", MONEY,
         "2023-01-01/2023-12-31"),
        ("Ville de Rennes", ville.siret, "2022-11-07", ville_ref, "12500.50", MONEY,
         "2023-05-10"),
        ("Ville de Rennes", ville.siret, "2022-11-07", ville_ref, "47800.20", MONEY,
         "2024-01-01/2024-12-31"),
    ]  # fmt: skip
    assert ville.siret != metropole.siret
    for row in rows:
        assert row["nomBeneficiaire"] == "Cœurs Résistants"
        assert row["idBeneficiaire"] == association.siret
        assert row["rnaBeneficiaire"] == "W350000003"
        assert row["objet"] == "Repas solidaires"
        assert row["conditionsVersement"] == "échelonné"
        assert row["idRAE"] == row["dispositifAide"] == ""
        assert row["notificationUE"] == "non"
        assert row["pourcentageSubvention"] == "1.00"
        assert schema_errors(row) == []


def test_without_any_signature_date_the_convention_start_is_the_date(client, ville):
    convention = ConventionFactory(
        funders=[ville], association_signed_on=None, start_date=datetime.date(2023, 2, 1)
    )
    ConventionParty.objects.filter(convention=convention).update(signed_on=None)
    CommitmentFactory(convention=convention, funder=ville, year=2023)

    assert [row["dateConvention"] for row in export(client)] == ["2023-02-01"]


def test_in_kind_support_gives_in_kind_rows_for_each_year(client, ville, metropole):
    convention = ConventionFactory(funders=[ville, metropole])
    CommitmentFactory(convention=convention, funder=metropole, year=2023, amount=Decimal("8000"))
    InKindSupport.objects.create(
        convention=convention, funder=ville, kind=InKindSupport.Kind.OTHER,
        description="Prêt de salles", yearly_value=Decimal("9600"),
    )  # fmt: skip
    InKindSupport.objects.create(
        convention=convention, funder=metropole, kind=InKindSupport.Kind.SERVICES,
        yearly_value=Decimal("0"),
    )  # fmt: skip

    in_kind = [row for row in export(client) if row["nature"] == IN_KIND]

    ville_ref = f"DEL-{convention.pk}-{ville.pk}"
    assert summary(in_kind) == [
        ("Ville de Rennes", ville.siret, "2022-11-07", ville_ref, "9600.00", IN_KIND,
         f"{year}-01-01/{year}-12-31")
        for year in (2023, 2024, 2025, 2026)
    ]  # fmt: skip
    assert all(schema_errors(row) == [] for row in in_kind)


def test_one_off_subsidies_give_one_row_each(client, departement):
    association = AssociationFactory(name="Secours Populaire")
    SubsidyFactory(
        association=association, funder=departement, amount=Decimal("30000"),
        decision_reference="CP-2024-SOL", purpose="Aide exceptionnelle hiver",
    )  # fmt: skip
    SubsidyFactory(
        association=association, funder=departement, year=2025, nature=SubsidyNature.IN_KIND,
        amount=Decimal("1200.5"), decided_on=datetime.date(2025, 1, 20),
        payment_terms="autre",
    )  # fmt: skip
    SubsidyFactory(association=association, funder=departement, amount=Decimal("0"))

    rows = export(client)

    assert summary(rows) == [
        (departement.name, departement.siret, "2024-03-15", "CP-2024-SOL", "30000.00", MONEY,
         "2024-01-01/2024-12-31"),
        (departement.name, departement.siret, "2025-01-20", "", "1200.50", IN_KIND,
         "2025-01-01/2025-12-31"),
    ]  # fmt: skip
    assert [row["conditionsVersement"] for row in rows] == ["unique", "autre"]
    assert rows[0]["objet"] == "Aide exceptionnelle hiver"
    assert all(schema_errors(row) == [] for row in rows)


@pytest.mark.parametrize(
    ("status", "published"),
    [
        (ConventionStatus.DRAFT, False),
        (ConventionStatus.OUT_FOR_SIGNATURE, False),
        (ConventionStatus.IN_FORCE, True),
        (ConventionStatus.EXPIRED, True),
        (ConventionStatus.RENEWED, True),
    ],
)
def test_only_signed_conventions_are_published(client, ville, status, published):
    convention = ConventionFactory(funders=[ville], status=status)
    CommitmentFactory(convention=convention, funder=ville, year=2023)
    Payment.objects.create(
        convention=convention, funder=ville, year=2023, amount=Decimal("12500"),
        paid_on=datetime.date(2023, 4, 1),
    )  # fmt: skip
    InKindSupport.objects.create(
        convention=convention, funder=ville, kind=InKindSupport.Kind.OTHER,
        yearly_value=Decimal("1000"),
    )  # fmt: skip

    rows = export(client)

    assert len(rows) == (1 + 4 if published else 0)


def test_every_row_of_the_demo_data_follows_the_schema(client, db):
    call_command("load_demo", stdout=io.StringIO())

    rows = export(client)

    assert len(rows) > 100
    errors = {index: schema_errors(row) for index, row in enumerate(rows)}
    assert {index: found for index, found in errors.items() if found} == {}
    assert {row["nature"] for row in rows} == {MONEY, IN_KIND}
    restos_2024 = [
        (row["nomAttribuant"], row["montant"], row["nature"], row["datesPeriodeVersement"])
        for row in rows
        if row["nomBeneficiaire"] == "Restaurants du Cœur d'Ille-et-Vilaine"
        and row["datesPeriodeVersement"].startswith("2024")
    ]
    assert restos_2024 == [
        ("Département d'Ille-et-Vilaine", "110000.00", MONEY, "2024-01-01/2024-12-31"),
        ("Rennes Métropole", "21000.00", MONEY, "2024-05-30"),
        ("Ville de Rennes", "30000.00", IN_KIND, "2024-01-01/2024-12-31"),
        ("Ville de Rennes", "31000.00", MONEY, "2024-04-29"),
    ]


# --- year filter ------------------------------------------------------------------------------


def test_annee_keeps_one_year(client, ville, departement):
    convention = ConventionFactory(funders=[ville])
    for year in (2023, 2024, 2025):
        CommitmentFactory(convention=convention, funder=ville, year=year)
    SubsidyFactory(funder=departement, year=2024)
    SubsidyFactory(funder=departement, year=2023, decided_on=datetime.date(2023, 5, 2))

    rows = export(client, annee="2024")

    assert sorted((row["nomAttribuant"], row["datesPeriodeVersement"]) for row in rows) == [
        (departement.name, "2024-01-01/2024-12-31"),
        (ville.name, "2024-01-01/2024-12-31"),
    ]
    assert len(export(client)) == 5
    assert len(export(client, annee="")) == 5
    assert rows == subsidy_rows(2024)


@pytest.mark.parametrize("value", ["deux-mille", "24", "2024abc", "20 24", "٢٠٢٤", "0000"])
def test_a_bad_annee_is_a_400_with_a_french_message(client, db, value):
    response = client.get(reverse("opendata_subsidies"), {"annee": value})

    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "n'est pas une année valide" in response.content.decode("utf-8")


# --- management command -----------------------------------------------------------------------


def test_the_command_writes_the_same_csv_as_the_view(client, ville, metropole, tmp_path):
    convention = ConventionFactory(funders=[ville, metropole])
    CommitmentFactory(convention=convention, funder=ville, year=2023)
    CommitmentFactory(convention=convention, funder=metropole, year=2024)
    SubsidyFactory(purpose='Aide "hiver", 2024')

    stdout = io.StringIO()
    call_command("export_subventions", stdout=stdout)
    call_command("export_subventions", output=str(tmp_path / "s.csv"), stderr=io.StringIO())
    yearly = io.StringIO()
    call_command("export_subventions", "--year", "2024", stdout=yearly)

    view = client.get(reverse("opendata_subsidies")).content
    assert stdout.getvalue().encode("utf-8") == view
    assert (tmp_path / "s.csv").read_bytes() == view
    view_2024 = client.get(reverse("opendata_subsidies"), {"annee": "2024"}).content
    assert yearly.getvalue().encode("utf-8") == view_2024
    assert len(list(csv.DictReader(io.StringIO(view.decode())))) == 3


def test_the_command_refuses_a_bad_year(db):
    with pytest.raises(CommandError, match="n'est pas une année valide"):
        call_command("export_subventions", "--year", "vingt")


# --- queries ----------------------------------------------------------------------------------

# 7 since issue 9: the in-kind supports' values per year are one more (prefetched) query.
MAX_QUERIES = 7


def add_conventions(count: int, funders) -> None:
    for _ in range(count):
        convention = ConventionFactory(funders=funders)
        for funder in funders:
            CommitmentFactory(convention=convention, funder=funder, year=2024)
            Payment.objects.create(
                convention=convention, funder=funder, year=2024, amount=Decimal("12500"),
                paid_on=datetime.date(2024, 4, 2),
            )  # fmt: skip
        InKindSupport.objects.create(
            convention=convention, funder=funders[0], kind=InKindSupport.Kind.OTHER,
            yearly_value=Decimal("3000"),
        )  # fmt: skip
        SubsidyFactory(association=convention.association, funder=funders[0])


def test_the_number_of_queries_does_not_grow_with_the_conventions(
    django_assert_max_num_queries, ville, metropole
):
    rows_per_convention = 2 + 4 + 1  # two funders' money, 4 years in kind, one one-off subsidy
    add_conventions(10, [ville, metropole])
    with django_assert_max_num_queries(MAX_QUERIES), CaptureQueriesContext(connection) as for_10:
        rows = subsidy_rows()
    assert len(rows) == 10 * rows_per_convention

    add_conventions(90, [ville, metropole])
    with django_assert_max_num_queries(MAX_QUERIES), CaptureQueriesContext(connection) as for_100:
        rows = subsidy_rows()
    assert len(rows) == 100 * rows_per_convention

    assert len(for_100) == len(for_10) <= MAX_QUERIES
