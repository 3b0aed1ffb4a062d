"""Who sees which convention, association page and list — and at what cost in queries."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from conventions.models import Convention
from tests.factories import (
    AssociationFactory,
    CommitmentFactory,
    ConventionFactory,
    FunderFactory,
    MembershipFactory,
)


@pytest.fixture
def ville(db):
    return FunderFactory(name="Ville de Rennes")


@pytest.fixture
def convention_a(association_a, ville):
    convention = ConventionFactory(association=association_a, funders=[ville], reference="CPO-A")
    CommitmentFactory(convention=convention, funder=ville, year=2024, amount=12500)
    return convention


@pytest.fixture
def convention_b(association_b, ville):
    return ConventionFactory(association=association_b, funders=[ville], reference="CPO-B")


def test_anonymous_users_are_sent_to_login_for_conventions(client, convention_a):
    for url in (reverse("conventions:list"), convention_a.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_volunteers_see_no_convention(client, volunteer, convention_a):
    client.force_login(volunteer)

    assert client.get(reverse("conventions:list")).status_code == 403
    assert client.get(convention_a.get_absolute_url()).status_code == 403
    assert not Convention.objects.visible_to(volunteer).exists()


def test_a_coordinator_sees_only_their_association_conventions(
    client, coordinator_a, convention_a, convention_b
):
    client.force_login(coordinator_a)

    listing = client.get(reverse("conventions:list")).content.decode()
    assert "CPO-A" in listing and "CPO-B" not in listing

    detail = client.get(convention_a.get_absolute_url())
    assert detail.status_code == 200
    assert "12\u00a0500,00\u00a0€" in detail.content.decode()
    assert client.get(convention_b.get_absolute_url()).status_code == 404
    assert client.get(reverse("conventions:detail", args=[999999])).status_code == 404


def test_agents_see_every_convention(client, agent, convention_a, convention_b):
    client.force_login(agent)

    listing = client.get(reverse("conventions:list")).content.decode()

    assert "CPO-A" in listing and "CPO-B" in listing
    assert client.get(convention_b.get_absolute_url()).status_code == 200


def test_a_coordinator_edits_their_association_page_only(
    client, coordinator_a, association_a, association_b
):
    client.force_login(coordinator_a)

    response = client.post(
        reverse("associations:edit", args=[association_a.slug]),
        {
            "description": "Nouvelle présentation",
            "commune": "Rennes",
            "email": "",
            "website": "",
            "publics": "",
            "address": "",
            "postal_code": "35000",
            "phone": "",
        },
    )
    assert response.status_code == 302
    association_a.refresh_from_db()
    assert association_a.description == "Nouvelle présentation"

    assert client.get(reverse("associations:edit", args=[association_b.slug])).status_code == 403
    response = client.post(
        reverse("associations:edit", args=[association_b.slug]),
        {"description": "Piratage", "commune": "Rennes"},
    )
    assert response.status_code == 403
    association_b.refresh_from_db()
    assert association_b.description != "Piratage"


def test_association_edit_shows_french_errors(client, coordinator_a, association_a):
    client.force_login(coordinator_a)

    response = client.post(
        reverse("associations:edit", args=[association_a.slug]),
        {"description": "x", "commune": "Paris", "email": "pas-un-email", "postal_code": ""},
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "Saisissez une adresse de courriel valide." in content
    assert "Sélectionnez un choix valide." in content


def test_the_public_association_page_shows_only_public_fields(client, association_a, ville):
    convention = ConventionFactory(association=association_a, funders=[ville], reference="SECRET")
    association_a.description = "Présentation publique"
    association_a.save()

    content = client.get(association_a.get_absolute_url()).content.decode()

    assert "Présentation publique" in content
    assert convention.reference not in content
    assert association_a.siret not in content


@pytest.mark.django_db
def test_demo_conventions_and_renewal_chain_on_the_convention_page(client):
    call_command("load_demo", stdout=StringIO())
    in_force = Convention.objects.filter(status="en_vigueur")

    assert in_force.count() == 7
    assert {(c.start_date.isoformat(), c.end_date.isoformat()) for c in in_force} == {
        ("2023-01-01", "2026-12-31")
    }
    assert sorted(c.party_count for c in in_force) == [2, 2, 3, 3, 3, 3, 3]
    tripartite = {c.association.slug for c in in_force if c.party_count == 3}
    assert tripartite == {
        "secours-populaire-35",
        "croix-rouge-rennes",
        "restos-du-coeur-35",
        "banque-alimentaire",
        "coeurs-resistants",
    }

    client.login(
        email="coordination.secours-populaire-35@demo.solidaren.fr", password="solidaren-demo"
    )
    page = client.get(
        in_force.get(association__slug="secours-populaire-35").get_absolute_url()
    ).content.decode()
    timeline = page[page.index("Historique des conventions") :]
    positions = [timeline.index(f"CPO-{year}-SPF") for year in (2011, 2015, 2019, 2023)]
    assert positions == sorted(positions)
    first = in_force.get(association__slug="banque-alimentaire")
    assert first.renewal_chain() == [first]


def _many_conventions(count: int, coordinator, ville):
    for _ in range(count):
        association = AssociationFactory()
        MembershipFactory(user=coordinator, association=association)
        convention = ConventionFactory(association=association, funders=[ville])
        CommitmentFactory(convention=convention, funder=ville, year=2024)


@pytest.mark.parametrize("count", [10, 100])
def test_list_pages_do_not_issue_more_queries_with_more_rows(
    client, django_assert_max_num_queries, agent, ville, count
):
    coordinator = MembershipFactory().user
    _many_conventions(count, coordinator, ville)

    for user, url, budget in [
        (agent, reverse("conventions:list"), 12),
        (coordinator, reverse("conventions:list"), 12),
        (coordinator, reverse("associations:mine"), 12),
        (None, reverse("associations:list"), 10),
        (None, reverse("home"), 10),
    ]:
        if user is None:
            client.logout()
        else:
            client.force_login(user)
        with django_assert_max_num_queries(budget):
            assert client.get(url).status_code == 200


@pytest.mark.parametrize("count", [10, 100])
def test_back_office_lists_do_not_issue_more_queries_with_more_rows(
    client, django_assert_max_num_queries, agent, ville, count
):
    from tests.factories import SubsidyFactory, YearlyReportFactory

    agent.is_superuser = True
    agent.save()
    from tests.factories import give_totp

    give_totp(agent)  # superusers need TOTP to open any page (solidaren.two_factor)
    for _ in range(count):
        convention = ConventionFactory(funders=[ville])
        CommitmentFactory(convention=convention, funder=ville, year=2024)
        YearlyReportFactory(convention=convention, year=2024)
        SubsidyFactory(association=convention.association, funder=ville)
    client.force_login(agent)

    for name in [
        "conventions_convention",
        "conventions_commitment",
        "conventions_yearlyreport",
        "conventions_subsidy",
        "conventions_payment",
        "associations_association",
    ]:
        with django_assert_max_num_queries(20):
            assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200
