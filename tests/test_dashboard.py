"""The staff dashboard of the conventions: access, content, the chart's numbers, query count."""

import datetime
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.html import escape

from conventions import rules
from conventions.dashboard import (
    ChartSeries,
    bar_chart,
    nice_axis,
    support_by_funder_and_year,
    support_table,
    whole_euros,
)
from conventions.models import InKindSupport, Payment, ReportStatus
from conventions.rules import SupportTotal
from conventions.views import dashboard as dashboard_views
from tests.factories import (
    CommitmentFactory,
    ConventionFactory,
    FunderFactory,
    SubsidyFactory,
    YearlyReportFactory,
)

TODAY = datetime.date(2026, 3, 1)
NBSP = "\u00a0"


def amount(text: str) -> str:
    """« 120 000,00 € » as the page writes it, with non-breaking spaces."""
    return text.replace(" ", NBSP)


def section(content: str, heading_id: str) -> str:
    """The HTML of the page's section titled by `<h2 id="heading_id">`."""
    return content.split(f'<h2 id="{heading_id}">', 1)[1].split("</section>", 1)[0]


@pytest.fixture
def dashboard_url():
    return reverse("conventions:dashboard")


@pytest.fixture
def fixed_today(monkeypatch):
    monkeypatch.setattr(dashboard_views, "today", lambda: TODAY)
    return TODAY


# --- access ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_login_page(client, dashboard_url):
    response = client.get(dashboard_url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL))
    assert "next=/conventions/tableau-de-bord/" in response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["coordinator_a", "volunteer"])
def test_coordinators_and_volunteers_are_refused(client, request, persona, dashboard_url):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(dashboard_url).status_code == 403


@pytest.mark.django_db
def test_agents_see_the_dashboard_even_empty(client, agent, dashboard_url):
    client.force_login(agent)

    response = client.get(dashboard_url)

    assert response.status_code == 200
    content = response.content.decode()
    assert "Tableau de bord des conventions" in content
    assert "Aucun soutien n'est encore enregistré" in content


# --- content -----------------------------------------------------------------------------------


@pytest.fixture
def network(association_a, association_b):
    """GIVEN A's convention 2023–2026 with the Ville and the Métropole (160 000 € in 2024),
    B's longer convention, a 40 000 € subsidy to B from the Département without convention,
    a draft 2023 report of A, no 2024 report, and an unpaid 2024 instalment notified long ago.
    """
    ville = FunderFactory(name="Ville de Rennes", short_name="Ville")
    metropole = FunderFactory(name="Rennes Métropole", short_name="Métropole")
    departement = FunderFactory(name="Département d'Ille-et-Vilaine", short_name="Département")
    convention = ConventionFactory(association=association_a, funders=[ville, metropole])
    CommitmentFactory(convention=convention, funder=ville, year=2024, amount=Decimal("120000"))
    CommitmentFactory(convention=convention, funder=metropole, year=2024, amount=Decimal("40000"))
    later = ConventionFactory(
        association=association_b,
        funders=[ville],
        start_date=datetime.date(2024, 1, 1),
        end_date=datetime.date(2027, 12, 31),
    )
    subsidy = SubsidyFactory(
        association=association_b, funder=departement, year=2024, amount=Decimal("40000")
    )
    report = YearlyReportFactory(convention=convention, year=2023, status=ReportStatus.DRAFT)
    payment = Payment.objects.create(
        convention=convention,
        funder=ville,
        year=2024,
        amount=Decimal("30000"),
        notified_on=datetime.date(2024, 3, 1),
    )
    return SimpleNamespace(
        ville=ville,
        metropole=metropole,
        departement=departement,
        convention=convention,
        later=later,
        subsidy=subsidy,
        report=report,
        payment=payment,
    )


def expected_report_href(report) -> str:
    try:
        return reverse("conventions:report", args=[report.pk])
    except NoReverseMatch:
        return report.convention.get_absolute_url()


