"""Bad input in the back-office gets a French form error (or a 4xx), never a 500 and never a
write: empty or tampered foreign keys in every add form and its inlines, and junk sent to the
autocomplete endpoint. No demo data: each test builds the rows it needs."""

import datetime
import json
from decimal import Decimal

import pytest
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse

from associations.models import Premises
from conventions import rules
from conventions.models import Commitment, InKindSupport, Payment, YearlyReport
from solidaren import roles
from solidaren.autocomplete import TamperProofAutocomplete
from tests.factories import (
    CommitmentFactory,
    ConventionFactory,
    FunderFactory,
    UserFactory,
    YearlyReportFactory,
    give_totp,
)

REQUIRED = "Ce champ est obligatoire."
INVALID_CHOICE = "Sélectionnez un choix valide"
NUL_REFUSED = "Le caractère nul n’est pas autorisé."
TAMPERED_KEYS = ["abc", "999999", "99999999999999999999", "7\x00"]
# On SQLite, Django's many-to-many check itself overflows on a key beyond 64 bits (a Django
# limitation outside the autocompletes): those fields get the other tampered values.
TAMPERED_MANY_KEYS = ["abc", "999999", "7\x00"]


@pytest.fixture
def agent(agent):
    agent.groups.add(roles.agents_group())
    return agent


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def superuser_client(client, db):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    give_totp(superuser)  # superusers need TOTP to open any page (solidaren.two_factor)
    client.force_login(superuser)
    return client


@pytest.fixture
def convention(db):
    """A signed 2023–2026 convention of Ville de Rennes, with premises of its association."""
    funder = FunderFactory(name="Ville de Rennes")
    convention = ConventionFactory(funders=[funder])
    Premises.objects.create(
        association=convention.association, label="Local de distribution", address="2 rue X"
    )
    return convention


def inline_management(page) -> dict[str, str]:
    """The management forms of the page's inlines, with no inline row."""
    data = {}
    for inline in page.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    return data


def valid_add_post(name: str, convention) -> dict[str, str]:
    """A complete add form for `name`, valid once a convention is chosen."""
    funder = convention.parties.get().funder_id
    return {
        "payment": {"funder": funder, "year": "2024", "amount": "1000.00"},
        "commitment": {"funder": funder, "year": "2024", "kind": "fonctionnement", "amount": "1"},
        "inkindsupport": {
            "funder": funder,
            "kind": "locaux",
            "premises": convention.association.premises.get().pk,
            "yearly_value": "1200.00",
        },
        "yearlyreport": {
            "year": "2024",
            "status": "brouillon",
            "beneficiaries_count": "0",
            "beneficiaries_outside_rennes_percent": "0",
            "volunteers_count": "0",
            "volunteer_hours": "0",
            "volunteer_hour_value": "17.00",
            "premises_value": "0",
        },
    }[name]


CONVENTION_ROWS = {
    "payment": Payment,
    "commitment": Commitment,
    "inkindsupport": InKindSupport,
    "yearlyreport": YearlyReport,
}


@pytest.mark.parametrize("name", CONVENTION_ROWS)
@pytest.mark.parametrize("value", ["", *TAMPERED_KEYS])
def test_amounts_and_reports_without_a_valid_convention_get_a_form_error(
    agent_client, convention, name, value
):
    """GIVEN an add form otherwise complete WHEN its convention is left empty or tampered with
    THEN the form says so in French, nothing is written; with the convention, it saves."""
    url = reverse(f"admin:conventions_{name}_add")
    page = agent_client.get(url)
    data = {**valid_add_post(name, convention), **inline_management(page)}

    response = agent_client.post(url, {**data, "convention": value})

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["convention"]
    expected = {"": REQUIRED, "7\x00": NUL_REFUSED}.get(value, INVALID_CHOICE)
    assert expected in errors["convention"][0]
    assert not CONVENTION_ROWS[name].objects.exists()

    saved = agent_client.post(url, {**data, "convention": convention.pk})
    assert saved.status_code == 302
    assert CONVENTION_ROWS[name].objects.get().convention == convention


