"""Freshness of the directory: badges, reminders past the frequency with a one-click
confirmation link, the coordinator's edit, the staff list (stalest first) and campaign; and the
orientation figures on the staff figures page."""

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from associations import freshness
from associations.models import OrientationRequest, Service
from associations.tasks import freshness_reminders
from tests.factories import ServiceFactory, StructureFactory


@pytest.mark.parametrize(
    ("age_days", "frequency", "expected"),
    [
        (10, 1, "a-jour"),
        (31, 1, "a-verifier"),
        (62, 1, "perime"),
        (80, 3, "a-jour"),
        (100, 3, "a-verifier"),
        (200, 3, "perime"),
        (360, 12, "a-jour"),
    ],
)
def test_freshness_badge(age_days, frequency, expected):
    today = datetime.date(2026, 12, 2)
    updated = today - datetime.timedelta(days=age_days)
    assert freshness.freshness(updated, frequency, today) == expected


def test_add_months_keeps_the_end_of_month():
    assert freshness.add_months(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)
    assert freshness.add_months(datetime.date(2027, 11, 30), 3) == datetime.date(2028, 2, 29)
    assert freshness.add_months(datetime.date(2026, 12, 2), -24) == datetime.date(2024, 12, 2)


@pytest.fixture
def stale(association_a, coordinator_a):
    structure = StructureFactory(association=association_a)
    today = timezone.localdate()
    return ServiceFactory(
        structure=structure,
        name="Vestiaire",
        update_frequency=1,
        updated_on=today - datetime.timedelta(days=45),
    )


def test_the_coordinator_confirms_in_one_click(
    client, stale, coordinator_a, django_capture_on_commit_callbacks
):
    fresh = ServiceFactory(structure=stale.structure, updated_on=timezone.localdate())
    with django_capture_on_commit_callbacks(execute=True):
        assert freshness_reminders.delay().get() == 1
        assert freshness_reminders.delay().get() == 0  # once per period
    assert [message.to for message in mail.outbox] == [[coordinator_a.email]]
    link = re.search(r"https?://\S+/services/confirmer/\S+/", mail.outbox[0].body).group(0)
    link = re.sub(r"^https?://[^/]+", "", link)
    assert "/modifier/" in mail.outbox[0].body

    anonymous = Client()
    page = anonymous.get(link)
    assert page.status_code == 200 and "toujours exact" in page.content.decode()
    stale.refresh_from_db()
    assert stale.updated_on < timezone.localdate()  # a GET changes nothing
    assert anonymous.post(link).status_code == 302
    stale.refresh_from_db()
    assert (stale.updated_on, stale.freshness_reminded_on) == (timezone.localdate(), None)
    used = anonymous.post(link)
    assert used.status_code == 403 and "déjà été confirmé" in used.content.decode()
    fresh.refresh_from_db()
    assert fresh.freshness_reminded_on is None


def test_the_coordinator_edits_a_service_and_bad_input_gets_french_messages(
    client, stale, coordinator_a, coordinator_b
):
    url = reverse("associations:service_edit", args=[stale.slug])
    client.force_login(coordinator_b)
    assert client.get(url).status_code == 403
    client.force_login(coordinator_a)
    data = {
        "service-name": "Vestiaire solidaire",
        "service-description": "Vêtements pour tous.",
        "service-thematiques": ["equipement-et-alimentation--habillement"],
        "service-publics": ["tous-publics"],
        "service-opening_hours": "mercredi après-midi",
        "service-welcome": "inconditionnel",
        "service-update_frequency": "3",
    }
    refused = client.post(url, data)
    assert "Horaires illisibles" in refused.content.decode()
    both = client.post(
        url, {**data, "service-opening_hours": "", "service-publics": ["tous-publics", "femmes"]}
    )
    assert "ne peut pas être combiné" in both.content.decode()
    stale.refresh_from_db()
    assert stale.name == "Vestiaire"
    saved = client.post(url, {**data, "service-opening_hours": "We 14:00-17:00"})
    assert saved.status_code == 302
    stale.refresh_from_db()
    assert (stale.name, stale.opening_hours, stale.updated_on) == (
        "Vestiaire solidaire",
        "We 14:00-17:00",
        timezone.localdate(),
    )
    closure = client.post(
        reverse("associations:service_change_add", args=[stale.slug]),
        {"change-starts_on": "2026-12-20", "change-ends_on": "2026-12-10"},
    )
    assert closure.status_code == 400
    assert "La fin de la période ne peut pas précéder son début." in closure.content.decode()
    assert not stale.changes.exists()


