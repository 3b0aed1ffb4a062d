"""The staff dashboard of the conventions: support per funder and year with its bar chart, the
conventions ending soon, the overdue yearly reports and the alerts of the subsidy rules.

`bar_chart()` is a pure function of the numbers (no request, no database): the PDF reports draw
the same chart with the same template include.
"""

from __future__ import annotations

import datetime
import math
import textwrap
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.urls import NoReverseMatch

from associations.models import Association
from conventions import rules
from conventions.campaign import CampaignRow, renewal_campaign
from conventions.models import Convention, Funder, Payment, YearlyReport

ZERO = Decimal("0")

# --- support per funder and year ---------------------------------------------------------------


@dataclass(frozen=True)
class SupportRow:
    year: int
    amounts: list[Decimal]  # one per funder, in the order of `SupportTable.funders`

    @property
    def total(self) -> Decimal:
        return sum(self.amounts, start=ZERO)


@dataclass(frozen=True)
class SupportTable:
    """Money plus valued in-kind support: rows are years, columns are funders."""

    funders: list[Funder]
    rows: list[SupportRow]

    @property
    def funder_totals(self) -> list[Decimal]:
        return [
            sum((row.amounts[index] for row in self.rows), start=ZERO)
            for index in range(len(self.funders))
        ]

    @property
    def total(self) -> Decimal:
        return sum((row.total for row in self.rows), start=ZERO)

    def chart_series(self) -> ChartSeries:
        return ChartSeries(
            categories=[str(row.year) for row in self.rows],
            series=[funder.display_name for funder in self.funders],
            values=[list(row.amounts) for row in self.rows],
            colors=[funder_color(funder) for funder in self.funders],
        )


def support_table(
    totals: Iterable[rules.SupportTotal], funders: Mapping[int, Funder]
) -> SupportTable:
    """Adds up `totals` per funder and year; the biggest funder overall comes first."""
    amounts: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for total in totals:
        amounts[(total.year, total.funder_id)] += total.total
    per_funder: dict[int, Decimal] = defaultdict(Decimal)
    for (_year, funder_id), amount in amounts.items():
        per_funder[funder_id] += amount
    funder_ids = sorted(per_funder, key=lambda pk: (-per_funder[pk], funders[pk].display_name, pk))
    years = sorted({year for year, _funder_id in amounts})
    return SupportTable(
        funders=[funders[pk] for pk in funder_ids],
        rows=[
            SupportRow(year=year, amounts=[amounts[(year, pk)] for pk in funder_ids])
            for year in years
        ],
    )


def support_by_funder_and_year() -> SupportTable:
    """Every year's support per funder, from `rules.support_totals()` (4 queries)."""
    totals = rules.support_totals()
    funders = Funder.objects.in_bulk({total.funder_id for total in totals})
    return support_table(totals, funders)


# --- bar chart ---------------------------------------------------------------------------------

# Colours with a contrast of at least 3:1 on white, told apart by most colour-blind readers.
PALETTE = ("#1f5fa8", "#b35900", "#1b7f4b", "#7b3fa0", "#00798c", "#b4003c", "#4d4d4d")
# One colour per funder in every chart (dashboard, annual report): taken from the funder's id,
# not from its rank in one chart; the last colour is kept for in-kind support.
FUNDER_PALETTE = PALETTE[:-1]
IN_KIND_COLOR = PALETTE[-1]
FONT_SIZE = 12
CHAR_WIDTH = 7  # average width of a character at FONT_SIZE, to lay the legend out
MIN_LABEL_SPACING = 40  # below this many pixels per bar, only every other year is labelled


@dataclass(frozen=True)
class ChartSeries:
    """The numbers of a stacked bar chart: `values[category][series]`."""

    categories: list[str]
    series: list[str]
    values: list[list[Decimal]]
    colors: list[str] | None = None  # one per series; the palette's order otherwise


def funder_color(funder) -> str:
    """The colour of `funder` in every chart."""
    return FUNDER_PALETTE[(funder.pk - 1) % len(FUNDER_PALETTE)]


