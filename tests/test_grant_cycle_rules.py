"""The rules of issue 9 (conventions/rules.py, solidaren/identifiers.py), one test each with its
French message (must-show 4)."""

import datetime
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.utils import timezone

from associations.models import Association
from conventions import opendata, rules
from conventions.models import (
    BudgetLine,
    Convention,
    ConventionStatus,
    Funder,
    Subsidy,
    YearlyReport,
)
from conventions.reports import submit_report
from tests.factories import (
    AssociationFactory,
    CommitmentFactory,
    ConventionFactory,
    FunderFactory,
    UserFactory,
    YearlyReportFactory,
)

IDENTIFIER = (
    "Renseignez d'abord le SIRET ou le numéro RNA de l'association : l'un des deux est "
    "obligatoire pour signer une convention ou accorder une subvention, et pour la publier en "
    "données ouvertes."
)


@pytest.fixture
def ville(db):
    return FunderFactory(name="Ville de Rennes")


def test_the_cer_is_attested_on_or_before_the_associations_signature(ville):
    convention = ConventionFactory(
        funders=[ville],
        association_signed_on=datetime.date(2022, 11, 7),
        republican_contract_attested_on=datetime.date(2022, 11, 8),
    )
    with pytest.raises(ValidationError) as error:
        convention.full_clean()
    assert error.value.message_dict["republican_contract_attested_on"] == [
        "Le contrat d'engagement républicain doit être attesté au plus tard le jour où "
        "l'association signe (07/11/2022)."
    ]
    convention.republican_contract_attested_on = datetime.date(2022, 11, 7)
    convention.full_clean()  # the same day is fine


def test_the_cer_is_not_dated_in_the_future(ville):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    convention = ConventionFactory.build(
        association=AssociationFactory(),
        status=ConventionStatus.DRAFT,
        association_signed_on=None,
        republican_contract_attested_on=tomorrow,
    )
    with pytest.raises(ValidationError) as error:
        convention.full_clean()
    assert error.value.message_dict["republican_contract_attested_on"] == [
        "La date d'attestation du contrat d'engagement républicain est dans le futur."
    ]


def _report_with_gap(convention, actual: str, annex: str = "") -> YearlyReport:
    report = YearlyReportFactory(
        convention=convention, year=2025, qualitative_report="Bilan.", annex=annex
    )
    BudgetLine.objects.create(
        report=report,
        side=BudgetLine.Side.CHARGE,
        label="Achats alimentaires",
        planned=Decimal("10000"),
        actual=Decimal(actual),
    )
    return report


def test_the_annex_is_required_above_the_gap_threshold(ville, coordinator_a):
    convention = ConventionFactory(funders=[ville])
    report = _report_with_gap(convention, "12500")  # +25 %
    with pytest.raises(ValidationError) as error:
        submit_report(report, user=coordinator_a)
    assert error.value.messages == [
        "L'annexe explicative est obligatoire : l'écart entre prévu et réalisé dépasse 20 % "
        "sur « Achats alimentaires » (25,0 %)."
    ]
    assert YearlyReport.objects.get(pk=report.pk).status == "brouillon"
    report.annex = "Hausse des prix de l'alimentation."
    report.save()
    assert submit_report(report, user=coordinator_a).status == "soumis"


def test_the_gap_threshold_is_a_setting(ville, coordinator_a, settings):
    convention = ConventionFactory(funders=[ville])
    report = _report_with_gap(convention, "11500")  # +15 %: under 20 %
    assert rules.annex_error(report) is None
    settings.REPORT_ANNEX_GAP_PERCENT = 10
    assert "dépasse 10 %" in rules.annex_error(report)


def test_no_signature_without_siret_or_rna(ville):
    association = AssociationFactory(siret="", rna="")
    convention = ConventionFactory.build(association=association, status=ConventionStatus.IN_FORCE)
    with pytest.raises(ValidationError) as error:
        convention.full_clean()
    assert error.value.message_dict["association"] == [IDENTIFIER]
    association.rna = "W353001234"
    association.save()
    convention.full_clean()  # an RNA number is enough


def test_no_one_off_subsidy_without_siret_or_rna(ville):
    subsidy = Subsidy(
        association=AssociationFactory(siret="", rna=""),
        funder=ville,
        year=2026,
        amount=Decimal("5000"),
        purpose="Aide d'urgence",
        decided_on=datetime.date(2026, 3, 1),
    )
    with pytest.raises(ValidationError) as error:
        subsidy.full_clean()
    assert error.value.message_dict["association"] == [IDENTIFIER]


