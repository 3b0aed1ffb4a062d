"""The figures of a programme, always counted from the rows (never stored).

- inscrits: volunteers enrolled in the programme;
- actifs: enrolled and not withdrawn (a pause does not remove anyone);
- mobilises: volunteers with at least one mission done in the programme;
- habitants: residents with at least one mission done for them;
- soutiens: distinct (volunteer, resident) pairs with at least one mission done;
- missions_realisees: missions done, one per volunteer who did it (a food-bank sorting day
  done by ten volunteers counts ten, as the campaign counted them).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, DateField, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import formats
from django.utils.translation import get_language, gettext

from solidaren.geography import RENNES
from volontaires.models import Assignment, AssignmentStatus, Enrolment, EnrolmentStatus, Programme

FIGURE_KEYS = ["inscrits", "actifs", "mobilises", "habitants", "soutiens", "missions_realisees"]


def done_assignments(programme: Programme) -> QuerySet:
    return Assignment.objects.filter(mission__programme=programme, status=AssignmentStatus.DONE)


def supports(programme: Programme) -> QuerySet:
    """Distinct (volunteer id, resident id) pairs with a mission done, as value dicts."""
    return (
        done_assignments(programme)
        .filter(mission__resident__isnull=False)
        .values("volunteer_id", "mission__resident_id")
        .distinct()
        .order_by()
    )


def programme_figures(programme: Programme) -> dict[str, int]:
    enrolments = Enrolment.objects.filter(programme=programme).aggregate(
        inscrits=Count("pk"), actifs=Count("pk", filter=~Q(status=EnrolmentStatus.WITHDRAWN))
    )
    done = done_assignments(programme).aggregate(
        mobilises=Count("volunteer", distinct=True),
        habitants=Count("mission__resident", distinct=True),
        missions_realisees=Count("pk"),
    )
    return {
        "inscrits": enrolments["inscrits"],
        "actifs": enrolments["actifs"],
        "mobilises": done["mobilises"],
        "habitants": done["habitants"],
        "soutiens": supports(programme).count(),
        "missions_realisees": done["missions_realisees"],
    }


# --- Breakdowns for the charts -------------------------------------------------------------
# Each is one aggregate query over the same rows as `programme_figures`: the bars always add
# up to the figures above them (missions done by month, type or place sum to
# missions_realisees; sign-ups by month sum to inscrits).


@dataclass(frozen=True)
class Breakdown:
    """Counts per category, in display order, for one chart and its table."""

    rows: list[tuple[str, int]]

    @property
    def total(self) -> int:
        return sum(count for _label, count in self.rows)

    @property
    def is_empty(self) -> bool:
        return self.total == 0


def _months(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def _month_label(month: datetime.date) -> str:
    return formats.date_format(month, "m/Y")


def _by_month(counts: dict[datetime.date, int]) -> Breakdown:
    """Every month from the first to the last with a row, months without rows at zero."""
    if not counts:
        return Breakdown([])
    return Breakdown(
        [(_month_label(month), counts.get(month, 0)) for month in _months(min(counts), max(counts))]
    )


def missions_done_by_month(programme: Programme) -> Breakdown:
    rows = (
        done_assignments(programme)
        .annotate(month=TruncMonth("done_on"))
        .values("month")
        .annotate(count=Count("pk"))
        .order_by("month")
    )
    return _by_month({row["month"]: row["count"] for row in rows})


def sign_ups_by_month(programme: Programme) -> Breakdown:
    rows = (
        Enrolment.objects.filter(programme=programme)
        .annotate(month=TruncMonth("signed_up_at", output_field=DateField()))
        .values("month")
        .annotate(count=Count("pk"))
        .order_by("month")
    )
    return _by_month({row["month"]: row["count"] for row in rows})


def missions_done_by_type(programme: Programme) -> Breakdown:
    """Most frequent type first."""
    rows = (
        done_assignments(programme)
        .values("mission__mission_type__name")
        .annotate(count=Count("pk"))
        .order_by("-count", "mission__mission_type__name")
    )
    return Breakdown([(row["mission__mission_type__name"], row["count"]) for row in rows])


def missions_done_by_place(programme: Programme) -> Breakdown:
    """Rennes' quartiers in their usual order, then Rennes without quartier, then the other
    communes of the Métropole together (their missions are few, one bar each would be noise)."""
    rows = (
        done_assignments(programme)
        .values("mission__quartier__name", "mission__quartier__position", "mission__commune")
        .annotate(count=Count("pk"))
        .order_by("mission__quartier__position", "mission__quartier__name")
    )
    quartiers: dict[str, int] = {}
    unknown_quartier = other_communes = 0
    for row in rows:
        if row["mission__quartier__name"]:
            name = row["mission__quartier__name"]
            quartiers[name] = quartiers.get(name, 0) + row["count"]
        elif row["mission__commune"] == RENNES:
            unknown_quartier += row["count"]
        else:
            other_communes += row["count"]
    result = list(quartiers.items())
    if unknown_quartier:
        result.append((gettext("Rennes, quartier non précisé"), unknown_quartier))
    if other_communes:
        result.append((gettext("Autres communes de la Métropole"), other_communes))
    return Breakdown(result)


# --- The figures pages: the six figures and their charts ------------------------------------

LONG_LABEL = 30  # characters kept of a category label under a chart (full name in its table)


def count_label(value) -> str:
    """Axis and bar labels of the charts: counts, « 1 200 », « 2,5 » for half steps."""
    if value == int(value):
        return formats.number_format(int(value), force_grouping=True)
    return formats.number_format(value, decimal_pos=1)


def _short(label: str) -> str:
    return label if len(label) <= LONG_LABEL else label[: LONG_LABEL - 1].rstrip() + "…"


@dataclass(frozen=True)
class FigureChart:
    key: str
    title: str
    category_title: str
    breakdown: Breakdown
    chart: object  # conventions.dashboard.ChartGeometry
    rotated_labels: bool


def figure_chart(
    key: str, breakdown: Breakdown, *, title: str, category_title: str, series: str, rotated: bool
) -> FigureChart:
    """One series of counts drawn by the conventions' bar chart. Long category names (types,
    quartiers) are shortened under the bars, their labels slanted by the stylesheet."""
    from conventions.dashboard import ChartSeries, bar_chart

    data = ChartSeries(
        categories=[_short(label) if rotated else label for label, _count in breakdown.rows],
        series=[series],
        values=[[Decimal(count)] for _label, count in breakdown.rows],
    )
    return FigureChart(
        key=key,
        title=title,
        category_title=category_title,
        breakdown=breakdown,
        chart=bar_chart(data, value_format=count_label),
        rotated_labels=rotated,
    )


@dataclass(frozen=True)
class FiguresReport:
    programme: Programme
    figures: dict[str, int]
    charts: list[FigureChart]


def figures_report(programme: Programme) -> FiguresReport:
    """The six figures and four breakdowns of a programme: a fixed number of queries."""
    missions = gettext("Missions réalisées")
    month = gettext("Mois")
    return FiguresReport(
        programme=programme,
        figures=programme_figures(programme),
        charts=[
            figure_chart(
                "sign_ups_by_month",
                sign_ups_by_month(programme),
                title=gettext("Inscriptions de volontaires par mois"),
                category_title=month,
                series=gettext("Inscriptions"),
                rotated=False,
            ),
            figure_chart(
                "missions_by_month",
                missions_done_by_month(programme),
                title=gettext("Missions réalisées par mois"),
                category_title=month,
                series=missions,
                rotated=False,
            ),
            figure_chart(
                "missions_by_type",
                missions_done_by_type(programme),
                title=gettext("Missions réalisées par type"),
                category_title=gettext("Type de mission"),
                series=missions,
                rotated=True,
            ),
            figure_chart(
                "missions_by_place",
                missions_done_by_place(programme),
                title=gettext("Missions réalisées par quartier"),
                category_title=gettext("Quartier ou commune"),
                series=missions,
                rotated=True,
            ),
        ],
    )


DEFAULT_PROGRAMME_SLUG = "volontaires-solidaires"


# --- Maintained for a short while -----------------------------------------------------------
# At a département's scale each figure is an aggregate over hundreds of thousands of rows:
# the pages read them from the cache, computed at most every FIGURES_CACHE_SECONDS (production
# default 120 s; 0 in development and tests, where every page counts afresh).


def cached(key: str, compute):
    seconds = settings.FIGURES_CACHE_SECONDS
    if not seconds:
        return compute()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, seconds)
    return value


def cached_figures_report(programme: Programme) -> FiguresReport:
    return cached(
        f"volontaires:figures-report:{programme.pk}:{get_language()}",
        lambda: figures_report(programme),
    )


def cached_figures_html(report: FiguresReport) -> str:
    """The figures' charts and tables as HTML, the same on the public and the agents' pages,
    kept as long as the figures: drawing the charts was most of those pages' time."""
    from django.template.loader import render_to_string

    return cached(
        f"volontaires:figures-html:{report.programme.pk}:{get_language()}",
        lambda: render_to_string("volontaires/figures_content.html", {"report": report}),
    )


def cached_programme_figures(programme: Programme) -> dict[str, int]:
    return cached(f"volontaires:figures:{programme.pk}", lambda: programme_figures(programme))
