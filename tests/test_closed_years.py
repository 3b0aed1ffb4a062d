"""Closed years stay closed (issue 9, must-show 3).

Once a year's report is validated, its commitments, payments and in-kind values cannot be
changed nor deleted: not through the model services (the shell), the back-office change and
delete pages, the bulk delete action, nor the inlines. An in-kind support's new value applies
from an open year on and leaves the closed year's totals and annual report as they were."""

import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from associations.models import Premises
from conventions import rules, totals
from conventions.annual_report import annual_report_data
from conventions.models import (
    Commitment,
    Convention,
    InKindSupport,
    InKindValue,
    Payment,
    ReportStatus,
)
from tests.factories import (
    CommitmentFactory,
    ConventionFactory,
    FunderFactory,
    UserFactory,
    YearlyReportFactory,
    give_totp,
)

CLOSED = re.escape("année 2023 est close (compte rendu validé)")


@pytest.fixture
def ville(db):
    return FunderFactory(name="Ville de Rennes")


@pytest.fixture
def closed(ville):
    """A signed 2023–2026 convention whose 2023 report is validated, with one row of each."""
    convention = ConventionFactory(funders=[ville])
    premises = Premises.objects.create(
        association=convention.association, label="Local", address="1 rue de Brest"
    )
    rows = {
        "convention": convention,
        "commitment": CommitmentFactory(convention=convention, funder=ville, year=2023),
        "open_commitment": CommitmentFactory(convention=convention, funder=ville, year=2024),
        "payment": Payment.objects.create(
            convention=convention, funder=ville, year=2023, amount=Decimal("1000")
        ),
        "support": InKindSupport.objects.create(
            convention=convention, funder=ville, premises=premises, yearly_value=Decimal("3000")
        ),
    }
    YearlyReportFactory(convention=convention, year=2023, status=ReportStatus.VALIDATED)
    return rows


@pytest.fixture
def superuser_client(client, db):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    give_totp(superuser)
    client.force_login(superuser)
    return client


# --- services (the shell) ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["commitment", "payment"])
def test_the_models_refuse_to_change_or_delete_a_closed_years_row(closed, name):
    row = closed[name]
    row.amount = Decimal("1")
    with pytest.raises(ValidationError, match=CLOSED):
        row.save()
    with pytest.raises(ValidationError, match=CLOSED):
        type(row).objects.get(pk=row.pk).delete()
    with pytest.raises(ValidationError, match=CLOSED):
        type(row).objects.filter(pk=row.pk).delete()
    assert type(row).objects.get(pk=row.pk).amount != Decimal("1")


def test_an_open_years_row_is_still_deleted(closed):
    closed["open_commitment"].delete()
    assert not Commitment.objects.filter(pk=closed["open_commitment"].pk).exists()


def test_the_in_kind_supports_first_value_and_the_support_are_kept(closed):
    support = closed["support"]
    support.yearly_value = Decimal("5000")
    with pytest.raises(ValidationError, match=CLOSED):
        support.full_clean()
    with pytest.raises(ValidationError, match=CLOSED):
        support.save()
    with pytest.raises(ValidationError, match=CLOSED):
        InKindSupport.objects.get(pk=support.pk).delete()
    assert InKindSupport.objects.get(pk=support.pk).yearly_value == Decimal("3000")


def test_a_convention_with_a_closed_year_cannot_be_deleted(closed):
    with pytest.raises(ValidationError, match=CLOSED):
        Convention.objects.filter(pk=closed["convention"].pk).delete()
    with pytest.raises(ValidationError, match=CLOSED):
        closed["convention"].delete()
    assert Commitment.objects.filter(pk=closed["commitment"].pk).exists()


def test_a_new_in_kind_value_applies_from_an_open_year_and_never_rewrites_a_closed_one(closed):
    convention, support = closed["convention"], closed["support"]
    report_2023_before = annual_report_data(2023)
    table_before = totals.yearly_table(convention)

    value = InKindValue(support=support, from_year=2025, value=Decimal("4800"))
    value.full_clean()
    value.save()

    table = totals.yearly_table(convention)
    assert [row.in_kind for row in table.rows] == [
        Decimal("3000"),
        Decimal("3000"),
        Decimal("4800"),
        Decimal("4800"),
    ]
    assert table.rows[0].in_kind == table_before.rows[0].in_kind
    report_2023 = annual_report_data(2023)
    assert report_2023["in_kind_total"] == report_2023_before["in_kind_total"] == Decimal("3000")
    assert [r.in_kind for r in report_2023["rows"]] == [
        r.in_kind for r in report_2023_before["rows"]
    ]
    assert annual_report_data(2025)["in_kind_total"] == Decimal("4800")
    in_kind_2023 = [t.in_kind for t in rules.support_totals(2023)]
    assert in_kind_2023 == [Decimal("3000")]


def test_a_value_starting_in_a_closed_year_is_refused(closed):
    value = InKindValue(support=closed["support"], from_year=2023, value=Decimal("1"))
    with pytest.raises(ValidationError) as error:
        value.full_clean()
    assert error.value.message_dict["from_year"] == [
        "L'année 2023 est close (compte rendu validé) : une nouvelle valeur ne peut "
        "s'appliquer qu'à partir d'une année ouverte."
    ]
    with pytest.raises(ValidationError, match=CLOSED):
        value.save()
    assert not InKindValue.objects.exists()


