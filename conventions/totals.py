"""The yearly table of a convention: money per funder and year, in-kind support, totals."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from conventions.models import Convention, Funder


@dataclass
class YearRow:
    year: int
    money_by_funder: list[Decimal]
    in_kind: Decimal

    @property
    def money(self) -> Decimal:
        return sum(self.money_by_funder, start=Decimal("0"))

    @property
    def total(self) -> Decimal:
        return self.money + self.in_kind


@dataclass
class YearlyTable:
    funders: list[Funder]
    rows: list[YearRow] = field(default_factory=list)

    @property
    def money_by_funder(self) -> list[Decimal]:
        return [
            sum((row.money_by_funder[index] for row in self.rows), start=Decimal("0"))
            for index in range(len(self.funders))
        ]

    @property
    def money(self) -> Decimal:
        return sum((row.money for row in self.rows), start=Decimal("0"))

    @property
    def in_kind(self) -> Decimal:
        return sum((row.in_kind for row in self.rows), start=Decimal("0"))

    @property
    def total(self) -> Decimal:
        """Total value of the convention: money plus valued in-kind support, all years."""
        return self.money + self.in_kind


def yearly_table(convention: Convention) -> YearlyTable:
    """Expects `parties__funder`, `commitments` and `in_kind_supports` prefetched (or queries)."""
    funders = [party.funder for party in convention.parties.all()]
    money: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for commitment in convention.commitments.all():
        money[(commitment.year, commitment.funder_id)] += commitment.amount
    supports = list(convention.in_kind_supports.all())
    table = YearlyTable(funders=funders)
    for year in convention.years:
        table.rows.append(
            YearRow(
                year=year,
                money_by_funder=[money[(year, funder.pk)] for funder in funders],
                in_kind=sum((support.value_for(year) for support in supports), start=Decimal("0")),
            )
        )
    return table
