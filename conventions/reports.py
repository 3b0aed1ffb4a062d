"""The yearly report's workflow: draft → submitted → validated, or returned with a comment."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from conventions import rules
from conventions.models import (
    EDITABLE_REPORT_STATUSES,
    BudgetLine,
    ReportAction,
    ReportStatus,
    YearlyReport,
    gap_percent,
)


@dataclass(frozen=True)
class BudgetSide:
    """One side (charges or income) of the planned-vs-actual table, with its totals."""

    label: str
    lines: list[BudgetLine]

    @property
    def planned(self) -> Decimal:
        return sum((line.planned for line in self.lines), Decimal("0"))

    @property
    def actual(self) -> Decimal:
        return sum((line.actual for line in self.lines), Decimal("0"))

    @property
    def gap(self) -> Decimal:
        return self.actual - self.planned

    @property
    def gap_percent(self) -> Decimal | None:
        return gap_percent(self.planned, self.actual)


def budget_sides(lines: list[BudgetLine]) -> list[BudgetSide]:
    return [
        BudgetSide(label, [line for line in lines if line.side == side])
        for side, label in BudgetLine.Side.choices
    ]


def ensure_objective_actions(report: YearlyReport) -> None:
    """One 'actions per objective' row for each objective of the convention."""
    existing = set(report.actions.values_list("objective_id", flat=True))
    ReportAction.objects.bulk_create(
        ReportAction(report=report, objective=objective)
        for objective in report.convention.objectives.all()
        if objective.pk not in existing
    )


def _locked(report: YearlyReport) -> YearlyReport:
    """The report's row, locked until the end of the transaction (no double transition)."""
    return YearlyReport.objects.select_for_update().get(pk=report.pk)


@transaction.atomic
def submit_report(report: YearlyReport, *, user) -> YearlyReport:
    report = _locked(report)
    if report.status not in EDITABLE_REPORT_STATUSES:
        raise ValidationError(
            _("Ce compte rendu a déjà été soumis : il ne peut plus être modifié ni soumis.")
        )
    missing = []
    if not report.qualitative_report.strip():
        missing.append(_("le bilan qualitatif"))
    if not report.budget_lines.exists():
        missing.append(_("au moins une ligne du tableau budgétaire"))
    if missing:
        raise ValidationError(
            _("Avant de soumettre, complétez : %(missing)s.") % {"missing": ", ".join(missing)}
        )
    annex = rules.annex_error(report)
    if annex:
        raise ValidationError(annex)
    report.status = ReportStatus.SUBMITTED
    report.submitted_at = timezone.now()
    report.submitted_by = user
    report.save(update_fields=["status", "submitted_at", "submitted_by"])
    return report


@transaction.atomic
def validate_report(report: YearlyReport, *, reviewer, comment: str = "") -> YearlyReport:
    report = _locked(report)
    if report.status != ReportStatus.SUBMITTED:
        raise ValidationError(_("Seul un compte rendu soumis peut être validé."))
    report.status = ReportStatus.VALIDATED
    report.reviewed_at = timezone.now()
    report.reviewed_by = reviewer
    if comment:
        report.staff_comment = comment
    report.save(update_fields=["status", "reviewed_at", "reviewed_by", "staff_comment"])
    return report


@transaction.atomic
def return_report(report: YearlyReport, *, reviewer, comment: str) -> YearlyReport:
    report = _locked(report)
    if report.status != ReportStatus.SUBMITTED:
        raise ValidationError(_("Seul un compte rendu soumis peut être renvoyé à l'association."))
    if not comment.strip():
        raise ValidationError(
            _("Expliquez à l'association ce qu'elle doit reprendre : le commentaire est requis.")
        )
    report.status = ReportStatus.RETURNED
    report.reviewed_at = timezone.now()
    report.reviewed_by = reviewer
    report.staff_comment = comment
    report.save(update_fields=["status", "reviewed_at", "reviewed_by", "staff_comment"])
    return report
