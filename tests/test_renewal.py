"""Renewal (conventions/renewal.py): must-show 1 — the seven demo conventions renewed in one bulk
action and a confirmation — and the single "Renouveler", the back-office action, refusals."""

import datetime
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from conventions import renewal
from conventions.models import Commitment, Convention, ConventionStatus, GrantKind
from solidaren.demo import AGENT_EMAIL, DEMO_PASSWORD

# The demo's 2023–2026 conventions end on 31 December 2026: their renewal campaign is seen from
# its December (the dashboard's window is the next 12 months), whatever day the suite runs.
CAMPAIGN_DAY = time_machine.travel(
    datetime.datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Europe/Paris")), tick=True
)


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=StringIO())


@pytest.fixture
def staff_client(client, demo):
    assert client.login(email=AGENT_EMAIL, password=DEMO_PASSWORD)
    return client


def predecessors() -> list[Convention]:
    return list(
        Convention.objects.filter(start_date=datetime.date(2023, 1, 1)).order_by("reference")
    )


def check_successor(predecessor: Convention, indexation: Decimal) -> Convention:
    successor = Convention.objects.get(renews=predecessor)
    assert successor.start_date == datetime.date(2027, 1, 1)
    assert successor.end_date == datetime.date(2030, 12, 31)
    assert successor.status == ConventionStatus.DRAFT
    assert successor.reference == predecessor.reference.replace("2023", "2027")
    assert successor.association_id == predecessor.association_id
    assert "2027-2030" in successor.purpose
    # Nothing that must be attested again.
    assert successor.republican_contract_attested_on is None
    assert successor.association_signed_on is None
    assert not successor.signed_scan and successor.notified_on is None
    parties = {p.funder_id: p for p in successor.parties.all()}
    assert set(parties) == set(predecessor.parties.values_list("funder_id", flat=True))
    for party in predecessor.parties.all():
        assert parties[party.funder_id].signed_on is None
        assert parties[party.funder_id].decision_reference == ""
        assert parties[party.funder_id].signatory == party.signatory
    assert [(o.priority_id, o.title, o.indicators) for o in successor.objectives.all()] == [
        (o.priority_id, o.title, o.indicators) for o in predecessor.objectives.all()
    ]
    for party in predecessor.parties.all():
        last = predecessor.commitments.get(funder=party.funder, year=2026).amount
        amounts = [
            successor.commitments.get(
                funder=party.funder, year=year, kind=GrantKind.OPERATING
            ).amount
            for year in range(2027, 2031)
        ]
        factor = 1 + indexation / 100
        expected = [(last * factor**n).quantize(Decimal("0.01")) for n in range(1, 5)]
        assert amounts == expected, (predecessor.reference, amounts, expected)
    assert [
        (s.premises_id, s.funder_id, s.yearly_value) for s in successor.in_kind_supports.all()
    ] == [
        (s.premises_id, s.funder_id, s.value_for(2026)) for s in predecessor.in_kind_supports.all()
    ]
    return successor


@CAMPAIGN_DAY
def test_the_seven_demo_conventions_are_renewed_in_one_bulk_action(staff_client):
    """Must-show 1: the staff page lists the 7 (default window: the next 12 months), one
    confirmation with a 2 % indexation creates the 7 successors."""
    seven = predecessors()
    assert len(seven) == 7

    page = staff_client.get(reverse("conventions:renew_bulk"))
    content = page.content.decode()
    assert all(convention.reference in content for convention in seven)
    assert "Confirmer le renouvellement des 7 conventions" in content
    form = page.context["form"]
    response = staff_client.post(
        reverse("conventions:renew_bulk"),
        {
            "ending_from": form.cleaned_data["ending_from"].isoformat(),
            "ending_until": form.cleaned_data["ending_until"].isoformat(),
            "confirm": "1",
            "indexation_percent": "2",
        },
        follow=True,
    )

    assert "7 conventions renouvelées en brouillon." in response.content.decode()
    for predecessor in seven:
        check_successor(predecessor, Decimal("2"))

    # Again: nothing more is created, each refusal says why.
    again = staff_client.post(
        reverse("conventions:renew_bulk"),
        {
            "ending_from": form.cleaned_data["ending_from"].isoformat(),
            "ending_until": form.cleaned_data["ending_until"].isoformat(),
            "confirm": "1",
        },
        follow=True,
    )
    assert Convention.objects.filter(start_date=datetime.date(2027, 1, 1)).count() == 7
    assert "est déjà renouvelée par CPO-2027-" in again.content.decode()


