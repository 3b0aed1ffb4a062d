"""The figures of the programmes: `GET /volontaires/bilan.json`, the public page and the
agents' dashboard. Counted from the rows; aggregates only, never a name."""

import datetime
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    AssignmentFactory,
    EnrolmentFactory,
    MissionFactory,
    MissionTypeFactory,
    ProgrammeFactory,
    QuartierFactory,
    ResidentFactory,
)
from volontaires.figures import (
    FIGURE_KEYS,
    count_label,
    figures_report,
    missions_done_by_month,
    missions_done_by_place,
    missions_done_by_type,
    sign_ups_by_month,
)
from volontaires.models import (
    AssignmentStatus,
    EnrolmentStatus,
    Programme,
    Resident,
    VolunteerProfile,
)

SOURCE_FIGURES = {
    "inscrits": 509,
    "actifs": 405,
    "mobilises": 292,
    "habitants": 171,
    "soutiens": 227,
    "missions_realisees": 398,
}
JSON_URL = "/volontaires/bilan.json"


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=StringIO())
    return Programme.objects.get(slug="volontaires-solidaires")


def figures_json(client, **query) -> dict:
    response = client.get(JSON_URL, query)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


def test_bilan_json_gives_the_source_figures_and_follows_the_rows(client, demo):
    """GIVEN the demo campaign WHEN anyone asks for /volontaires/bilan.json THEN the six
    source figures; AND after a mission is done for a new resident, the figures move."""
    assert reverse("volontaires:figures_json") == JSON_URL
    figures = figures_json(client)
    assert figures == SOURCE_FIGURES
    assert list(figures) == FIGURE_KEYS

    volunteer = (
        VolunteerProfile.objects.filter(
            enrolments__programme=demo, enrolments__status=EnrolmentStatus.ACTIVE
        )
        .exclude(assignments__status=AssignmentStatus.DONE)
        .first()
    )
    mission = MissionFactory(
        programme=demo,
        resident=ResidentFactory(programme=demo),
        date=datetime.date(2021, 6, 7),
    )
    AssignmentFactory(mission=mission, volunteer=volunteer, status="realisee", done_on=mission.date)

    assert figures_json(client) == {
        **SOURCE_FIGURES,
        "mobilises": 293,
        "habitants": 172,
        "soutiens": 228,
        "missions_realisees": 399,
    }
    assert figures_json(client, programme="volontaires-solidaires")["missions_realisees"] == 399


def test_bilan_json_for_another_programme_and_an_unknown_one(client, demo):
    successor = figures_json(client, programme="citoyennes-et-citoyens-volontaires")
    assert successor["inscrits"] == 53
    assert set(successor) == set(FIGURE_KEYS)

    response = client.get(JSON_URL, {"programme": "n-existe-pas"})
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {"erreur": "Programme inconnu : « n-existe-pas »."}


def test_the_public_page_shows_the_figures_and_charts_and_no_personal_data(client, demo):
    response = client.get(reverse("volontaires:figures"))

    content = response.content.decode()
    assert response.status_code == 200  # anonymous
    for value in SOURCE_FIGURES.values():
        assert f"<strong>{value}</strong>" in content
    assert content.count('<svg xmlns="http://www.w3.org/2000/svg" class="bar-chart"') == 4
    assert "€" not in content  # counts, not euros
    assert "Montant" not in content
    # No name, e-mail, phone or address of a volunteer or a resident.
    assert "@" not in content.split("<footer")[0].split('<main id="contenu"')[1]
    for resident in Resident.objects.all():
        assert f"{resident.first_name} {resident.last_name}" not in content
        assert resident.address not in content
        assert resident.phone not in content
    for profile in VolunteerProfile.objects.select_related("user"):
        assert profile.user.get_full_name() not in content
        if profile.phone:
            assert profile.phone not in content


def test_the_charts_add_up_to_the_figures(demo):
    report = figures_report(demo)

    totals = {chart.key: chart.breakdown.total for chart in report.charts}
    assert totals == {
        "sign_ups_by_month": 509,
        "missions_by_month": 398,
        "missions_by_type": 398,
        "missions_by_place": 398,
    }
    months = [label for label, _count in missions_done_by_month(demo).rows]
    assert months[0] >= "10/2020" and "08/2021" in months
    by_month = report.charts[1].chart
    assert sum(bar.value for bar in by_month.bars) == 398
    assert all("€" not in tick.label for tick in by_month.ticks)


def test_the_programme_selector_and_a_bad_slug_on_the_pages(client, demo):
    page = client.get(
        reverse("volontaires:figures"), {"programme": "citoyennes-et-citoyens-volontaires"}
    )
    assert "<strong>53</strong>" in page.content.decode()

    bad = client.get(reverse("volontaires:figures"), {"programme": "<script>"})
    content = bad.content.decode()
    assert bad.status_code == 200
    assert "Ce programme n&#x27;existe pas" in content
    assert "<strong>509</strong>" in content  # the default programme is shown
    assert "<script>" not in content.split('<main id="contenu"')[1]


