"""Charts readable on a phone: each funder has one colour in every chart, and the value of each
bar is written above it (no hover needed)."""

from decimal import Decimal
from types import SimpleNamespace

from django.template.loader import render_to_string

from conventions.dashboard import (
    IN_KIND_COLOR,
    ChartSeries,
    SupportRow,
    SupportTable,
    bar_chart,
    funder_color,
)


def funder(pk, name):
    return SimpleNamespace(pk=pk, display_name=name)


def test_a_funder_keeps_its_colour_whatever_its_rank_in_the_chart():
    ville, metropole = funder(1, "Ville"), funder(2, "Métropole")
    first = SupportTable(
        funders=[ville, metropole],
        rows=[SupportRow(year=2024, amounts=[Decimal(10), Decimal(5)])],
    )
    swapped = SupportTable(
        funders=[metropole, ville],
        rows=[SupportRow(year=2024, amounts=[Decimal(50), Decimal(1)])],
    )

    colours = {item.label: item.color for item in bar_chart(first.chart_series()).legend}
    colours_swapped = {item.label: item.color for item in bar_chart(swapped.chart_series()).legend}

    assert colours == colours_swapped
    assert colours["Ville"] != colours["Métropole"]
    assert IN_KIND_COLOR not in {funder_color(funder(pk, "")) for pk in range(1, 20)}


def test_each_bar_shows_its_value_without_hover():
    chart = bar_chart(
        ChartSeries(
            categories=["2023", "2024"],
            series=["Ville", "Métropole"],
            values=[[Decimal(12500), Decimal(8000)], [Decimal(13000), Decimal(0)]],
        )
    )

    svg = render_to_string(
        "conventions/_bar_chart.svg.html",
        {"chart": chart, "chart_id": "c", "title": "t", "description": "d"},
    )

    assert [total.label for total in chart.totals] == ["20\u00a0500\u00a0€", "13\u00a0000\u00a0€"]
    assert ">20\u00a0500\u00a0€</text>" in svg
    assert 'font-size="12"' in svg


def test_narrow_bars_get_a_short_value():
    chart = bar_chart(
        ChartSeries(
            categories=[str(year) for year in range(2011, 2027)],
            series=["Ville"],
            values=[[Decimal(267600)] for _ in range(16)],
        )
    )

    assert len(chart.totals) == 16
    assert chart.totals[0].label == "268\u202fk€"