@pytest.mark.parametrize("value", ["", "abc"])
def test_clearing_the_convention_of_an_amount_is_a_form_error(agent_client, convention, value):
    commitment = CommitmentFactory(convention=convention, funder=convention.parties.get().funder)
    url = reverse("admin:conventions_commitment_change", args=[commitment.pk])
    data = {
        "funder": commitment.funder_id,
        "year": commitment.year,
        "kind": commitment.kind,
        "amount": "1.00",
    }

    response = agent_client.post(url, {**data, "convention": value})

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["convention"]
    commitment.refresh_from_db()
    assert commitment.amount == Decimal("12500.00")


def test_the_rules_check_what_they_can_without_a_convention():
    """The rules never dereference a missing convention; the checks that do not need one
    still run, so the user sees every error at once."""
    payment = Payment(
        year=2024,
        amount=Decimal("10"),
        notified_on=datetime.date(2024, 5, 1),
        paid_on=datetime.date(2024, 4, 1),
    )
    with pytest.raises(ValidationError) as payment_error:
        rules.check_payment(payment)
    support = InKindSupport(kind=InKindSupport.Kind.PREMISES, yearly_value=Decimal("1"))
    with pytest.raises(ValidationError) as support_error:
        rules.check_in_kind_support(support)

    assert list(payment_error.value.message_dict) == ["paid_on"]
    assert list(support_error.value.message_dict) == ["premises"]
    rules.check_commitment(Commitment(year=2024, amount=Decimal("1")))
    rules.check_report(YearlyReport(year=2024))
    assert rules.convention_of(Payment()) is None


@pytest.mark.django_db
def test_the_rules_still_check_the_rows_of_a_convention_being_created():
    """A new convention's rows carry it before it has an id: they are checked against it."""
    funder, other = FunderFactory(), FunderFactory()
    convention = ConventionFactory.build(association=ConventionFactory().association)
    convention.pending_funder_ids = {funder.pk}
    commitment = Commitment(convention=convention, funder=other, year=2031, amount=Decimal("1"))

    with pytest.raises(ValidationError) as error:
        rules.check_commitment(commitment)

    assert set(error.value.message_dict) == {"year", "funder"}


# --- every add form of the back-office ------------------------------------------------------


def registered_admins():
    return [
        pytest.param(model, model_admin, id=model._meta.label)
        for model, model_admin in admin.site._registry.items()
    ]


def tampered_posts(page) -> list[tuple[str, dict[str, str]]]:
    """The empty form, then one post per key (of the form, or of a first row of each inline)
    and per tampered value."""
    empty = inline_management(page)
    keys = [(name, field, {}) for name, field in page.context["adminform"].form.fields.items()]
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        one_row = {f"{formset.prefix}-TOTAL_FORMS": "1"}
        keys += [
            (f"{formset.add_prefix(0)}-{name}", field, one_row)
            for name, field in formset.empty_form.fields.items()
        ]
    posts = [("vide", empty)]
    for name, field, rows in keys:
        if not isinstance(field, forms.ModelChoiceField):
            continue
        many = isinstance(field, forms.ModelMultipleChoiceField)
        for value in TAMPERED_MANY_KEYS if many else TAMPERED_KEYS:
            posts.append((f"{name}={value!r}", empty | rows | {name: value}))
    return posts