def test_the_open_data_export_never_emits_a_row_without_identifier(ville):
    """Data entered before the rule (saved without `full_clean`) are left out of the export."""
    without = AssociationFactory(name="Sans identifiant", siret="", rna="")
    with_rna = AssociationFactory(name="Avec RNA", siret="", rna="W2A1234567")
    for association in (without, with_rna):
        convention = ConventionFactory(association=association, funders=[ville])
        CommitmentFactory(convention=convention, funder=ville, year=2025)
        Subsidy.objects.create(
            association=association,
            funder=ville,
            year=2025,
            amount=Decimal("100"),
            purpose="Aide",
            decided_on=datetime.date(2025, 3, 1),
        )
    rows = opendata.subsidy_rows(2025)
    assert {row["nomBeneficiaire"] for row in rows} == {"Avec RNA"}
    assert all(row["idBeneficiaire"] or row["rnaBeneficiaire"] for row in rows)


@pytest.mark.parametrize("rna", ["W353001234", "W2A1234567", "W2B0012345", "w2b0012345"])
def test_rna_accepts_the_corsican_form(db, rna):
    association = AssociationFactory.build(rna=rna, siret="")
    association.full_clean(exclude=["slug"])
    association.clean()
    assert association.rna == rna.upper()


@pytest.mark.parametrize("rna", ["W35300123", "X353001234", "W35300123!", "W3530012345"])
def test_rna_refuses_other_forms(db, rna):
    association = AssociationFactory.build(rna=rna, siret="")
    with pytest.raises(ValidationError) as error:
        association.full_clean(exclude=["slug"])
    assert any(
        "n'est pas un numéro RNA valide : la lettre W suivie de 9 chiffres ou lettres "
        "majuscules (ex. W353001234, W2A1234567 en Corse)." in message
        for message in error.value.message_dict["rna"]
    )


def test_a_siret_typed_with_spaces_is_normalised(db):
    association = AssociationFactory.build(siret="", rna="")
    siret = "21350238800019"
    association.siret = "213 502 388 00019"
    association.full_clean(exclude=["slug"])
    assert association.siret == siret
    funder = Funder(name="Ville", kind=Funder.Kind.COMMUNE, siret="213 502 388 000 19")
    funder.full_clean()
    assert funder.siret == siret


def test_a_siret_typed_with_spaces_is_accepted_by_the_back_office(rf, db):
    from django.contrib import admin

    request = rf.get("/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    form_class = admin.site._registry[Association].get_form(request)
    form = form_class(
        data={
            "name": "Asso aux espaces",
            "slug": "asso-espaces",
            "siret": "213 502 388 00019",
            "commune": "Rennes",
        }
    )
    form.is_valid()
    assert "siret" not in form.errors
    assert form.cleaned_data["siret"] == "21350238800019"
    assert form.fields["siret"].widget.attrs["maxlength"] == "20"


def test_the_scdl_publication_deadline_is_tracked(ville):
    today = timezone.localdate()
    signed = today - datetime.timedelta(days=100)
    association = AssociationFactory(siret="", rna="")
    convention = Convention.objects.create(
        reference="CPO-SCDL",
        association=association,
        purpose="Objet",
        start_date=datetime.date(today.year + 1, 1, 1),
        end_date=datetime.date(today.year + 4, 12, 31),
        status=ConventionStatus.SIGNED,
        association_signed_on=signed - datetime.timedelta(days=5),
    )
    convention.parties.create(funder=ville, signed_on=signed)
    CommitmentFactory(convention=convention, funder=ville, year=today.year + 1)

    assert rules.scdl_deadline(convention) == signed + relativedelta(months=3)
    [row] = [r for r in rules.scdl_deadlines(today) if r.convention == convention]
    assert not row.published and row.is_late(today)  # 100 days > 3 months
    message = rules.scdl_deadline_message(row, today)
    assert message.startswith("La convention CPO-SCDL devait être publiée en données ouvertes")
    assert "renseignez le SIRET ou le RNA" in message

    association.siret = "21350238800019"
    association.save()
    assert rules.is_published_in_opendata(convention)
    assert convention not in [r.convention for r in rules.scdl_deadlines(today)]
