"""PDF documents in the portal: ask for them, follow their generation, download them.

Generation runs in Celery tasks (conventions/tasks.py); downloads go through this
permission-checked view, never through a public media URL.
"""

from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from conventions import documents
from conventions.models import (
    Convention,
    DocumentBatch,
    DocumentStatus,
    GeneratedDocument,
    ReportStatus,
    YearlyReport,
)
from solidaren import outbox
from solidaren.access import get_visible_or_404, role_required
from solidaren.downloads import private_file_response


@require_POST
@role_required("agent", "coordinator")
def generate_convention_documents(request, pk):
    """The convention's PDF and those of its submitted reports."""
    convention = get_visible_or_404(Convention, request.user, pk=pk)
    reports = convention.reports.filter(
        status__in=[ReportStatus.SUBMITTED, ReportStatus.VALIDATED]
    ).select_related("convention")
    batch = documents.queue_batch(
        _("Documents de la convention %(reference)s") % {"reference": convention.reference},
        [
            documents.convention_document(convention),
            *(documents.report_document(report) for report in reports),
        ],
        user=request.user,
    )
    return redirect(batch)


@require_POST
@role_required("agent", "coordinator")
def generate_report_document(request, pk):
    report = get_visible_or_404(
        YearlyReport.objects.select_related("convention__association"), request.user, pk=pk
    )
    batch = documents.queue_batch(
        str(report), [documents.report_document(report)], user=request.user
    )
    return redirect(batch)


@require_POST
@role_required("agent")
def generate_year_documents(request):
    """Every convention and report document of a year, and the network's annual report."""
    try:
        year = int(request.POST.get("annee", ""))
        if not 2000 <= year <= 2100:
            raise ValueError
    except ValueError:
        return HttpResponseBadRequest(
            _("Indiquez une année sur 4 chiffres, par exemple 2024.").encode()
        )
    batch = documents.queue_batch(
        _("Tous les documents de l'année %(year)s") % {"year": year},
        [*documents.documents_for_year(year), documents.network_document(year)],
        user=request.user,
    )
    outbox.confirm_after_commit(
        request,
        sent=_("La génération des documents de %(year)s a commencé.") % {"year": year},
        delayed=_("La génération des documents de %(year)s est enregistrée.") % {"year": year},
    )
    return redirect(batch)


def _batch_context(request, pk) -> dict:
    batch = get_visible_or_404(DocumentBatch, request.user, pk=pk)
    batch_documents = (
        GeneratedDocument.objects.visible_to(request.user)
        .filter(batch=batch)
        .select_related("convention", "association", "report")
        .order_by("kind", "subject_key")
    )
    return {
        "batch": batch,
        "documents": batch_documents,
        "progress": documents.batch_progress(batch),
    }


@require_GET
@role_required("agent", "coordinator")
def document_batch(request, pk):
    return render(request, "conventions/document_batch.html", _batch_context(request, pk))


@require_GET
@role_required("agent", "coordinator")
def document_batch_progress(request, pk):
    """The progress block alone, polled by htmx until the batch is complete."""
    return render(request, "conventions/_document_batch_progress.html", _batch_context(request, pk))


@require_GET
@role_required("agent", "coordinator")
def document_download(request, pk):
    document = get_visible_or_404(GeneratedDocument, request.user, pk=pk)
    if document.status != DocumentStatus.DONE or not document.file:
        raise Http404(_("Ce document n'est pas encore prêt."))
    return private_file_response(
        document.file,
        missing_message=_("Le fichier de ce document est introuvable."),
        filename=documents.download_filename(document),
    )