@pytest.mark.django_db
def test_agents_see_amounts_deadlines_and_alerts(
    client, agent, network, fixed_today, dashboard_url, association_a, association_b
):
    client.force_login(agent)

    content = client.get(dashboard_url, {"annee": "2024"}).content.decode()

    # support per funder and year, French amounts
    assert amount("120 000,00 €") in content
    assert amount("40 000,00 €") in content
    assert amount("200 000,00 €") in content  # total of 2024 and grand total
    # conventions ending within 12 months of 1 March 2026: A's, not B's (end of 2027)
    ending = section(content, "echeances")
    assert f'href="{network.convention.get_absolute_url()}"' in ending
    assert network.convention.reference in ending
    assert network.later.reference not in ending
    # the summary card counts them (one: A's)
    assert re.search(r'href="#echeances"><strong>1</strong>', content)
    # overdue reports: A's draft of 2023 and missing 2024 one, B's 2024 (2025 is due in June)
    overdue = section(content, "comptes-rendus")
    assert f'href="{expected_report_href(network.report)}"' in overdue
    assert overdue.count("Brouillon") == 1
    assert overdue.count("non commencé") == 2
    assert "30 juin 2024" in overdue and "30 juin 2025" in overdue
    assert "30 juin 2026" not in overdue
    # 23 000 € alert (subsidy without convention) and 153 000 € flag (160 000 € in money)
    alerts = section(content, "alertes")
    uncovered = rules.uncovered_support_message(
        association_b, network.departement, 2024, Decimal("40000")
    )
    certified = rules.certified_accounts_message(association_a, 2024, Decimal("160000"))
    assert escape(uncovered) in alerts
    assert escape(certified) in alerts
    # late payment, unpaid
    late = section(content, "versements")
    assert "non versé" in late
    assert amount("30 000,00 €") in late


@pytest.mark.django_db
def test_alerts_follow_the_focused_year(client, agent, network, fixed_today, dashboard_url):
    """The default year is the current one; other years with alerts are linked."""
    client.force_login(agent)

    content = client.get(dashboard_url).content.decode()

    assert "Alertes des seuils en 2026" in content
    assert "sans convention : au-delà" not in content
    assert 'href="?annee=2024"' in content
    assert "non versé" in content  # still unpaid: listed whatever the year


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "n&#x27;est pas une année"),
        ("2024.5", "n&#x27;est pas une année"),
        ("1850", "Choisissez une année entre 2000 et 2100"),
    ],
)
def test_a_wrong_year_gets_a_french_message(
    client, agent, fixed_today, dashboard_url, value, message
):
    client.force_login(agent)

    response = client.get(dashboard_url, {"annee": value})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert "Alertes des seuils en 2026" in response.content.decode()


@pytest.mark.django_db
def test_the_chart_shows_the_numbers_of_the_table(client, agent, network, dashboard_url):
    client.force_login(agent)

    content = client.get(dashboard_url).content.decode()

    svg = re.search(r"<svg.*?</svg>", content, re.S).group(0)
    assert 'role="img"' in svg and "<title id=" in svg and "<desc id=" in svg
    for series, value in [
        ("Ville", "120 000,00 €"),
        ("Métropole", "40 000,00 €"),
        ("Département", "40 000,00 €"),
    ]:
        assert f"<title>{series} — 2024 : {amount(value)}</title>" in svg
        assert f">{amount(value)}</td>" in content  # the same amount in the table
    assert not re.search(r'(?:x|y|width|height)="\d+,\d', svg)  # no French decimal comma


# --- domain functions --------------------------------------------------------------------------


def test_support_table_adds_up_per_funder_and_year():
    funders = {
        1: SimpleNamespace(pk=1, display_name="Ville"),
        2: SimpleNamespace(pk=2, display_name="Métropole"),
    }
    totals = [
        SupportTotal(10, 1, 2024, Decimal("100"), Decimal("20")),
        SupportTotal(11, 1, 2024, Decimal("50"), Decimal("0")),
        SupportTotal(10, 2, 2024, Decimal("300"), Decimal("0")),
        SupportTotal(10, 1, 2023, Decimal("0"), Decimal("5")),
    ]

    table = support_table(totals, funders)

    assert [funder.display_name for funder in table.funders] == ["Métropole", "Ville"]
    assert [row.year for row in table.rows] == [2023, 2024]
    assert table.rows[0].amounts == [Decimal("0"), Decimal("5")]
    assert table.rows[1].amounts == [Decimal("300"), Decimal("170")]
    assert table.rows[1].total == Decimal("470")
    assert table.funder_totals == [Decimal("300"), Decimal("175")]
    assert table.total == Decimal("475")
    assert table.chart_series().values == [
        [Decimal("0"), Decimal("5")],
        [Decimal("300"), Decimal("170")],
    ]


@pytest.mark.django_db
def test_support_by_funder_and_year_counts_money_in_kind_and_subsidies():
    ville = FunderFactory(short_name="Ville")
    convention = ConventionFactory(funders=[ville])
    CommitmentFactory(convention=convention, funder=ville, year=2024, amount=Decimal("10000"))
    InKindSupport.objects.create(
        convention=convention,
        funder=ville,
        kind=InKindSupport.Kind.SERVICES,
        yearly_value=Decimal("1500"),
    )
    SubsidyFactory(
        association=convention.association, funder=ville, year=2024, amount=Decimal("700")
    )

    table = support_by_funder_and_year()

    assert table.funders == [ville]
    assert {row.year: row.total for row in table.rows} == {
        2023: Decimal("1500"),
        2024: Decimal("12200"),
        2025: Decimal("1500"),
        2026: Decimal("1500"),
    }


