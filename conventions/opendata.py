"""Open-data export of the grants in the national SCDL "subventions" schema, version 2.1.1.

One row is one grant: one funder's yearly money under a signed convention (its commitments of
the year summed), one year of an in-kind support of a signed convention, or one one-off subsidy.
Only amounts and public identifiers are published, no personal data.

Schema: https://schema.data.gouv.fr/scdl/subventions/2.1.1/
"""

from __future__ import annotations

import csv
import datetime
import re
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, TextIO

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet, Sum
from django.utils.translation import gettext as _

from conventions.models import (
    Commitment,
    Convention,
    ConventionParty,
    InKindSupport,
    Payment,
    Subsidy,
    SubsidyNature,
)

if TYPE_CHECKING:
    from associations.models import Association

SCDL_COLUMNS = [
    "nomAttribuant",
    "idAttribuant",
    "dateConvention",
    "referenceDecision",
    "nomBeneficiaire",
    "idBeneficiaire",
    "rnaBeneficiaire",
    "objet",
    "montant",
    "nature",
    "conditionsVersement",
    "datesPeriodeVersement",
    "idRAE",
    "notificationUE",
    "pourcentageSubvention",
    "dispositifAide",
]

MAX_PURPOSE_LENGTH = 255
# Each row is the whole grant of a single beneficiary.
SINGLE_BENEFICIARY_SHARE = "1.00"
# None of these grants is a State aid notified to the European Commission.
NOT_NOTIFIED_TO_EU = "non"

YEAR_PATTERN = re.compile(r"[0-9]{4}")


def parse_year(value: str) -> int:
    """A year as four ASCII digits (the `annee` parameter); French message otherwise."""
    value = value.strip()
    if not YEAR_PATTERN.fullmatch(value) or int(value) < datetime.MINYEAR:
        raise ValidationError(
            _("« %(value)s » n'est pas une année valide : indiquez-la sur 4 chiffres, ex. 2024.")
            % {"value": value[:20]},
            code="invalid_year",
        )
    return int(value)


def year_period(year: int) -> str:
    return f"{year}-01-01/{year}-12-31"


def _amount(value: Decimal) -> str:
    """A number with a decimal point and no thousands separator: 47800.20."""
    return f"{value:.2f}"


def _row(
    *,
    funder_name: str,
    funder_siret: str,
    association: Association,
    signed_on: datetime.date,
    decision_reference: str,
    purpose: str,
    amount: Decimal,
    nature: str,
    payment_terms: str,
    period: str,
) -> dict[str, str]:
    return {
        "nomAttribuant": funder_name,
        "idAttribuant": funder_siret,
        "dateConvention": signed_on.isoformat(),
        "referenceDecision": decision_reference,
        "nomBeneficiaire": association.name,
        "idBeneficiaire": association.siret,
        "rnaBeneficiaire": association.rna,
        "objet": purpose[:MAX_PURPOSE_LENGTH],
        "montant": _amount(amount),
        "nature": nature,
        "conditionsVersement": payment_terms,
        "datesPeriodeVersement": period,
        "idRAE": "",
        "notificationUE": NOT_NOTIFIED_TO_EU,
        "pourcentageSubvention": SINGLE_BENEFICIARY_SHARE,
        "dispositifAide": "",
    }


def _signed_conventions(year: int | None) -> QuerySet[Convention]:
    conventions = Convention.objects.signed()
    return conventions if year is None else conventions.covering_year(year)


def _party_of(convention: Convention, funder_id: int) -> ConventionParty | None:
    return next((party for party in convention.parties.all() if party.funder_id == funder_id), None)


def _decision(convention: Convention, funder_id: int) -> tuple[datetime.date, str]:
    """When and under which decision the funder signed: its own signature date, else the
    association's, else the start of the convention."""
    party = _party_of(convention, funder_id)
    signed_on = (party and party.signed_on) or convention.association_signed_on
    return signed_on or convention.start_date, party.decision_reference if party else ""


def _payment_periods(year: int | None) -> dict[tuple[int, int, int], str]:
    """The payment date of each (convention, funder, year) paid in exactly one payment."""
    payments = Payment.objects.filter(
        convention__in=_signed_conventions(year), paid_on__isnull=False
    )
    if year is not None:
        payments = payments.filter(year=year)
    paid_on: dict[tuple[int, int, int], list[datetime.date]] = defaultdict(list)
    for row in payments.values("convention_id", "funder_id", "year", "paid_on").order_by():
        paid_on[(row["convention_id"], row["funder_id"], row["year"])].append(row["paid_on"])
    return {key: dates[0].isoformat() for key, dates in paid_on.items() if len(dates) == 1}


