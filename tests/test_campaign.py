"""The renewal campaign panel (conventions/campaign.py) on the staff dashboard and on the
coordinator's convention page: days left, where the renewal stands, the next action, and the
conventions ending within 60 days without a signed successor highlighted."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from conventions import campaign
from conventions.models import ConventionStatus, RequestStatus, SubsidyRequest
from tests.factories import AssociationFactory, ConventionFactory, FunderFactory


@pytest.fixture
def conventions(association_a):
    today = timezone.localdate()
    soon = today + datetime.timedelta(days=29)
    later = today + datetime.timedelta(days=200)
    ville = FunderFactory(name="Ville de Rennes")

    def ending(end, association=None, **kwargs):
        return ConventionFactory(
            association=association or AssociationFactory(),
            funders=[ville],
            start_date=datetime.date(end.year - 3, 1, 1),
            end_date=end,
            **kwargs,
        )

    rows = {
        "nothing": ending(soon, association_a),
        "requested": ending(soon),
        "successor_draft": ending(soon),
        "successor_signed": ending(soon),
        "later": ending(later),
        "far": ending(today + datetime.timedelta(days=500)),
    }
    SubsidyRequest.objects.create(
        association=rows["requested"].association,
        kind=SubsidyRequest.Kind.RENEWAL,
        renews=rows["requested"],
        first_year=soon.year + 1,
        last_year=soon.year + 4,
        status=RequestStatus.SUBMITTED,
    )
    for name, status in [
        ("successor_draft", ConventionStatus.DRAFT),
        ("successor_signed", ConventionStatus.SIGNED),
    ]:
        predecessor = rows[name]
        ConventionFactory(
            association=predecessor.association,
            funders=[ville],
            reference=f"{predecessor.reference}-SUITE",
            start_date=predecessor.end_date + datetime.timedelta(days=1),
            end_date=datetime.date(predecessor.end_date.year + 4, 12, 31),
            status=status,
            renews=predecessor,
        )
    return rows


def test_the_campaign_says_where_each_renewal_stands(conventions):
    today = timezone.localdate()
    rows = {row.convention.pk: row for row in campaign.renewal_campaign(today)}
    by_name = {name: rows.get(c.pk) for name, c in conventions.items()}

    assert by_name["far"] is None  # beyond 12 months
    assert by_name["nothing"].days_left == 29
    assert by_name["nothing"].stage == "Aucune demande de renouvellement"
    assert by_name["nothing"].action_url == reverse(
        "conventions:renew", args=[conventions["nothing"].pk]
    )
    assert by_name["requested"].stage == "Demande de renouvellement : déposée"
    assert by_name["requested"].action_label == "Instruire la demande"
    draft = by_name["successor_draft"]
    assert draft.stage.startswith("Convention suivante") and "brouillon" in draft.stage
    assert draft.action_label == "Relire et déclarer prête"
    assert [name for name, row in by_name.items() if row and row.urgent] == [
        "nothing",
        "requested",
        "successor_draft",
    ]
    assert not by_name["successor_signed"].urgent and not by_name["later"].urgent


def test_the_dashboard_shows_the_campaign_with_links(client, agent, conventions):
    client.force_login(agent)
    page = client.get(reverse("conventions:dashboard")).content.decode()
    # The summary card counts them (the five ending within 12 months).
    assert "<strong>5</strong> convention(s) arrivant à échéance dans les 12 mois" in page
    start = page.index('id="echeances"')
    content = page[start : page.index("</section>", start)]
    assert 'class="urgent"' in content
    assert "moins de 60 jours sans convention suivante signée" in content
    assert reverse("conventions:renew", args=[conventions["nothing"].pk]) in content
    assert reverse("conventions:renew_bulk") in content
    assert conventions["far"].reference not in content


def test_the_coordinator_sees_their_conventions_renewal(client, coordinator_a, conventions):
    client.force_login(coordinator_a)
    content = client.get(conventions["nothing"].get_absolute_url()).content.decode()
    assert "Aucune demande de renouvellement" in content
    assert "Déposer la demande de renouvellement" in content
    assert reverse("conventions:requests") in content
    assert reverse("conventions:renew", args=[conventions["nothing"].pk]) not in content