@pytest.mark.parametrize(("model", "model_admin"), registered_admins())
def test_no_add_form_answers_500_to_empty_or_tampered_keys(superuser_client, model, model_admin):
    """Superusers see every form: each add form, posted empty or with a tampered key in the
    form or in an inline row, answers with its form errors and writes nothing."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
    page = superuser_client.get(url)
    if not model_admin.has_add_permission(page.wsgi_request):
        assert page.status_code == 403  # produced by the workers, never typed in
        return
    inline_models = [inline.model for inline in model_admin.inlines]
    counts = {row_model: row_model.objects.count() for row_model in [model, *inline_models]}

    for label, data in tampered_posts(page):
        response = superuser_client.post(url, data)
        if label == "vide" and response.status_code == 302:
            continue  # every field of this model is optional (a task result): nothing was bad
        assert response.status_code == 200, label
        assert response.context["adminform"].form.errors or any(
            formset.formset.total_error_count()
            for formset in response.context["inline_admin_formsets"]
        ), label
        assert {m: m.objects.count() for m in counts} == counts, label


def test_every_autocomplete_field_uses_the_tamper_proof_widget():
    """A new admin or inline with autocomplete fields must mix in TamperProofAutocomplete."""
    model_admins = list(admin.site._registry.values())
    forgotten = [
        type(candidate).__name__ if not isinstance(candidate, type) else candidate.__name__
        for model_admin in model_admins
        for candidate in [model_admin, *model_admin.inlines]
        if candidate.autocomplete_fields
        and not (
            isinstance(candidate, TamperProofAutocomplete)
            or (isinstance(candidate, type) and issubclass(candidate, TamperProofAutocomplete))
        )
    ]
    assert forgotten == []
    assert sum(1 for model_admin in model_admins if model_admin.autocomplete_fields) >= 10


# --- the autocomplete endpoint --------------------------------------------------------------


AUTOCOMPLETE = "/back-office/autocomplete/"
PAYMENT_CONVENTION = "app_label=conventions&model_name=payment&field_name=convention"


@pytest.mark.parametrize(
    ("query", "expected", "finds_the_convention"),
    [
        ("", 403, None),
        ("app_label=conventions", 403, None),
        ("app_label=nope&model_name=payment&field_name=convention", 403, None),
        ("app_label=conventions&model_name=nope&field_name=convention", 403, None),
        ("app_label=conventions&model_name=payment&field_name=nope", 403, None),
        ("app_label=conventions&model_name=payment&field_name=amount", 403, None),  # no relation
        ("app_label=solidaren&model_name=user&field_name=groups", 403, None),  # agents: no groups
        ("app_label=auth&model_name=permission&field_name=content_type", 403, None),
        (PAYMENT_CONVENTION + "&page=abc", 404, None),
        (PAYMENT_CONVENTION + "&page=999", 404, None),
        (PAYMENT_CONVENTION + "&term=%00", 200, True),
        (PAYMENT_CONVENTION + "&term=CPO%00-TEST", 200, True),
        (PAYMENT_CONVENTION + "&term=" + "x" * 5000, 200, False),
        (PAYMENT_CONVENTION + "&term=CPO-TEST", 200, True),
        (
            "app_label=volontaires&model_name=mission&field_name=required_language&term=%00",
            200,
            False,
        ),
    ],
)
def test_the_autocomplete_answers_junk_with_a_4xx_or_json(
    agent_client, convention, query, expected, finds_the_convention
):
    response = agent_client.get(f"{AUTOCOMPLETE}?{query}")

    assert response.status_code == expected
    if finds_the_convention is not None:
        found = [result["id"] for result in json.loads(response.content)["results"]]
        assert found == ([str(convention.pk)] if finds_the_convention else [])


def test_a_superusers_autocomplete_search_survives_a_nul_character(superuser_client):
    """Django's own admins too (groups here): the search runs without the character."""
    response = superuser_client.get(
        f"{AUTOCOMPLETE}?app_label=solidaren&model_name=user&field_name=groups&term=Agents%00"
    )

    assert response.status_code == 200
    assert [r["text"] for r in json.loads(response.content)["results"]] == [roles.AGENTS_GROUP]


def test_a_tampered_report_year_is_a_form_error_too(agent_client, convention):
    """Not a key, but the same path through the rules: a year outside the convention."""
    report = YearlyReportFactory(convention=convention, year=2024)
    url = reverse("admin:conventions_yearlyreport_add")
    page = agent_client.get(url)
    data = {**valid_add_post("yearlyreport", convention), **inline_management(page)}

    response = agent_client.post(url, {**data, "convention": convention.pk, "year": "2031"})

    assert response.status_code == 200
    assert "Le compte rendu porte sur une année de la convention" in response.content.decode()
    assert list(YearlyReport.objects.all()) == [report]
