"""Renewing a convention: its successor, as a draft, linked to it.

The successor has the same association and funders (with their signatories' roles), starts the
day after its predecessor ends and lasts 4 years, takes the next reference of the same series
(CPO-2023-BA → CPO-2027-BA), carries the objectives over for editing, the yearly amounts per
funder — those granted on the accepted subsidy request, or else the predecessor's last year,
raised by the indexation percentage each year — and the in-kind support at its last value.
Nothing that must be attested again is copied: no CER date, no signature date, no decision.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from conventions import rules
from conventions.models import (
    SIGNED_STATUSES,
    Commitment,
    Convention,
    ConventionParty,
    ConventionStatus,
    GrantKind,
    InKindSupport,
    Objective,
)

CENT = Decimal("0.01")
YEAR_IN_REFERENCE = re.compile(r"(?<!\d)(\d{4})(?!\d)")
PERIOD_IN_TEXT = re.compile(r"(?<!\d)(\d{4})\s*[-–]\s*(\d{4})(?!\d)")

# (funder id, year) → amount granted
GrantedAmounts = Mapping[tuple[int, int], Decimal]


def successor_period(convention: Convention) -> tuple[datetime.date, datetime.date]:
    start = convention.end_date + datetime.timedelta(days=1)
    return start, rules.latest_end_date(start)


def successor_reference(convention: Convention, start_year: int) -> str:
    """The same series with the new start year: CPO-2023-BA → CPO-2027-BA."""
    reference, count = YEAR_IN_REFERENCE.subn(str(start_year), convention.reference, count=1)
    if not count:
        reference = f"{convention.reference}-{start_year}"
    candidate, suffix = reference, 2
    while Convention.objects.filter(reference=candidate).exists():
        candidate, suffix = f"{reference}-{suffix}", suffix + 1
    return candidate


def successor_purpose(convention: Convention, start: datetime.date, end: datetime.date) -> str:
    return PERIOD_IN_TEXT.sub(f"{start.year}-{end.year}", convention.purpose, count=1)


def indexed(amount: Decimal, percent: Decimal, years: int) -> Decimal:
    """`amount` raised by `percent` a year, for `years` years, to the cent."""
    factor = (Decimal(1) + Decimal(percent) / 100) ** years
    return (Decimal(amount) * factor).quantize(CENT, rounding=ROUND_HALF_UP)


def renewal_refusal(convention: Convention) -> str | None:
    """Why this convention cannot be renewed now, or None."""
    successor = Convention.objects.filter(renews=convention).first()
    if successor is not None:
        return _("La convention %(reference)s est déjà renouvelée par %(successor)s.") % {
            "reference": convention.reference,
            "successor": successor.reference,
        }
    if convention.status not in SIGNED_STATUSES:
        return _(
            "La convention %(reference)s n'est pas signée : seule une convention signée se "
            "renouvelle."
        ) % {"reference": convention.reference}
    return None


def _check_indexation(percent: Decimal) -> None:
    if percent is None or not Decimal("-50") <= Decimal(percent) <= Decimal("50"):
        raise ValidationError(_("L'indexation est un pourcentage compris entre -50 et 50."))


@transaction.atomic
def renew(
    convention: Convention,
    *,
    indexation_percent: Decimal = Decimal("0"),
    granted: GrantedAmounts | None = None,
) -> Convention:
    """Creates the successor of `convention` as a draft; refused (nothing written) with a French
    message when it cannot be renewed."""
    _check_indexation(indexation_percent)
    convention = Convention.objects.select_for_update().get(pk=convention.pk)
    refusal = renewal_refusal(convention)
    if refusal:
        raise ValidationError(refusal)
    start, end = successor_period(convention)
    successor = Convention(
        reference=successor_reference(convention, start.year),
        association=convention.association,
        purpose=successor_purpose(convention, start, end),
        start_date=start,
        end_date=end,
        status=ConventionStatus.DRAFT,
        association_signatory=convention.association_signatory,
        payment_terms=convention.payment_terms,
        renews=convention,
    )
    successor.full_clean()
    successor.save()
    _copy_parties(convention, successor)
    _copy_objectives(convention, successor)
    _copy_amounts(convention, successor, Decimal(indexation_percent), granted)
    _copy_in_kind(convention, successor)
    return successor


def _copy_parties(convention: Convention, successor: Convention) -> None:
    ConventionParty.objects.bulk_create(
        ConventionParty(convention=successor, funder_id=party.funder_id, signatory=party.signatory)
        for party in convention.parties.all()
    )


def _copy_objectives(convention: Convention, successor: Convention) -> None:
    Objective.objects.bulk_create(
        Objective(
            convention=successor,
            priority_id=objective.priority_id,
            title=objective.title,
            indicators=objective.indicators,
            position=objective.position,
        )
        for objective in convention.objectives.all()
    )


def _copy_amounts(
    convention: Convention,
    successor: Convention,
    percent: Decimal,
    granted: GrantedAmounts | None,
) -> None:
    last = {
        (row.funder_id, row.kind): row.amount
        for row in convention.commitments.filter(year=convention.end_date.year)
    }
    if granted:
        rows = _granted_rows(successor, granted, last)
    else:
        rows = [
            Commitment(
                convention=successor,
                funder_id=funder_id,
                year=year,
                kind=kind,
                amount=indexed(amount, percent, offset),
            )
            for (funder_id, kind), amount in sorted(last.items())
            for offset, year in enumerate(successor.years, start=1)
        ]
    # New rows of a new convention: no closed year can be touched (bulk_create skips save()).
    Commitment.objects.bulk_create(rows)


def _granted_rows(
    successor: Convention, granted: GrantedAmounts, last: dict[tuple[int, str], Decimal]
) -> list[Commitment]:
    """The amounts granted on the request; a funder new to the line becomes a party."""
    parties = set(successor.parties.values_list("funder_id", flat=True))
    rows = []
    for (funder_id, year), amount in sorted(granted.items()):
        if year not in successor.years or not amount:
            continue
        if funder_id not in parties:
            ConventionParty.objects.create(convention=successor, funder_id=funder_id)
            parties.add(funder_id)
        kind = next((k for (f, k) in last if f == funder_id), GrantKind.OPERATING)
        rows.append(
            Commitment(
                convention=successor,
                funder_id=funder_id,
                year=year,
                kind=kind,
                amount=Decimal(amount),
            )
        )
    return rows


def _copy_in_kind(convention: Convention, successor: Convention) -> None:
    last_year = convention.end_date.year
    for support in convention.in_kind_supports.prefetch_related("values"):
        InKindSupport.objects.create(
            convention=successor,
            funder_id=support.funder_id,
            kind=support.kind,
            premises_id=support.premises_id,
            description=support.description,
            yearly_value=support.value_for(last_year),
        )


@dataclass
class BulkRenewal:
    created: list[Convention] = field(default_factory=list)
    refused: list[tuple[Convention, str]] = field(default_factory=list)


def conventions_ending_between(start: datetime.date, end: datetime.date):
    """Signed conventions ending within [start, end], oldest end first."""
    return (
        Convention.objects.filter(
            status__in=SIGNED_STATUSES, end_date__gte=start, end_date__lte=end
        )
        .select_related("association")
        .prefetch_related("parties__funder", "renewed_by")
        .order_by("end_date", "association__name")
    )


def default_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The campaign's usual window: conventions ending within the next 12 months."""
    return today, today + relativedelta(months=12)


def renew_many(
    conventions: Iterable[Convention], *, indexation_percent: Decimal = Decimal("0")
) -> BulkRenewal:
    """Renews each convention on its own: one refused (already renewed...) leaves the others."""
    _check_indexation(indexation_percent)
    result = BulkRenewal()
    for convention in conventions:
        try:
            result.created.append(renew(convention, indexation_percent=indexation_percent))
        except ValidationError as error:
            result.refused.append((convention, " ".join(error.messages)))
    return result
