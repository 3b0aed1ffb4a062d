"""Yearly reports in the portal: coordinators fill, save and submit them; agents review them.

The workflow (submit, validate, return) is in `conventions/reports.py`; who may see or change a
report is `YearlyReport.objects.visible_to` / `editable_by`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from conventions import documents
from conventions.filters import YearlyReportFilter
from conventions.forms import ReportAttachmentForm, ReportEditForms, ReviewForm
from conventions.models import (
    Convention,
    ReportAttachment,
    ReportStatus,
    YearlyReport,
)
from conventions.reports import (
    budget_sides,
    ensure_objective_actions,
    return_report,
    submit_report,
    validate_report,
)
from conventions.rules import report_due_date
from solidaren import page_cache
from solidaren.access import (
    can_change,
    coordinated_association_ids,
    get_visible_or_404,
    is_agent,
    role_required,
)
from solidaren.downloads import private_file_response


def _not_editable_message() -> str:
    return _(
        "Ce compte rendu n'est plus modifiable : il a été soumis aux agents du réseau ou vous "
        "n'en êtes pas coordinateur·rice."
    )


# --- helpers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StartableReport:
    """A begun year of a signed convention that has no report yet."""

    convention: Convention
    year: int

    @property
    def due_date(self) -> datetime.date:
        return report_due_date(self.year)


def _own_signed_conventions(user):
    # Reports are started by the association's own coordinators; agents use the back-office.
    return Convention.objects.signed().filter(association_id__in=coordinated_association_ids(user))


def startable_reports(user, today: datetime.date) -> list[StartableReport]:
    conventions = (
        _own_signed_conventions(user)
        .select_related("association")
        .prefetch_related(
            Prefetch("reports", queryset=YearlyReport.objects.only("convention", "year"))
        )
        .order_by("association__name", "start_date")
    )
    startable = []
    for convention in conventions:
        existing = {report.year for report in convention.reports.all()}
        startable += [
            StartableReport(convention, year)
            for year in convention.years
            if year <= today.year and year not in existing
        ]
    return sorted(startable, key=lambda item: (-item.year, item.convention.association.name))


def _reports():
    return YearlyReport.objects.select_related(
        "convention__association", "submitted_by", "reviewed_by"
    )


def _render_detail(request, report, *, forms=None, attachment_form=None):
    """The report page: forms when the user may edit it, a read-only view otherwise."""
    editable = can_change(request.user, report)
    if editable and forms is None:
        ensure_objective_actions(report)
        forms = ReportEditForms(report)
    saved_lines = list(report.budget_lines.all())
    if editable:
        saved = {line.pk: line for line in saved_lines}
        for form in forms.budget.forms:
            form.saved_line = saved.get(form.instance.pk)
    context = {
        "report": report,
        "editable": editable,
        "forms": forms if editable else None,
        "budget_sides": budget_sides(saved_lines),
        "actions": None if editable else report.actions.select_related("objective"),
        "attachments": report.attachments.all(),
        "attachment_form": (attachment_form or ReportAttachmentForm()) if editable else None,
        "review_form": (
            ReviewForm()
            if is_agent(request.user) and report.status == ReportStatus.SUBMITTED
            else None
        ),
        "overdue": report.is_overdue(timezone.localdate()),
    }
    if report.status in (ReportStatus.SUBMITTED, ReportStatus.VALIDATED):
        context["document"], context["stale"] = documents.existing_document(f"report:{report.pk}")
        context["show_document"] = True
    return render(request, "conventions/report_detail.html", context)


# --- views ------------------------------------------------------------------------------------


@role_required("agent", "coordinator")
@require_GET
def report_list(request):
    def context() -> dict:
        today = timezone.localdate()
        reports = (
            YearlyReport.objects.visible_to(request.user)
            .select_related("convention__association")
            .order_by("-year", "convention__association__name", "convention__reference")
        )
        report_filter = None
        if is_agent(request.user):
            report_filter = YearlyReportFilter(request.GET, queryset=reports)
            reports = report_filter.qs
        reports = list(reports)
        for report in reports:
            report.overdue = report.is_overdue(today)
        return {
            "reports": reports,
            "filter": report_filter,
            "startable": startable_reports(request.user, today),
            "today": today,
        }

    return page_cache.signed_in_page(request, "conventions/report_list.html", context)


@role_required("coordinator")
@require_POST
def report_start(request, convention_pk, year):
    convention = get_object_or_404(_own_signed_conventions(request.user), pk=convention_pk)
    if year not in convention.years or year > timezone.localdate().year:
        messages.error(
            request,
            _(
                "Le compte rendu %(year)s ne peut pas être commencé : l'année doit avoir débuté "
                "et appartenir à la convention."
            )
            % {"year": year},
        )
        return redirect("conventions:reports")
    report, created = YearlyReport.objects.get_or_create(convention=convention, year=year)
    ensure_objective_actions(report)
    if created:
        messages.success(request, _("Compte rendu %(year)s commencé.") % {"year": year})
    return redirect(report)


@role_required("agent", "coordinator")
@require_http_methods(["GET", "POST"])
def report_detail(request, pk):
    report = get_visible_or_404(_reports(), request.user, pk=pk)
    if request.method == "GET":
        return _render_detail(request, report)
    if not can_change(request.user, report):
        messages.error(request, _not_editable_message())
        return redirect(report)

    ensure_objective_actions(report)
    forms = ReportEditForms(report, request.POST)
    if not forms.is_valid():
        messages.error(
            request, _("Rien n'a été enregistré : corrigez les erreurs signalées ci-dessous.")
        )
        # The page shows the saved figures (totals, gaps), not the rejected ones.
        saved = get_visible_or_404(_reports(), request.user, pk=pk)
        return _render_detail(request, saved, forms=forms)

    forms.save()
    if request.POST.get("action") != "soumettre":
        messages.success(request, _("Brouillon enregistré."))
        return redirect(report)
    try:
        submit_report(report, user=request.user)
    except ValidationError as error:
        messages.warning(request, _("Brouillon enregistré, mais le compte rendu n'est pas soumis."))
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Compte rendu soumis : les agents du réseau vont l'examiner."))
    return redirect(report)


@role_required("agent", "coordinator")
@require_POST
def report_review(request, pk):
    # Visible first: another association's coordinator gets a 404, not a hint that it exists.
    report = get_visible_or_404(YearlyReport, request.user, pk=pk)
    if not is_agent(request.user):
        raise PermissionDenied
    form = ReviewForm(request.POST)
    if not form.is_valid():
        # Only the decision can be invalid (the comment is optional here, required by
        # `return_report` when sending back).
        messages.error(request, _("Choisissez une décision : valider ou renvoyer."))
        return redirect(report)
    comment = form.cleaned_data["comment"]
    try:
        if form.cleaned_data["action"] == ReviewForm.VALIDATE:
            validate_report(report, reviewer=request.user, comment=comment)
            messages.success(
                request,
                _("Compte rendu validé : l'année %(year)s est close.") % {"year": report.year},
            )
        else:
            return_report(report, reviewer=request.user, comment=comment)
            messages.success(
                request, _("Compte rendu renvoyé à l'association avec votre commentaire.")
            )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return redirect(report)


@role_required("agent", "coordinator")
@require_POST
def report_attachment_add(request, pk):
    report = get_visible_or_404(_reports(), request.user, pk=pk)
    if not can_change(request.user, report):
        messages.error(request, _not_editable_message())
        return redirect(report)
    form = ReportAttachmentForm(
        request.POST, request.FILES, instance=ReportAttachment(report=report)
    )
    if not form.is_valid():
        messages.error(
            request, _("La pièce jointe n'a pas été ajoutée : corrigez les erreurs signalées.")
        )
        return _render_detail(request, report, attachment_form=form)
    attachment = form.save()
    messages.success(request, _("Pièce jointe « %(title)s » ajoutée.") % {"title": attachment})
    return redirect(f"{report.get_absolute_url()}#pieces")


@role_required("agent", "coordinator")
@require_POST
def report_attachment_delete(request, pk, attachment_pk):
    report = get_visible_or_404(YearlyReport, request.user, pk=pk)
    attachment = get_object_or_404(report.attachments, pk=attachment_pk)
    if not can_change(request.user, report):
        messages.error(request, _not_editable_message())
        return redirect(report)
    storage, name = attachment.file.storage, attachment.file.name
    attachment.delete()
    # The file goes only once the deletion is committed: a rollback keeps row and file together.
    transaction.on_commit(lambda: storage.delete(name))
    messages.success(request, _("Pièce jointe « %(title)s » supprimée.") % {"title": attachment})
    return redirect(f"{report.get_absolute_url()}#pieces")


@role_required("agent", "coordinator")
@require_GET
def report_attachment(request, pk, attachment_pk):
    """The file, only for those who may see the report: media files are never public."""
    report = get_visible_or_404(YearlyReport, request.user, pk=pk)
    attachment = get_object_or_404(report.attachments, pk=attachment_pk)
    return private_file_response(
        attachment.file, missing_message=_("Le fichier de cette pièce jointe est introuvable.")
    )