@dataclass(frozen=True)
class TotalLabel:
    """The value written above a bar, so that nothing needs a hover to be read."""

    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    color: str
    category: str
    series: str
    value: Decimal
    value_format: Callable[[Decimal], str] | None = field(default=None, compare=False, repr=False)

    @property
    def value_label(self) -> str:
        return (self.value_format or rules.euro)(self.value)


@dataclass(frozen=True)
class AxisTick:
    y: float
    value: Decimal
    label: str


@dataclass(frozen=True)
class CategoryLabel:
    x: float  # centre of the bar
    slot_x: float
    slot_width: float
    label: str
    shown: bool  # False when years are too close to label each one
    highlighted: bool
    lines: tuple[str, ...] = ()  # a long label wrapped to its bar's width (associations)


@dataclass(frozen=True)
class LegendItem:
    x: float
    y: float
    color: str
    label: str

    @property
    def text_x(self) -> float:
        return self.x + 18


@dataclass(frozen=True)
class ChartGeometry:
    """Everything the SVG template draws, in the coordinates of its viewBox."""

    width: int
    height: int
    plot_left: float
    plot_top: float
    plot_right: float
    plot_bottom: float
    axis_max: Decimal
    bars: list[Bar]
    ticks: list[AxisTick]
    categories: list[CategoryLabel]
    legend: list[LegendItem]
    largest_total: Decimal
    largest_category: str | None
    totals: list[TotalLabel] = field(default_factory=list)
    label_extra: float = 0.0  # room taken by wrapped category labels, below the axis

    @property
    def is_empty(self) -> bool:
        return not self.bars

    @property
    def plot_height(self) -> float:
        return self.plot_bottom - self.plot_top

    @property
    def x_axis_title_y(self) -> float:
        return self.plot_bottom + 2.6 * FONT_SIZE + 4 + self.label_extra

    @property
    def x_axis_title_x(self) -> float:
        return round((self.plot_left + self.plot_right) / 2, 2)

    @property
    def tick_label_x(self) -> float:
        return self.plot_left - 8

    @property
    def y_axis_title_x(self) -> float:
        return FONT_SIZE + 2

    @property
    def y_axis_title_y(self) -> float:
        return round((self.plot_top + self.plot_bottom) / 2, 2)

    @property
    def highlighted(self) -> CategoryLabel | None:
        return next((category for category in self.categories if category.highlighted), None)


def whole_euros(amount: Decimal) -> str:
    """Axis labels: 600000 → « 600 000 € »; cents only when the step needs them."""
    if amount != amount.to_integral_value():
        return rules.euro(amount)
    return f"{int(amount):,}".replace(",", rules.NBSP) + rules.NBSP + "€"


def thousands_of_euros(amount: Decimal) -> str:
    """A short label above a narrow bar: 267600 → « 268 k€ » (the table gives the exact sum)."""
    if amount < 1000:
        return whole_euros(amount.quantize(Decimal(1)))
    return f"{round(amount / 1000):,}".replace(",", NNBSP) + NNBSP + "k€"


NNBSP = "\u202f"  # narrow no-break space: short labels fit narrow bars


def _label_width(label: str) -> float:
    """Estimated width of a bold label at FONT_SIZE, with a margin to the next one."""
    narrow = label.count(NNBSP)
    return CHAR_WIDTH * (len(label) - narrow) + 3 * narrow + 2


def nice_axis(maximum: Decimal, ticks: int = 6) -> tuple[Decimal, Decimal]:
    """The axis end and tick step: a step of 1, 2, 2.5 or 5 × 10ⁿ, at most `ticks` steps."""
    if maximum <= 0:
        return ZERO, ZERO
    magnitude = Decimal(10) ** (maximum / ticks).adjusted()
    for factor in (Decimal("1"), Decimal("2"), Decimal("2.5"), Decimal("5"), Decimal("10")):
        step = magnitude * factor
        if step * ticks >= maximum:
            break
    return step * math.ceil(maximum / step), step


def _legend(
    series: Sequence[str], colors: Sequence[str], *, left: float, top: float, right: float
) -> list[LegendItem]:
    items, x, y = [], left, top
    for label, color in zip(series, colors, strict=True):
        item_width = 18 + CHAR_WIDTH * len(label) + 20
        if x > left and x + item_width > right:
            x, y = left, y + FONT_SIZE + 10
        items.append(LegendItem(x=x, y=y, color=color, label=label))
        x += item_width
    return items