# --- breakdowns on crafted rows -------------------------------------------------------------


@pytest.mark.django_db
def test_breakdowns_fill_empty_months_and_group_other_communes():
    programme = ProgrammeFactory()
    centre = QuartierFactory(name="Centre", position=0)
    blosne = QuartierFactory(name="Le Blosne", position=10)
    groceries = MissionTypeFactory(name="Portage de courses")
    calls = MissionTypeFactory(name="Appels de convivialité")
    rows = [
        (datetime.date(2026, 1, 12), centre, "Rennes", groceries),
        (datetime.date(2026, 1, 19), blosne, "Rennes", groceries),
        (datetime.date(2026, 3, 2), None, "Bruz", calls),
        (datetime.date(2026, 3, 9), None, "Pacé", groceries),
        (datetime.date(2026, 3, 16), None, "Rennes", groceries),
    ]
    for day, quartier, commune, mission_type in rows:
        mission = MissionFactory(
            programme=programme,
            mission_type=mission_type,
            date=day,
            quartier=quartier,
            commune=commune,
        )
        AssignmentFactory(mission=mission, status="realisee", done_on=day)
    AssignmentFactory(mission__programme=programme, status="acceptee")
    for day in (datetime.date(2025, 12, 30), datetime.date(2026, 2, 1)):
        EnrolmentFactory(
            programme=programme,
            signed_up_at=datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC),
        )

    assert missions_done_by_month(programme).rows == [
        ("01/2026", 2),
        ("02/2026", 0),
        ("03/2026", 3),
    ]
    assert sign_ups_by_month(programme).rows == [("12/2025", 1), ("01/2026", 0), ("02/2026", 1)]
    assert missions_done_by_type(programme).rows == [
        ("Portage de courses", 4),
        ("Appels de convivialité", 1),
    ]
    assert missions_done_by_place(programme).rows == [
        ("Centre", 1),
        ("Le Blosne", 1),
        ("Rennes, quartier non précisé", 1),
        ("Autres communes de la Métropole", 2),
    ]
    empty = ProgrammeFactory()
    assert missions_done_by_month(empty).rows == [] and missions_done_by_type(empty).is_empty


def test_count_labels():
    from decimal import Decimal

    assert count_label(Decimal("0")) == "0"
    assert count_label(Decimal("2.5")) == "2,5"
    assert count_label(Decimal("5.0")) == "5"
    assert count_label(Decimal("1200")).replace("\u202f", " ").replace("\xa0", " ") == "1 200"


# --- access and queries ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_figures_dashboard_is_for_agents(client, agent, volunteer, coordinator_a):
    ProgrammeFactory(slug="volontaires-solidaires")
    url = reverse("volontaires:staff_figures")

    assert client.get(url)["Location"].startswith(reverse("account_login"))
    for user in (volunteer, coordinator_a):
        client.force_login(user)
        assert client.get(url).status_code == 403
    client.force_login(agent)
    page = client.get(url)
    assert page.status_code == 200
    assert "manquent de volontaires" in page.content.decode()

    client.logout()
    assert client.get(reverse("volontaires:figures")).status_code == 200
    assert client.get(JSON_URL).status_code == 200


def add_done_missions(programme, count: int) -> None:
    for number in range(count):
        quartier = QuartierFactory()
        mission = MissionFactory(
            programme=programme,
            resident=ResidentFactory(programme=programme, quartier=quartier),
            quartier=quartier,
            date=datetime.date(2026, 1 + number % 12, 5),
        )
        AssignmentFactory(mission=mission, status="realisee", done_on=mission.date)
        EnrolmentFactory(programme=programme)


@pytest.mark.django_db
def test_the_figures_pages_query_count_is_constant(
    client, agent, django_assert_max_num_queries, settings
):
    settings.PAGE_CACHE_SECONDS = 0  # the queries of making the pages, not of a cached copy
    programme = ProgrammeFactory(slug="volontaires-solidaires")
    add_done_missions(programme, 10)
    client.force_login(agent)
    urls = [reverse("volontaires:figures"), reverse("volontaires:staff_figures"), JSON_URL]
    small = {}
    for url in urls:
        client.get(url)  # warm-up
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        small[url] = len(queries)

    add_done_missions(programme, 90)
    for url in urls:
        with django_assert_max_num_queries(small[url]) as large:
            client.get(url)
        assert len(large.captured_queries) == small[url] <= 25, url
    assert figures_json(client)["missions_realisees"] == 100