def _commitment_rows(
    conventions: dict[int, Convention], year: int | None
) -> Iterable[tuple[int, dict[str, str]]]:
    commitments = Commitment.objects.filter(convention__in=_signed_conventions(year))
    if year is not None:
        commitments = commitments.filter(year=year)
    totals = (
        commitments.values("convention_id", "funder_id", "funder__name", "funder__siret", "year")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    periods = _payment_periods(year)
    for total in totals:
        if not total["total"]:
            continue
        convention = conventions.get(total["convention_id"])
        if convention is None:  # signed since the conventions were read
            continue
        funder_id, grant_year = total["funder_id"], total["year"]
        signed_on, reference = _decision(convention, funder_id)
        row = _row(
            funder_name=total["funder__name"],
            funder_siret=total["funder__siret"],
            association=convention.association,
            signed_on=signed_on,
            decision_reference=reference,
            purpose=convention.purpose,
            amount=total["total"],
            nature=SubsidyNature.MONEY,
            payment_terms=convention.payment_terms,
            period=periods.get((convention.pk, funder_id, grant_year), year_period(grant_year)),
        )
        yield grant_year, row


def _in_kind_rows(
    conventions: dict[int, Convention], year: int | None
) -> Iterable[tuple[int, dict[str, str]]]:
    supports = (
        InKindSupport.objects.filter(convention__in=_signed_conventions(year))
        .select_related("funder")
        .prefetch_related("values")
    )
    for support in supports:
        convention = conventions.get(support.convention_id)
        if convention is None:  # signed since the conventions were read
            continue
        signed_on, reference = _decision(convention, support.funder_id)
        for support_year in convention.years:
            if year is not None and support_year != year:
                continue
            value = support.value_for(support_year)
            if not value:
                continue
            row = _row(
                funder_name=support.funder.name,
                funder_siret=support.funder.siret,
                association=convention.association,
                signed_on=signed_on,
                decision_reference=reference,
                purpose=convention.purpose,
                amount=value,
                nature=SubsidyNature.IN_KIND,
                payment_terms=convention.payment_terms,
                period=year_period(support_year),
            )
            yield support_year, row


def _one_off_rows(year: int | None) -> Iterable[tuple[int, dict[str, str]]]:
    subsidies = Subsidy.objects.filter(amount__gt=0).select_related("association", "funder")
    if year is not None:
        subsidies = subsidies.filter(year=year)
    for subsidy in subsidies:
        row = _row(
            funder_name=subsidy.funder.name,
            funder_siret=subsidy.funder.siret,
            association=subsidy.association,
            signed_on=subsidy.decided_on,
            decision_reference=subsidy.decision_reference,
            purpose=subsidy.purpose,
            amount=subsidy.amount,
            nature=subsidy.nature,
            payment_terms=subsidy.payment_terms,
            period=year_period(subsidy.year),
        )
        yield subsidy.year, row


def subsidy_rows(year: int | None = None) -> list[dict[str, str]]:
    """Every published grant (of `year` only if given), one dict per CSV row.

    A fixed number of queries, whatever the number of conventions.
    """
    conventions = {
        convention.pk: convention
        for convention in _signed_conventions(year)
        .select_related("association")
        .prefetch_related(
            Prefetch("parties", queryset=ConventionParty.objects.select_related("funder"))
        )
    }
    rows = [
        (grant_year, row)
        for grant_year, row in [
            *_commitment_rows(conventions, year),
            *_in_kind_rows(conventions, year),
            *_one_off_rows(year),
        ]
        # The SCDL requires the beneficiary's SIRET or RNA: never a row without one (the rules
        # refuse to sign or grant without it; this guards the data entered before them).
        if row["idBeneficiaire"] or row["rnaBeneficiaire"]
    ]
    # Year, beneficiary, funder, nature; then the other columns so that ties stay stable.
    rows.sort(
        key=lambda item: (
            item[0],
            item[1]["nomBeneficiaire"],
            item[1]["nomAttribuant"],
            item[1]["nature"],
            *(item[1][column] for column in SCDL_COLUMNS),
        )
    )
    return [row for _year, row in rows]


def write_csv(rows: Iterable[dict[str, str]], stream: TextIO) -> None:
    """Comma-separated, header first; open files with `newline=""` and UTF-8."""
    writer = csv.DictWriter(stream, fieldnames=SCDL_COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