def bar_chart(
    data: ChartSeries,
    *,
    width: int = 800,
    plot_height: int = 280,
    highlighted: str | None = None,
    value_format: Callable[[Decimal], str] | None = None,
    wrap_labels: bool = False,
) -> ChartGeometry:
    """Stacked bars, one per category, one segment per series, heights proportional to values.

    Values are euros by default; `value_format` labels the axis and the bars otherwise (counts).
    Series take `data.colors` when given (the same funder, the same colour in every chart);
    `wrap_labels` wraps long category labels (names) to the bar's width instead of skipping.
    """
    plot_left, plot_top, plot_right = 96.0, 18.0, width - 12.0
    plot_bottom = plot_top + plot_height
    totals = [sum((value for value in row if value > 0), start=ZERO) for row in data.values]
    largest = max(totals, default=ZERO)
    axis_max, step = nice_axis(largest)
    scale = plot_height / float(axis_max) if axis_max else 0.0

    slot = (plot_right - plot_left) / max(len(data.categories), 1)
    bar_width = slot * 0.62
    label_every = 1 if wrap_labels else max(1, math.ceil(MIN_LABEL_SPACING / slot))
    wrap_width = max(6, int(slot / CHAR_WIDTH))
    colors = data.colors or [PALETTE[index % len(PALETTE)] for index in range(len(data.series))]
    bars, categories, total_labels = [], [], []
    for index, (category, row) in enumerate(zip(data.categories, data.values, strict=True)):
        slot_x = plot_left + slot * index
        stacked = 0.0
        for series_index, value in enumerate(row):
            if value <= 0:
                continue
            height = float(value) * scale
            stacked += height
            bars.append(
                Bar(
                    x=round(slot_x + (slot - bar_width) / 2, 2),
                    y=round(plot_bottom - stacked, 2),
                    width=round(bar_width, 2),
                    height=round(height, 2),
                    color=colors[series_index],
                    category=category,
                    series=data.series[series_index],
                    value=value,
                    value_format=value_format,
                )
            )
        label = (value_format or whole_euros)(totals[index])
        if value_format is None and _label_width(label) > slot:
            label = thousands_of_euros(totals[index])  # « 280 k€ » where bars are narrow
        if totals[index] > 0 and _label_width(label) <= slot:
            total_labels.append(
                TotalLabel(
                    x=round(slot_x + slot / 2, 2),
                    y=round(plot_bottom - stacked - 4, 2),
                    label=label,
                )
            )
        categories.append(
            CategoryLabel(
                x=round(slot_x + slot / 2, 2),
                slot_x=round(slot_x, 2),
                slot_width=round(slot, 2),
                label=category,
                shown=index % label_every == 0 or category == highlighted,
                highlighted=category == highlighted,
                lines=tuple(textwrap.wrap(category, wrap_width)[:3]) if wrap_labels else (),
            )
        )

    ticks = []
    if step:
        for count in range(int(axis_max / step) + 1):
            value = step * count
            ticks.append(
                AxisTick(
                    y=round(plot_bottom - float(value) * scale, 2),
                    value=value,
                    label=(value_format or whole_euros)(value),
                )
            )
    extra_lines = max((len(category.lines) - 1 for category in categories), default=0)
    label_extra = max(extra_lines, 0) * (FONT_SIZE + 3)
    legend_top = plot_bottom + 4 * FONT_SIZE + 8 + label_extra
    legend = _legend(data.series, colors, left=plot_left, top=legend_top, right=plot_right)
    height = (legend[-1].y if legend else legend_top) + FONT_SIZE + 12
    largest_index = totals.index(largest) if largest else None
    return ChartGeometry(
        width=width,
        height=round(height),
        plot_left=plot_left,
        plot_top=plot_top,
        plot_right=plot_right,
        plot_bottom=plot_bottom,
        axis_max=axis_max,
        bars=bars,
        ticks=ticks,
        categories=categories,
        legend=legend,
        largest_total=largest,
        largest_category=data.categories[largest_index] if largest_index is not None else None,
        totals=total_labels,
        label_extra=label_extra,
    )


# --- deadlines and alerts ----------------------------------------------------------------------