def test_staff_see_the_stalest_first_and_launch_a_campaign(
    client, agent, stale, django_capture_on_commit_callbacks
):
    older = ServiceFactory(
        name="Très ancien", updated_on=timezone.localdate() - datetime.timedelta(days=900)
    )
    older.structure.email = "accueil@ancien.example.fr"
    older.structure.save()
    ServiceFactory(name="Tout frais", updated_on=timezone.localdate())
    client.force_login(agent)
    page = client.get(reverse("associations:staff_services"))
    names = [row[0].name for row in page.context["page"]]
    assert names[:2] == ["Très ancien", "Vestiaire"] and names[-1] == "Tout frais"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("associations:staff_update_campaign"))
        client.post(reverse("associations:staff_update_campaign"))  # a campaign asks again
    assert len(mail.outbox) == 4
    assert Service.objects.filter(freshness_reminded_on=timezone.localdate()).count() == 2


def test_orientation_figures_on_the_staff_figures_page(client, agent, stale):
    now = timezone.now()
    common = {
        "structure": stale.structure,
        "service": stale,
        "prescriber_role": "agent",
        "first_name": "X",
        "reason": "-",
        "consent_given": True,
        "consent_recorded_at": now,
    }
    with time_machine.travel(datetime.datetime(2026, 10, 15, 12, tzinfo=datetime.UTC)):
        OrientationRequest.objects.create(**common, status="acceptee")
        OrientationRequest.objects.create(**common, status="refusee")
    OrientationRequest.objects.create(**common, status="expiree")
    client.force_login(agent)
    response = client.get(reverse("volontaires:staff_figures"))
    content = response.content.decode()
    figures = response.context["orientations"]
    assert figures["total"] == 3
    assert dict(figures["per_outcome"])["Acceptée"] == 1
    assert dict(figures["per_outcome"])["En attente de réponse"] == 0
    assert [row["count"] for row in figures["per_month"]] == [2, 1]
    assert figures["per_thematique"] == [("Alimentation", 3)]
    assert "Orientations vers les services du réseau" in content


def test_the_coordinator_finds_their_services_on_their_page(client, stale, coordinator_a):
    other = ServiceFactory(name="Douches ailleurs")
    client.force_login(coordinator_a)
    content = client.get(reverse("associations:mine")).content.decode()
    assert "Vestiaire" in content
    assert reverse("associations:service_edit", args=[stale.slug]) in content
    assert other.name not in content


def test_agents_tick_the_schema_values_in_the_back_office(client, agent, db):
    from solidaren.roles import agents_group

    agent.groups.add(agents_group())
    structure = StructureFactory()
    client.force_login(agent)
    inlines = {
        "stops-TOTAL_FORMS": "0",
        "stops-INITIAL_FORMS": "0",
        "changes-TOTAL_FORMS": "1",
        "changes-INITIAL_FORMS": "0",
    }
    data = {
        "structure": structure.pk,
        "source": "solidaren",
        "source_id": "bagagerie",
        "slug": "bagagerie",
        "name": "Bagagerie",
        "description": "Des casiers pour les affaires.",
        "thematiques": ["remobilisation--lien-social"],
        "publics": ["personnes-en-situation-durgence"],
        "modes_accueil": ["en-presentiel"],
        "welcome": "inconditionnel",
        "eligibility_zone": '["35238"]',
        "update_frequency": "6",
        "updated_on": "2026-11-30",
        "opening_hours": "Mo-Fr 08:00-10:00",
        "contact_is_organisation": "on",
        **inlines,
        "changes-0-starts_on": "2026-12-24",
        "changes-0-ends_on": "2026-12-20",
    }
    refused = client.post(reverse("admin:associations_service_add"), data)
    assert "La fin de la période ne peut pas précéder son début." in refused.content.decode()
    assert not Service.objects.filter(slug="bagagerie").exists()
    data["changes-0-ends_on"] = "2026-12-26"
    saved = client.post(reverse("admin:associations_service_add"), data)
    errors = saved.context and [
        saved.context["adminform"].form.errors,
        [f.formset.errors for f in saved.context["inline_admin_formsets"]],
    ]
    assert saved.status_code == 302, errors
    service = Service.objects.get(slug="bagagerie")
    assert (service.thematiques, service.publics, service.eligibility_zone) == (
        ["remobilisation--lien-social"],
        ["personnes-en-situation-durgence"],
        ["35238"],
    )
    assert service.changes.get().ends_on == datetime.date(2026, 12, 26)