def test_a_value_of_a_year_closed_later_can_no_longer_be_changed_or_deleted(closed):
    value = InKindValue.objects.create(
        support=closed["support"], from_year=2024, value=Decimal("3500")
    )
    YearlyReportFactory(convention=closed["convention"], year=2024, status=ReportStatus.VALIDATED)
    value.value = Decimal("9999")
    with pytest.raises(ValidationError, match="année 2024 est close"):
        value.save()
    with pytest.raises(ValidationError, match="année 2024 est close"):
        InKindValue.objects.filter(pk=value.pk).delete()
    assert InKindValue.objects.get(pk=value.pk).value == Decimal("3500")


# --- the back-office --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["commitment", "payment"])
def test_the_change_and_delete_pages_refuse_a_closed_years_row(superuser_client, closed, name):
    row = closed[name]
    model = type(row)._meta.model_name
    change = reverse(f"admin:conventions_{model}_change", args=[row.pk])

    page = superuser_client.get(change)
    assert page.status_code == 200
    assert "année close (compte rendu validé)" in page.content.decode()
    posted = superuser_client.post(
        change,
        {
            "convention": row.convention_id,
            "funder": row.funder_id,
            "year": 2023,
            "kind": "fonctionnement",
            "amount": "1.00",
        },
    )
    assert posted.status_code == 403

    delete = reverse(f"admin:conventions_{model}_delete", args=[row.pk])
    assert superuser_client.get(delete).status_code == 403
    assert superuser_client.post(delete, {"post": "yes"}).status_code == 403
    row.refresh_from_db()
    assert row.amount != Decimal("1.00")


@pytest.mark.parametrize("model", [Commitment, Payment, InKindSupport, Convention])
def test_the_bulk_delete_action_refuses_a_closed_years_rows(superuser_client, closed, model):
    rows = model.objects.all()
    pks = list(rows.values_list("pk", flat=True))
    url = reverse(f"admin:conventions_{model._meta.model_name}_changelist")

    response = superuser_client.post(
        url, {"action": "delete_selected", "_selected_action": pks, "post": "yes"}
    )

    assert response.status_code == 200
    assert "est close (compte rendu validé), rien ne peut en être supprimé" in (
        response.content.decode().replace("&#x27;", "'")
    )
    assert model.objects.filter(pk__in=pks).count() == len(pks)


def test_the_bulk_delete_action_still_deletes_open_years_rows(superuser_client, closed):
    pk = closed["open_commitment"].pk
    url = reverse("admin:conventions_commitment_changelist")
    response = superuser_client.post(
        url, {"action": "delete_selected", "_selected_action": [pk], "post": "yes"}
    )
    assert response.status_code == 302
    assert not Commitment.objects.filter(pk=pk).exists()


def test_the_conventions_inlines_refuse_deleting_a_closed_years_row(superuser_client, closed):
    convention, ville = closed["convention"], closed["commitment"].funder
    url = reverse("admin:conventions_convention_change", args=[convention.pk])
    page = superuser_client.get(url)
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and not isinstance(value, list)
    }
    data.update({"association": convention.association_id, "status": convention.status})
    for key in (
        "start_date",
        "end_date",
        "association_signed_on",
        "republican_contract_attested_on",
    ):
        data[key] = getattr(convention, key).isoformat()
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        prefix = formset.formset.prefix
        data.update({f"{prefix}-{k}": v for k, v in management.initial.items()})
        for index, inline_form in enumerate(formset.formset.forms):
            for name, field in inline_form.fields.items():
                value = inline_form.initial.get(name, field.initial)
                if hasattr(value, "pk"):
                    value = value.pk
                if value is not None:
                    data[f"{prefix}-{index}-{name}"] = value
    # Delete the 2023 commitment through its inline row.
    commitment_prefix = next(
        f.formset.prefix
        for f in page.context["inline_admin_formsets"]
        if f.formset.model is Commitment
    )
    index = next(
        i
        for i, f in enumerate(
            next(
                x.formset
                for x in page.context["inline_admin_formsets"]
                if x.formset.model is Commitment
            ).forms
        )
        if f.instance.pk == closed["commitment"].pk
    )
    data[f"{commitment_prefix}-{index}-DELETE"] = "on"

    response = superuser_client.post(url, data)

    assert response.status_code == 200
    assert "rien ne peut en être supprimé" in response.content.decode().replace("&#x27;", "'")
    assert Commitment.objects.filter(pk=closed["commitment"].pk).exists()
    assert ville.pk  # the funder is untouched


def test_a_value_from_an_open_year_is_added_on_the_supports_page(superuser_client, closed):
    support = closed["support"]
    url = reverse("admin:conventions_inkindsupport_change", args=[support.pk])
    data = {
        "convention": support.convention_id,
        "funder": support.funder_id,
        "kind": support.kind,
        "premises": support.premises_id,
        "description": "",
        "yearly_value": "3000.00",
        "values-TOTAL_FORMS": "1",
        "values-INITIAL_FORMS": "0",
        "values-MIN_NUM_FORMS": "0",
        "values-MAX_NUM_FORMS": "1000",
        "values-0-from_year": "2023",
        "values-0-value": "9000",
    }
    refused = superuser_client.post(url, data)
    assert refused.status_code == 200
    assert "une nouvelle valeur ne peut s&#x27;appliquer qu&#x27;à partir d&#x27;une année" in (
        refused.content.decode()
    )
    assert not InKindValue.objects.exists()

    data["values-0-from_year"] = "2025"
    assert superuser_client.post(url, data).status_code == 302
    assert support.value_for(2023) == Decimal("3000")
    assert InKindSupport.objects.get(pk=support.pk).value_for(2025) == Decimal("9000")