def test_the_back_office_action_renews_the_selected_conventions(staff_client):
    seven = predecessors()
    url = reverse("admin:conventions_convention_changelist")
    selection = {"action": "renew_selected", "_selected_action": [c.pk for c in seven]}

    confirmation = staff_client.post(url, selection)
    assert confirmation.status_code == 200
    assert "Confirmer le renouvellement" in confirmation.content.decode()
    assert not Convention.objects.filter(renews__in=seven).exists()

    staff_client.post(url, {**selection, "confirm": "1", "indexation_percent": "0"})
    for predecessor in seven:
        check_successor(predecessor, Decimal("0"))


def test_renouveler_on_one_convention(staff_client):
    convention = Convention.objects.get(reference="CPO-2023-BA")
    detail = staff_client.get(convention.get_absolute_url()).content.decode()
    url = reverse("conventions:renew", args=[convention.pk])
    assert url in detail

    confirmation = staff_client.get(url)
    assert "1er janvier 2027" in confirmation.content.decode() or "janvier 2027" in (
        confirmation.content.decode()
    )
    bad = staff_client.post(url, {"indexation_percent": "abc"})
    assert bad.status_code == 200 and "Saisissez un nombre." in bad.content.decode()
    assert not Convention.objects.filter(renews=convention).exists()

    response = staff_client.post(url, {"indexation_percent": "1.5"})
    successor = check_successor(convention, Decimal("1.5"))
    assert response.url == successor.get_absolute_url()


def test_an_unsigned_or_already_renewed_convention_is_refused(demo):
    convention = Convention.objects.get(reference="CPO-2023-BA")
    successor = renewal.renew(convention)
    with pytest.raises(ValidationError, match="déjà renouvelée par CPO-2027-BA"):
        renewal.renew(convention)
    with pytest.raises(ValidationError, match="n'est pas signée"):
        renewal.renew(successor)
    with pytest.raises(ValidationError, match="entre -50 et 50"):
        renewal.renew(Convention.objects.get(reference="CPO-2023-ATD"), indexation_percent=99)
    assert Commitment.objects.filter(convention__renews__reference="CPO-2023-ATD").count() == 0


def test_coordinators_cannot_renew(client, demo):
    from tests.factories import UserFactory

    user = UserFactory()
    client.force_login(user)
    assert client.get(reverse("conventions:renew_bulk")).status_code == 403


def test_granted_amounts_replace_the_carried_ones_and_a_new_funder_joins(db):
    from tests.factories import CommitmentFactory, ConventionFactory, FunderFactory

    ville, departement = FunderFactory(name="Ville"), FunderFactory(name="Département")
    convention = ConventionFactory(funders=[ville], reference="CPO-2023-ZZ")
    CommitmentFactory(convention=convention, funder=ville, year=2026, amount=Decimal("9000"))

    successor = renewal.renew(
        convention,
        granted={
            (ville.pk, 2027): Decimal("9500"),
            (departement.pk, 2027): Decimal("3000"),
            (ville.pk, 2035): Decimal("1"),  # outside the successor's years: ignored
        },
    )

    assert successor.reference == "CPO-2027-ZZ"
    assert sorted(successor.parties.values_list("funder__name", flat=True)) == [
        "Département",
        "Ville",
    ]
    assert sorted(successor.commitments.values_list("funder__name", "year", "amount")) == [
        ("Département", 2027, Decimal("3000")),
        ("Ville", 2027, Decimal("9500")),
    ]