def test_bar_heights_are_proportional_to_values_and_stacked():
    data = ChartSeries(
        categories=["2023", "2024"],
        series=["Ville", "Métropole"],
        values=[[Decimal("100"), Decimal("300")], [Decimal("200"), Decimal("0")]],
    )

    chart = bar_chart(data, plot_height=300, highlighted="2024")

    assert [(bar.category, bar.series, bar.value) for bar in chart.bars] == [
        ("2023", "Ville", Decimal("100")),
        ("2023", "Métropole", Decimal("300")),
        ("2024", "Ville", Decimal("200")),
    ]
    ville_2023, metropole_2023, ville_2024 = chart.bars
    assert metropole_2023.height == pytest.approx(3 * ville_2023.height)
    assert ville_2024.height == pytest.approx(2 * ville_2023.height)
    assert metropole_2023.y + metropole_2023.height == pytest.approx(ville_2023.y)
    assert ville_2023.y + ville_2023.height == pytest.approx(chart.plot_bottom)
    assert chart.axis_max >= Decimal("400")
    assert ville_2023.height == pytest.approx(300 * 100 / float(chart.axis_max))
    assert chart.largest_total == Decimal("400") and chart.largest_category == "2023"
    assert [category.highlighted for category in chart.categories] == [False, True]
    assert [item.label for item in chart.legend] == ["Ville", "Métropole"]
    assert chart.ticks[0].value == 0 and chart.ticks[-1].value == chart.axis_max


@pytest.mark.parametrize(
    "data",
    [ChartSeries([], [], []), ChartSeries(["2024"], ["Ville"], [[Decimal("0")]])],
)
def test_a_chart_without_data_does_not_divide_by_zero(data):
    chart = bar_chart(data)

    assert chart.is_empty
    assert chart.axis_max == 0 and chart.ticks == []
    with translation.override("fr"):
        svg = render_to_string(
            "conventions/_bar_chart.svg.html",
            {"chart": chart, "chart_id": "empty", "title": "Vide", "description": "Rien"},
        )
    assert "<svg" in svg and "<rect x=" not in svg.split("</desc>")[1].split('<g class="legend')[0]


@pytest.mark.parametrize(
    ("maximum", "axis_max", "step"),
    [
        (Decimal("532600"), Decimal("600000"), Decimal("100000")),
        (Decimal("400"), Decimal("400"), Decimal("100")),
        (Decimal("7"), Decimal("8"), Decimal("2")),
        (Decimal("0"), Decimal("0"), Decimal("0")),
    ],
)
def test_the_axis_ends_on_a_round_number(maximum, axis_max, step):
    assert nice_axis(maximum) == (axis_max, step)


def test_axis_labels_are_whole_euros():
    assert whole_euros(Decimal("600000")) == amount("600 000 €")
    assert whole_euros(Decimal("2.5")) == amount("2,50 €")


# --- queries -----------------------------------------------------------------------------------


def add_conventions(count: int, funders: list) -> None:
    """Conventions ending this year, each with a commitment, in-kind support, a draft report,
    a late payment and a big subsidy from a funder without convention (a 23 000 € alert)."""
    ville, metropole, departement = funders
    for _ in range(count):
        convention = ConventionFactory(funders=[ville, metropole])
        CommitmentFactory(convention=convention, funder=ville, year=2024)
        InKindSupport.objects.create(
            convention=convention,
            funder=metropole,
            kind=InKindSupport.Kind.SERVICES,
            yearly_value=Decimal("1000"),
        )
        YearlyReportFactory(convention=convention, year=2023)
        Payment.objects.create(
            convention=convention,
            funder=ville,
            year=2026,
            amount=Decimal("5000"),
            notified_on=datetime.date(2025, 11, 1),
        )
        SubsidyFactory(
            association=convention.association,
            funder=departement,
            year=2026,
            amount=Decimal("30000"),
        )


@pytest.mark.django_db
def test_the_query_count_does_not_grow_with_the_conventions(
    client, agent, fixed_today, dashboard_url, django_assert_max_num_queries
):
    funders = [FunderFactory(), FunderFactory(), FunderFactory()]
    add_conventions(10, funders)
    client.force_login(agent)
    client.get(dashboard_url)  # warm-up: session and caches
    with CaptureQueriesContext(connection) as small:
        assert client.get(dashboard_url).status_code == 200

    add_conventions(90, funders)
    with django_assert_max_num_queries(len(small)) as large:
        response = client.get(dashboard_url)

    content = response.content.decode()
    assert content.count("sans convention : au-delà") == 100
    assert content.count("non versé") == 100
    assert len(large.captured_queries) == len(small.captured_queries) <= 30
