"""The figures of the network's annual report for one year (rendered to PDF by documents.py)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.urls import reverse

from associations.models import Association
from conventions import rules
from conventions.dashboard import (
    IN_KIND_COLOR,
    ChartSeries,
    bar_chart,
    funder_color,
    support_by_funder_and_year,
)
from conventions.models import Convention, Funder, ReportStatus, YearlyReport

ZERO = Decimal("0")
# A network of a few dozen associations gets one row and one bar each; a national one (1,000
# associations: 192 pages, 26 s) gets its largest supports in the report and every
# association's detail in the year's open data file, a separate document.
DETAILED_ASSOCIATIONS = 40
SUMMARY_ASSOCIATIONS = 25


@dataclass(frozen=True)
class AssociationYear:
    association: Association
    amounts: list[Decimal]  # per funder, in the order of `funders`
    in_kind: Decimal

    @property
    def total(self) -> Decimal:
        return sum(self.amounts, start=ZERO) + self.in_kind


def volunteer_figures(year: int) -> list[tuple[str, dict]]:
    """Figures of the Volontaires Solidaires programmes running during `year`, if any."""
    try:
        from volontaires.figures import programme_figures
        from volontaires.models import Programme
    except ImportError:
        return []
    programmes = Programme.objects.filter(start_date__year__lte=year).exclude(
        end_date__year__lt=year
    )
    return [(programme.name, programme_figures(programme)) for programme in programmes]


IN_KIND_LABEL = "Aide en nature"


def annual_report_data(year: int) -> dict:
    totals = [total for total in rules.support_totals(year) if total.year == year]
    funders = Funder.objects.in_bulk({total.funder_id for total in totals})
    associations = Association.objects.in_bulk({total.association_id for total in totals})
    funder_ids = sorted(funders, key=lambda pk: funders[pk].name)

    money: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    in_kind: dict[int, Decimal] = defaultdict(Decimal)
    for total in totals:
        money[(total.association_id, total.funder_id)] += total.money
        in_kind[total.association_id] += total.in_kind
    rows = sorted(
        (
            AssociationYear(
                association=associations[association_id],
                amounts=[money[(association_id, pk)] for pk in funder_ids],
                in_kind=in_kind[association_id],
            )
            for association_id in associations
        ),
        key=lambda row: row.association.name,
    )
    ordered_funders = [funders[pk] for pk in funder_ids]
    funder_totals = [
        sum((row.amounts[i] for row in rows), start=ZERO) for i in range(len(ordered_funders))
    ]

    shown = rows
    if len(rows) > DETAILED_ASSOCIATIONS:
        shown = sorted(rows, key=lambda row: (-row.total, row.association.name))[
            :SUMMARY_ASSOCIATIONS
        ]
    others = rows[len(shown) :] if shown is rows else [row for row in rows if row not in shown]
    per_association_chart = bar_chart(
        ChartSeries(
            categories=[row.association.display_name for row in shown],
            series=[funder.display_name for funder in ordered_funders] + [IN_KIND_LABEL],
            values=[[*row.amounts, row.in_kind] for row in shown],
            colors=[funder_color(funder) for funder in ordered_funders] + [IN_KIND_COLOR],
        ),
        width=760,
        wrap_labels=True,
    )
    history = support_by_funder_and_year()
    history_chart = bar_chart(history.chart_series(), width=760, highlighted=str(year))

    conventions = (
        Convention.objects.signed()
        .covering_year(year)
        .select_related("association")
        .prefetch_related("parties__funder")
        .order_by("association__name")
    )
    reports = (
        YearlyReport.objects.filter(
            year=year, status__in=[ReportStatus.SUBMITTED, ReportStatus.VALIDATED]
        )
        .select_related("convention__association")
        .order_by("convention__association__name")
    )
    return {
        "funders": ordered_funders,
        "funder_totals": funder_totals,
        "funder_rows": list(zip(ordered_funders, funder_totals, strict=True)),
        "rows": rows,
        "shown_rows": shown,
        "other_count": len(others),
        "other_total": sum((row.total for row in others), start=ZERO),
        "detail_url": f"{settings.SITE_URL}{reverse('opendata_subsidies')}?annee={year}",
        "money_total": sum(funder_totals, start=ZERO),
        "in_kind_total": sum((row.in_kind for row in rows), start=ZERO),
        "grand_total": sum((row.total for row in rows), start=ZERO),
        "per_association_chart": per_association_chart,
        "history_chart": history_chart,
        "conventions": list(conventions),
        "reports": list(reports),
        "beneficiaries_total": sum(report.beneficiaries_count for report in reports),
        "volunteer_hours_total": sum((report.volunteer_hours for report in reports), start=ZERO),
        "volunteer_figures": volunteer_figures(year),
    }