@dataclass(frozen=True)
class OverdueReportRow:
    convention: Convention
    year: int
    report: YearlyReport | None
    due_date: datetime.date
    url: str
    links_to_report: bool


def report_link(item: rules.OverdueReport) -> tuple[str, bool]:
    """The report's page when there is a report and its page is routed, else the convention's."""
    if item.report is not None:
        try:
            return item.report.get_absolute_url(), True
        except NoReverseMatch:  # the report pages are not routed (yet)
            pass
    return item.convention.get_absolute_url(), False


def overdue_report_rows(today: datetime.date) -> list[OverdueReportRow]:
    rows = []
    for item in rules.overdue_reports(today):
        url, links_to_report = report_link(item)
        rows.append(
            OverdueReportRow(
                convention=item.convention,
                year=item.year,
                report=item.report,
                due_date=item.due_date,
                url=url,
                links_to_report=links_to_report,
            )
        )
    return rows


@dataclass(frozen=True)
class Alert:
    year: int
    association: Association
    funder: Funder | None
    amount: Decimal
    message: str


@dataclass(frozen=True)
class LatePayment:
    payment: Payment
    deadline: datetime.date
    days_late: int


def late_payment_rows(today: datetime.date, year: int) -> list[LatePayment]:
    """Late payments of `year`, and those of any year still unpaid."""
    rows = []
    for payment in rules.late_payments(today):
        if payment.year != year and payment.paid_on is not None:
            continue
        deadline = rules.payment_deadline(payment)
        rows.append(LatePayment(payment, deadline, ((payment.paid_on or today) - deadline).days))
    return sorted(rows, key=lambda row: (row.payment.paid_on is not None, row.deadline))


@dataclass(frozen=True)
class Alerts:
    uncovered_support: list[Alert]
    certified_accounts: list[Alert]
    other_years: list[int]  # years other than the focused one with a 23 000 € or 153 000 € alert

    @property
    def count(self) -> int:
        return len(self.uncovered_support) + len(self.certified_accounts)


def threshold_alerts(year: int) -> Alerts:
    """The 23 000 € and 153 000 € alerts of `year`, and the other years that have some."""
    uncovered = rules.uncovered_support_alerts()
    flags = rules.certified_accounts_flags()
    uncovered_now = [total for total in uncovered if total.year == year]
    flags_now = [flag for flag in flags if flag.year == year]
    association_ids = {total.association_id for total in uncovered_now}
    association_ids |= {flag.association_id for flag in flags_now}
    associations = Association.objects.in_bulk(association_ids)
    funders = Funder.objects.in_bulk({total.funder_id for total in uncovered_now})
    return Alerts(
        uncovered_support=[
            Alert(
                year=total.year,
                association=associations[total.association_id],
                funder=funders[total.funder_id],
                amount=total.total,
                message=rules.uncovered_support_message(
                    associations[total.association_id],
                    funders[total.funder_id],
                    total.year,
                    total.total,
                ),
            )
            for total in uncovered_now
        ],
        certified_accounts=[
            Alert(
                year=flag.year,
                association=associations[flag.association_id],
                funder=None,
                amount=flag.money,
                message=rules.certified_accounts_message(
                    associations[flag.association_id], flag.year, flag.money
                ),
            )
            for flag in flags_now
        ],
        other_years=sorted({item.year for item in [*uncovered, *flags] if item.year != year}),
    )


# --- the whole page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    today: datetime.date
    year: int
    support: SupportTable
    chart: ChartGeometry
    campaign: list[CampaignRow]  # the renewal campaign (conventions/campaign.py)
    overdue_reports: list[OverdueReportRow]
    alerts: Alerts
    late_payments: list[LatePayment]


def build_dashboard(*, today: datetime.date, year: int) -> Dashboard:
    """The dashboard as of `today`, the alerts of `year`. A constant number of queries."""
    support = support_by_funder_and_year()
    return Dashboard(
        today=today,
        year=year,
        support=support,
        chart=bar_chart(support.chart_series(), highlighted=str(year)),
        campaign=renewal_campaign(today, for_staff=True),
        overdue_reports=overdue_report_rows(today),
        alerts=threshold_alerts(year),
        late_payments=late_payment_rows(today, year),
    )
