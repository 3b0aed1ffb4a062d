"""The French public-subsidy rules the portal enforces, each with the message the user sees.

- A multi-year convention (CPO) lasts at most 4 years; it ends after it starts.
- Yearly commitments fall within the convention's years and come from its signatories.
- Amounts are non-negative (validators on the fields).
- No two signed conventions cover the same period for the same association and funder.
- Above 23 000 € a year from one funder, a convention is mandatory (loi 2000-321 art. 10,
  décret 2001-495): staff get an alert when a funder's support is not covered by one.
- Above 153 000 € of public subsidies in money a year, the association must have certified,
  published accounts (Code de commerce L612-4): flagged.
- Since 2022 the association attests the "contrat d'engagement républicain" (date kept).
- Payment is due within 60 days of the notification of the decision (loi 2021-875): late
  payments are flagged.
- A reminder goes out 6 months before a convention ends.
- The CER is attested on or before the association's signature, never in the future.
- A yearly report's explanatory annex is required when a budget line's gap exceeds
  settings.REPORT_ANNEX_GAP_PERCENT (20 % by default).
- No convention signed, no one-off subsidy saved for an association with neither SIRET nor RNA;
  the open-data export never emits a row without one of them. The RNA is W and 9 digits or
  capital letters (Corsica: W2A…, W2B…) and a SIRET typed with spaces is stored as its 14
  digits (validators and field in solidaren/identifiers.py).
- A signed convention is published in open data (SCDL) within 3 months of its signature: the
  deadline is tracked per convention.
- A year whose report is validated is closed: its amounts can no longer change nor disappear,
  from any path (forms, delete pages, bulk actions, inlines, services); an in-kind support is
  valued per year, a new value applying from an open year on.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from conventions.models import (
    SIGNED_STATUSES,
    Commitment,
    Convention,
    ConventionParty,
    ConventionStatus,
    InKindSupport,
    InKindValue,
    Payment,
    ReportStatus,
    Subsidy,
    SubsidyNature,
    SubsidyRequest,
    YearlyReport,
    report_due_date,
)

MAX_CONVENTION_YEARS = 4
CONVENTION_THRESHOLD = Decimal("23000")
CERTIFIED_ACCOUNTS_THRESHOLD = Decimal("153000")
PAYMENT_DEADLINE_DAYS = 60
RENEWAL_REMINDER_MONTHS = 6
REPUBLICAN_CONTRACT_SINCE = datetime.date(2022, 1, 1)


NBSP = "\u00a0"


def euro(amount: Decimal) -> str:
    """French formatting of an amount, with non-breaking spaces: 23 000,00 €."""
    grouped = f"{Decimal(amount).quantize(Decimal('0.01')):,.2f}"
    return grouped.replace(",", NBSP).replace(".", ",") + NBSP + "€"


def latest_end_date(start: datetime.date) -> datetime.date:
    """The last day a convention starting on `start` may run: 4 years minus one day."""
    return start + relativedelta(years=MAX_CONVENTION_YEARS) - datetime.timedelta(days=1)


# --- conventions ------------------------------------------------------------------------------


def overlapping_signed_conventions(convention: Convention, funder_ids: set[int]):
    """Other signed conventions of the same association and funders over an overlapping period."""
    return (
        Convention.objects.signed()
        .filter(
            association_id=convention.association_id,
            parties__funder_id__in=funder_ids,
            start_date__lte=convention.end_date,
            end_date__gte=convention.start_date,
        )
        .exclude(pk=convention.pk)
        .distinct()
    )


def overlap_message(convention: Convention, funder_ids: set[int]) -> str | None:
    if convention.status not in SIGNED_STATUSES or not funder_ids:
        return None
    if not (convention.association_id and convention.start_date and convention.end_date):
        return None
    other = overlapping_signed_conventions(convention, funder_ids).first()
    if other is None:
        return None
    funder = other.parties.filter(funder_id__in=funder_ids).select_related("funder").first()
    return _(
        "La convention %(reference)s lie déjà %(association)s et %(funder)s du %(start)s au "
        "%(end)s : deux conventions ne peuvent pas être en vigueur en même temps pour la même "
        "association et le même financeur."
    ) % {
        "reference": other.reference,
        "association": convention.association,
        "funder": funder.funder if funder else "",
        "start": date_format(other.start_date, "SHORT_DATE_FORMAT"),
        "end": date_format(other.end_date, "SHORT_DATE_FORMAT"),
    }


def _period_error(convention: Convention) -> str | None:
    start, end = convention.start_date, convention.end_date
    if not (start and end):
        return None
    if end <= start:
        return _("La date de fin doit être postérieure à la date de début.")
    if end > latest_end_date(start):
        return _(
            "Une convention pluriannuelle dure au plus 4 ans : elle doit se terminer au plus "
            "tard le %(date)s."
        ) % {"date": date_format(latest_end_date(start), "SHORT_DATE_FORMAT")}
    if convention.pk:
        outside = convention.commitments.exclude(year__gte=start.year, year__lte=end.year)
        outside_years = sorted(set(outside.values_list("year", flat=True)))
        if outside_years:
            return _(
                "Des engagements existent pour %(years)s, hors de la nouvelle période : "
                "supprimez-les ou gardez des dates qui les couvrent."
            ) % {"years": ", ".join(str(year) for year in outside_years)}
    return None


def _signature_errors(convention: Convention) -> dict[str, str]:
    """What must be known before a convention leaves the draft stage."""
    if convention.status == ConventionStatus.DRAFT:
        return {}
    errors = {}
    start = convention.start_date
    needs_attestation = start is None or start >= REPUBLICAN_CONTRACT_SINCE
    if needs_attestation and not convention.republican_contract_attested_on:
        errors["republican_contract_attested_on"] = _(
            "Indiquez la date d'attestation du contrat d'engagement républicain : elle est "
            "obligatoire avant la signature des conventions depuis 2022."
        )
    if convention.association_id:
        identifier = identifier_error(convention.association)
        if identifier:
            errors["association"] = identifier
    return errors


IDENTIFIER_MESSAGE = _lazy(
    "Renseignez d'abord le SIRET ou le numéro RNA de l'association : l'un des deux est "
    "obligatoire pour signer une convention ou accorder une subvention, et pour la publier en "
    "données ouvertes."
)


def identifier_error(association) -> str | None:
    """No convention signed nor one-off subsidy granted without a SIRET or an RNA number."""
    if association is None or association.siret or association.rna:
        return None
    return str(IDENTIFIER_MESSAGE)


def republican_contract_error(
    attested_on: datetime.date | None, signed_on: datetime.date | None
) -> str | None:
    """The CER attestation is dated on or before the association's signature, and not in the
    future."""
    if attested_on is None:
        return None
    if attested_on > timezone.localdate():
        return _("La date d'attestation du contrat d'engagement républicain est dans le futur.")
    if signed_on is not None and attested_on > signed_on:
        return _(
            "Le contrat d'engagement républicain doit être attesté au plus tard le jour où "
            "l'association signe (%(date)s)."
        ) % {"date": date_format(signed_on, "SHORT_DATE_FORMAT")}
    return None


FRENCH_MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def legal_date(value: datetime.date) -> str:
    """A date as French legal texts write it: "1er janvier 2023", "15 mars 2027"."""
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {FRENCH_MONTHS[value.month - 1]} {value.year}"


def _renewal_error(convention: Convention) -> str | None:
    previous = convention.renews
    if previous is None:
        return None
    if previous.pk == convention.pk:
        return _("Une convention ne peut pas se renouveler elle-même.")
    if previous.association_id != convention.association_id:
        return _("La convention renouvelée doit concerner la même association.")
    if convention.start_date and previous.end_date >= convention.start_date:
        return _("La convention renouvelée doit se terminer avant le début de celle-ci.")
    return None


def check_convention(convention: Convention) -> None:
    errors: dict[str, str] = {}
    cer = republican_contract_error(
        convention.republican_contract_attested_on, convention.association_signed_on
    )
    if cer:
        errors["republican_contract_attested_on"] = cer
    period_error = _period_error(convention)
    if period_error:
        errors["end_date"] = period_error
    errors.update(_signature_errors(convention))
    renewal_error = _renewal_error(convention)
    if renewal_error:
        errors["renews"] = renewal_error
    if convention.start_date and convention.end_date and not period_error:
        overlap = overlap_message(convention, convention.signatory_funder_ids())
        if overlap:
            errors["status"] = overlap
    if errors:
        raise ValidationError(errors)


def check_party(party: ConventionParty) -> None:
    convention = convention_of(party)
    if convention is None or not party.funder_id:
        return
    if convention.start_date is None or convention.end_date is None:
        return
    message = overlap_message(convention, {party.funder_id})
    if message:
        raise ValidationError({"funder": message})


def convention_of(row) -> Convention | None:
    """The convention a row belongs to, or None when its form left it empty or invalid.

    The field's own error ("Ce champ est obligatoire.") is then what the user sees: the rules
    below have nothing to check without a convention. `convention_id` alone is not enough: the
    rows typed in the form of a new convention carry that convention, which has no id yet.
    """
    if row.convention_id is None and not type(row).convention.is_cached(row):
        return None
    return row.convention


# --- money ------------------------------------------------------------------------------------


def is_year_closed(convention_id: int | None, year: int | None) -> bool:
    """A year is closed once its yearly report has been validated."""
    if convention_id is None or year is None:
        return False
    return YearlyReport.objects.filter(
        convention_id=convention_id, year=year, status=ReportStatus.VALIDATED
    ).exists()


def closed_year_message(year: int) -> str:
    return _(
        "L'année %(year)s est close (compte rendu validé) : ses montants ne peuvent plus être "
        "modifiés."
    ) % {"year": year}


def _changed_in_closed_year(instance, fields: list[str]) -> int | None:
    """The closed year this new or changed row touches, if any (its old year included)."""
    years = {instance.year}
    if instance.pk:
        old = type(instance).objects.filter(pk=instance.pk).values(*fields, "year").first()
        if old is not None:
            if all(old[name] == getattr(instance, name) for name in [*fields, "year"]):
                return None
            years.add(old["year"])
    for year in sorted(year for year in years if year is not None):
        if is_year_closed(instance.convention_id, year):
            return year
    return None


def closed_years(convention_id: int | None) -> set[int]:
    if convention_id is None:
        return set()
    return set(
        YearlyReport.objects.filter(
            convention_id=convention_id, status=ReportStatus.VALIDATED
        ).values_list("year", flat=True)
    )


def _value_years(support: InKindSupport, from_year: int | None, *, exclude_pk=None) -> set[int]:
    """The years whose value is set by the value starting in `from_year` (None: the first
    year's value), given the support's other values."""
    convention = support.convention
    first, last = convention.start_date.year, convention.end_date.year
    start = first if from_year is None else from_year
    others = InKindValue.objects.filter(support_id=support.pk).exclude(pk=exclude_pk)
    later = [year for year in others.values_list("from_year", flat=True) if year > start]
    return set(range(start, min(later, default=last + 1)))


def _in_kind_support_years(support: InKindSupport) -> set[int]:
    """Years a change of this support's first value or funder would alter."""
    if support.pk is None:
        return set(support.convention.years)
    old = InKindSupport.objects.filter(pk=support.pk).values("yearly_value", "funder_id").first()
    if old is None or (
        old["yearly_value"] == support.yearly_value and old["funder_id"] == support.funder_id
    ):
        return set()
    if old["funder_id"] != support.funder_id:
        return set(support.convention.years)
    return _value_years(support, None)


def _in_kind_value_years(value: InKindValue) -> set[int]:
    support = value.support
    years = set()
    if value.from_year is not None:
        years |= _value_years(support, value.from_year, exclude_pk=value.pk)
    if value.pk:
        old = InKindValue.objects.filter(pk=value.pk).values("from_year", "value").first()
        if old is not None:
            if (old["from_year"], old["value"]) == (value.from_year, value.value):
                return set()
            years |= _value_years(support, old["from_year"], exclude_pk=value.pk)
    return years


def closed_year_touched(row) -> int | None:
    """The first closed year that saving `row` as it stands would change, if any."""
    if isinstance(row, Commitment):
        return _changed_in_closed_year(row, ["amount", "funder_id", "kind"])
    if isinstance(row, Payment):
        return _changed_in_closed_year(row, ["amount", "funder_id", "notified_on", "paid_on"])
    if isinstance(row, InKindSupport):
        if convention_of(row) is None or not row.convention.start_date:
            return None
        if row.pk is None and not row.yearly_value:
            return None  # a new support worth nothing in its first years alters no total
        touched = _in_kind_support_years(row) & closed_years(row.convention_id)
        return min(touched, default=None)
    if isinstance(row, InKindValue):
        if row.support_id is None:
            return None
        touched = _in_kind_value_years(row) & closed_years(row.support.convention_id)
        return min(touched, default=None)
    return None


def refuse_closed_year_change(row) -> None:
    """The guard of `save()`: the same rule as the forms, for every other path."""
    year = closed_year_touched(row)
    if year is not None:
        raise ValidationError(closed_year_message(year))


def _closed_year_of_deleted(row) -> int | None:
    if isinstance(row, Commitment | Payment):
        return row.year if is_year_closed(row.convention_id, row.year) else None
    if isinstance(row, InKindSupport):
        return min(closed_years(row.convention_id), default=None)
    if isinstance(row, InKindValue):
        touched = _value_years(row.support, row.from_year, exclude_pk=row.pk)
        return min(touched & closed_years(row.support.convention_id), default=None)
    if isinstance(row, Convention):
        return min(closed_years(row.pk), default=None)
    return None


def deletion_refusals(rows) -> list[str]:
    """Why each of these rows may not be deleted (a closed year), in words; empty if none."""
    refusals = []
    for row in rows:
        year = _closed_year_of_deleted(row)
        if year is not None:
            refusals.append(
                _(
                    "%(row)s : l'année %(year)s est close (compte rendu validé), rien ne peut "
                    "en être supprimé."
                )
                % {"row": row, "year": year}
            )
    return refusals


def refuse_deleting_closed_rows(rows) -> None:
    refusals = deletion_refusals(rows)
    if refusals:
        raise ValidationError(refusals)


def check_in_kind_value(value: InKindValue) -> None:
    errors: dict[str, list[str]] = defaultdict(list)
    if value.support_id is None or value.from_year is None:
        return
    convention = value.support.convention
    if value.from_year not in convention.years:
        errors["from_year"].append(
            _("L'année %(year)s est hors de la période de la convention (%(first)s–%(last)s).")
            % {"year": value.from_year, "first": convention.years[0], "last": convention.years[-1]}
        )
    else:
        closed = closed_year_touched(value)
        if closed is not None:
            errors["from_year"].append(
                _(
                    "L'année %(year)s est close (compte rendu validé) : une nouvelle valeur ne "
                    "peut s'appliquer qu'à partir d'une année ouverte."
                )
                % {"year": closed}
            )
    if errors:
        raise ValidationError(dict(errors))


def _check_year_and_funder(instance, errors: dict[str, list[str]]) -> None:
    convention = convention_of(instance)
    if convention is None:
        return
    dated = convention.start_date and convention.end_date
    if instance.year is not None and dated and instance.year not in convention.years:
        errors["year"].append(
            _("L'année %(year)s est hors de la période de la convention (%(first)s–%(last)s).")
            % {"year": instance.year, "first": convention.years[0], "last": convention.years[-1]}
        )
    if instance.funder_id and instance.funder_id not in convention.signatory_funder_ids():
        errors["funder"].append(
            _(
                "%(funder)s ne signe pas cette convention : seuls ses financeurs signataires "
                "peuvent s'y engager."
            )
            % {"funder": instance.funder}
        )


def check_commitment(commitment: Commitment) -> None:
    errors: dict[str, list[str]] = defaultdict(list)
    _check_year_and_funder(commitment, errors)
    closed = _changed_in_closed_year(commitment, ["amount", "funder_id", "kind"])
    if closed:
        errors["amount"].append(closed_year_message(closed))
    if errors:
        raise ValidationError(dict(errors))


def check_payment(payment: Payment) -> None:
    errors: dict[str, list[str]] = defaultdict(list)
    _check_year_and_funder(payment, errors)
    closed = _changed_in_closed_year(payment, ["amount", "funder_id", "notified_on", "paid_on"])
    if closed:
        errors["amount"].append(closed_year_message(closed))
    if payment.paid_on and payment.notified_on and payment.paid_on < payment.notified_on:
        errors["paid_on"].append(
            _("Un versement ne peut pas précéder la notification de la décision.")
        )
    if errors:
        raise ValidationError(dict(errors))


def payment_deadline(payment: Payment) -> datetime.date | None:
    if payment.notified_on is None:
        return None
    return payment.notified_on + datetime.timedelta(days=PAYMENT_DEADLINE_DAYS)


def payment_is_late(payment: Payment, today: datetime.date | None = None) -> bool:
    deadline = payment_deadline(payment)
    if deadline is None:
        return False
    if payment.paid_on:
        return payment.paid_on > deadline
    return (today or datetime.date.today()) > deadline


def late_payments(today: datetime.date) -> list[Payment]:
    candidates = Payment.objects.filter(notified_on__isnull=False).select_related(
        "convention__association", "funder"
    )
    return [payment for payment in candidates if payment_is_late(payment, today)]


def check_in_kind_support(support: InKindSupport) -> None:
    errors: dict[str, list[str]] = defaultdict(list)
    convention = convention_of(support)
    funder_id = support.funder_id
    if convention and funder_id and funder_id not in convention.signatory_funder_ids():
        errors["funder"].append(
            _(
                "%(funder)s ne signe pas cette convention : seuls ses financeurs signataires "
                "peuvent s'y engager."
            )
            % {"funder": support.funder}
        )
    if support.kind == InKindSupport.Kind.PREMISES and support.premises_id is None:
        errors["premises"].append(_("Choisissez les locaux mis à disposition."))
    if (
        convention
        and support.premises_id
        and support.premises.association_id != convention.association_id
    ):
        errors["premises"].append(_("Ces locaux sont ceux d'une autre association."))
    if convention and convention.start_date and convention.end_date:
        closed = closed_year_touched(support)
        if closed is not None:
            errors["yearly_value"].append(
                _(
                    "L'année %(year)s est close (compte rendu validé) : sa valeur ne change plus. "
                    "Ajoutez une nouvelle valeur à partir d'une année ouverte."
                )
                % {"year": closed}
            )
    if errors:
        raise ValidationError(dict(errors))


def check_subsidy(subsidy: Subsidy) -> None:
    if subsidy.association_id is None:
        return
    error = identifier_error(subsidy.association)
    if error:
        raise ValidationError({"association": error})


def annex_gap_threshold() -> Decimal:
    return Decimal(settings.REPORT_ANNEX_GAP_PERCENT)


def annex_error(report: YearlyReport) -> str | None:
    """The explanatory annex is required when a budget line's gap exceeds the threshold."""
    if report.annex.strip():
        return None
    threshold = annex_gap_threshold()
    lines = [
        line
        for line in report.budget_lines.all()
        if line.gap_percent is not None and abs(line.gap_percent) > threshold
    ]
    if not lines:
        return None
    return _(
        "L'annexe explicative est obligatoire : l'écart entre prévu et réalisé dépasse "
        "%(threshold)s %% sur « %(line)s » (%(gap)s %%)."
    ) % {
        "threshold": threshold,
        "line": lines[0].label,
        "gap": str(lines[0].gap_percent).replace(".", ","),
    }


def check_report(report: YearlyReport) -> None:
    convention = convention_of(report)
    if convention is None:
        return
    if report.year is not None and report.year not in convention.years:
        raise ValidationError(
            {
                "year": _(
                    "Le compte rendu porte sur une année de la convention (%(first)s–%(last)s)."
                )
                % {"first": convention.years[0], "last": convention.years[-1]}
            }
        )


# --- thresholds and alerts --------------------------------------------------------------------


@dataclass(frozen=True)
class SupportTotal:
    association_id: int
    funder_id: int
    year: int
    money: Decimal
    in_kind: Decimal

    @property
    def total(self) -> Decimal:
        return self.money + self.in_kind


def support_totals(year: int | None = None) -> list[SupportTotal]:
    """Money and valued in-kind support per association, funder and year.

    Counts the commitments and in-kind support of signed conventions and the one-off subsidies.
    """
    money: dict[tuple[int, int, int], Decimal] = defaultdict(Decimal)
    in_kind: dict[tuple[int, int, int], Decimal] = defaultdict(Decimal)

    commitments = Commitment.objects.filter(convention__status__in=SIGNED_STATUSES)
    if year is not None:
        commitments = commitments.filter(year=year)
    for row in commitments.values("convention__association_id", "funder_id", "year").annotate(
        total=Sum("amount")
    ):
        money[(row["convention__association_id"], row["funder_id"], row["year"])] += row["total"]

    supports = (
        InKindSupport.objects.filter(convention__status__in=SIGNED_STATUSES)
        .select_related("convention")
        .prefetch_related("values")
    )
    for support in supports:
        for support_year in support.convention.years:
            if year is None or support_year == year:
                key = (support.convention.association_id, support.funder_id, support_year)
                in_kind[key] += support.value_for(support_year)

    subsidies = Subsidy.objects.all() if year is None else Subsidy.objects.filter(year=year)
    for row in subsidies.values("association_id", "funder_id", "year", "nature").annotate(
        total=Sum("amount")
    ):
        key = (row["association_id"], row["funder_id"], row["year"])
        target = money if row["nature"] == SubsidyNature.MONEY else in_kind
        target[key] += row["total"]

    keys = sorted(set(money) | set(in_kind), key=lambda key: (key[2], key[0], key[1]))
    return [
        SupportTotal(
            association_id=a,
            funder_id=f,
            year=y,
            money=money[(a, f, y)],
            in_kind=in_kind[(a, f, y)],
        )
        for a, f, y in keys
    ]


def covered_pairs() -> set[tuple[int, int, int]]:
    """(association, funder, year) triples covered by a signed convention."""
    covered = set()
    rows = ConventionParty.objects.filter(convention__status__in=SIGNED_STATUSES).values(
        "convention__association_id",
        "funder_id",
        "convention__start_date",
        "convention__end_date",
    )
    for row in rows:
        for year in range(row["convention__start_date"].year, row["convention__end_date"].year + 1):
            covered.add((row["convention__association_id"], row["funder_id"], year))
    return covered


def uncovered_support_alerts(year: int | None = None) -> list[SupportTotal]:
    """Support above 23 000 € a year from one funder that no signed convention covers."""
    covered = covered_pairs()
    return [
        total
        for total in support_totals(year)
        if total.total > CONVENTION_THRESHOLD
        and (total.association_id, total.funder_id, total.year) not in covered
    ]


def uncovered_support_message(association, funder, year: int, total: Decimal) -> str:
    return _(
        "%(funder)s apporte %(amount)s à %(association)s en %(year)s (argent et aide en nature "
        "valorisée) sans convention : au-delà de 23 000 € par an, une convention est "
        "obligatoire."
    ) % {"funder": funder, "amount": euro(total), "association": association, "year": year}


@dataclass(frozen=True)
class CertifiedAccountsFlag:
    association_id: int
    year: int
    money: Decimal


def certified_accounts_flags(year: int | None = None) -> list[CertifiedAccountsFlag]:
    """Associations receiving more than 153 000 € of public subsidies in money in a year."""
    per_association: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for total in support_totals(year):
        per_association[(total.association_id, total.year)] += total.money
    return [
        CertifiedAccountsFlag(association_id=a, year=y, money=amount)
        for (a, y), amount in sorted(per_association.items(), key=lambda item: item[0][::-1])
        if amount > CERTIFIED_ACCOUNTS_THRESHOLD
    ]


def certified_accounts_message(association, year: int, money: Decimal) -> str:
    return _(
        "%(association)s reçoit %(amount)s de subventions publiques en numéraire en %(year)s : "
        "au-delà de 153 000 €, elle doit faire certifier ses comptes par un commissaire aux "
        "comptes et les publier."
    ) % {"association": association, "amount": euro(money), "year": year}


# --- deadlines --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverdueReport:
    convention: Convention
    year: int
    report: YearlyReport | None

    @property
    def due_date(self) -> datetime.date:
        return report_due_date(self.year)


def overdue_reports(today: datetime.date, conventions=None) -> list[OverdueReport]:
    """Years of signed conventions whose report is missing or not submitted after 30 June."""
    conventions = Convention.objects.signed() if conventions is None else conventions.signed()
    conventions = conventions.select_related("association").prefetch_related("reports")
    overdue = []
    for convention in conventions:
        reports = {report.year: report for report in convention.reports.all()}
        for year in convention.years:
            if report_due_date(year) >= today:
                continue
            report = reports.get(year)
            if report is None or report.is_editable:
                overdue.append(OverdueReport(convention, year, report))
    return sorted(overdue, key=lambda item: (item.year, item.convention.association.name))


def conventions_ending_within(today: datetime.date, months: int = 12):
    return (
        Convention.objects.filter(status=ConventionStatus.IN_FORCE)
        .filter(end_date__gte=today, end_date__lte=today + relativedelta(months=months))
        .select_related("association")
        .order_by("end_date")
    )


def conventions_due_for_renewal_reminder(today: datetime.date):
    """In force, ending within 6 months, not renewed yet, reminder not sent."""
    return conventions_ending_within(today, RENEWAL_REMINDER_MONTHS).filter(
        renewal_reminder_sent_on__isnull=True, renewed_by__isnull=True
    )


# --- subsidy requests -------------------------------------------------------------------------


def check_subsidy_request(request: SubsidyRequest) -> None:
    errors: dict[str, list[str]] = defaultdict(list)
    first, last = request.first_year, request.last_year
    if first is not None and last is not None:
        if last < first:
            errors["last_year"].append(_("La dernière année précède la première."))
        elif last - first + 1 > MAX_CONVENTION_YEARS:
            errors["last_year"].append(_("Une demande pluriannuelle porte sur 4 ans au plus."))
        elif request.duration == SubsidyRequest.Duration.ANNUAL and first != last:
            errors["duration"].append(
                _("Une demande annuelle porte sur une seule année : celle-ci en couvre plusieurs.")
            )
    if request.kind == SubsidyRequest.Kind.RENEWAL:
        if request.renews_id is None:
            errors["renews"].append(_("Choisissez la convention que la demande renouvelle."))
        elif request.association_id and request.renews.association_id != request.association_id:
            errors["renews"].append(_("Cette convention est celle d'une autre association."))
    elif request.renews_id is not None:
        errors["renews"].append(_("Une première demande ne renouvelle pas de convention."))
    cer = republican_contract_error(request.republican_contract_attested_on, None)
    if cer:
        errors["republican_contract_attested_on"].append(cer)
    if errors:
        raise ValidationError(dict(errors))


# --- open data (SCDL) -------------------------------------------------------------------------

SCDL_PUBLICATION_MONTHS = 3


def signature_date(convention: Convention) -> datetime.date | None:
    """The day the last party signed (the convention's date in the SCDL)."""
    dates = [convention.association_signed_on, *(p.signed_on for p in convention.parties.all())]
    if not dates or any(date is None for date in dates):
        return None
    return max(dates)


def scdl_deadline(convention: Convention) -> datetime.date | None:
    """Publish in open data within 3 months of the signature (décret 2017-779)."""
    signed = signature_date(convention)
    if signed is None or convention.status not in SIGNED_STATUSES:
        return None
    return signed + relativedelta(months=SCDL_PUBLICATION_MONTHS)


def is_published_in_opendata(convention: Convention) -> bool:
    """The export publishes a signed convention with amounts whose association has an
    identifier (SIRET or RNA); it is generated live, so publishable means published."""
    return (
        convention.status in SIGNED_STATUSES
        and identifier_error(convention.association) is None
        # The commitments as read (prefetched on the convention's page): a handful of rows.
        and any(commitment.amount > 0 for commitment in convention.commitments.all())
    )


@dataclass(frozen=True)
class ScdlDeadline:
    convention: Convention
    deadline: datetime.date
    published: bool

    def is_late(self, today: datetime.date) -> bool:
        return not self.published and today > self.deadline


def scdl_deadlines(today: datetime.date) -> list[ScdlDeadline]:
    """Signed conventions not in the open data yet, with their publication deadline."""
    rows = []
    conventions = (
        Convention.objects.signed().select_related("association").prefetch_related("parties")
    )
    for convention in conventions:
        deadline = scdl_deadline(convention)
        if deadline is None or is_published_in_opendata(convention):
            continue
        rows.append(ScdlDeadline(convention, deadline, published=False))
    return sorted(rows, key=lambda row: row.deadline)


def scdl_deadline_message(row: ScdlDeadline, today: datetime.date) -> str:
    values = {
        "reference": row.convention.reference,
        "date": date_format(row.deadline, "SHORT_DATE_FORMAT"),
    }
    if row.is_late(today):
        return (
            _(
                "La convention %(reference)s devait être publiée en données ouvertes avant le "
                "%(date)s : renseignez le SIRET ou le RNA de l'association et ses montants."
            )
            % values
        )
    return (
        _("La convention %(reference)s doit être publiée en données ouvertes avant le %(date)s.")
        % values
    )
