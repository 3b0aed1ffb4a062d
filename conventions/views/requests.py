"""Subsidy requests in the portal: coordinators draft, attach and submit their association's;
staff instruct them. The steps are conventions/subsidy_requests.py."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from associations.models import Association
from conventions import subsidy_requests as workflow
from conventions.forms import (
    NewRequestForm,
    RequestAmountFormSet,
    RequestAttachmentForm,
    RequestBudgetFormSet,
    RequestReviewForm,
    SubsidyRequestForm,
    VersionForm,
)
from conventions.models import SubsidyRequest
from solidaren.access import (
    coordinated_association_ids,
    get_visible_or_404,
    is_agent,
    role_required,
)
from solidaren.downloads import private_file_response


def _requests():
    return SubsidyRequest.objects.select_related("association", "renews", "successor")


def _may_edit(user, request: SubsidyRequest) -> bool:
    return request.association_id in coordinated_association_ids(user)


def _errors(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@require_GET
@role_required("agent", "coordinator")
def request_list(request):
    requests = _requests().visible_to(request.user).order_by("status", "-created_at")
    associations = Association.objects.filter(pk__in=coordinated_association_ids(request.user))
    return render(
        request,
        "conventions/request_list.html",
        {
            "requests": requests,
            "new_forms": [
                (association, NewRequestForm(association=association))
                for association in associations
            ],
        },
    )


@role_required("coordinator")
@require_POST
def request_new(request, association_pk):
    if association_pk not in coordinated_association_ids(request.user):
        raise Http404
    association = get_object_or_404(Association, pk=association_pk)
    form = NewRequestForm(request.POST, association=association)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("conventions:requests")
    try:
        created = workflow.open_request(
            association=association,
            by=request.user,
            renews=form.cleaned_data["renews"],
            first_year=form.cleaned_data["first_year"],
            last_year=form.cleaned_data["last_year"],
        )
    except ValidationError as error:
        _errors(request, error)
        return redirect("conventions:requests")
    messages.success(request, _("Demande créée en brouillon : complétez-la puis déposez-la."))
    return redirect(created)


class RequestEditForms:
    """The request's own fields, its amounts asked and its planned budget: saved together."""

    def __init__(self, subsidy_request: SubsidyRequest, data=None) -> None:
        self.main = SubsidyRequestForm(data, instance=subsidy_request, prefix="demande")
        self.amounts = RequestAmountFormSet(data, instance=subsidy_request, prefix="montants")
        self.budget = RequestBudgetFormSet(data, instance=subsidy_request, prefix="budget")

    def is_valid(self) -> bool:
        return all([self.main.is_valid(), self.amounts.is_valid(), self.budget.is_valid()])

    @transaction.atomic
    def save(self) -> None:
        workflow.bump_version(
            self.main.instance, expected_version=self.main.cleaned_data["version"]
        )
        self.main.instance.version += 1
        self.main.save()
        self.amounts.save()
        self.budget.save()


def _render(request, subsidy_request: SubsidyRequest, *, forms=None):
    editable = subsidy_request.is_editable and _may_edit(request.user, subsidy_request)
    amounts = list(subsidy_request.amounts.select_related("funder"))
    return render(
        request,
        "conventions/request_detail.html",
        {
            "subsidy_request": subsidy_request,
            "editable": editable,
            "forms": forms or (RequestEditForms(subsidy_request) if editable else None),
            "amounts": amounts,
            "budget_lines": subsidy_request.budget_lines.all(),
            "attachments": subsidy_request.attachments.select_related("report"),
            "events": subsidy_request.events.select_related("author"),
            "attachment_form": RequestAttachmentForm(initial={"version": subsidy_request.version}),
            "review_form": RequestReviewForm(
                initial={"version": subsidy_request.version}, request_amounts=amounts
            )
            if is_agent(request.user)
            else None,
            "missing": workflow.submission_errors(subsidy_request) if editable else [],
        },
    )


@role_required("agent", "coordinator")
@require_http_methods(["GET", "POST"])
def request_detail(request, pk):
    subsidy_request = get_visible_or_404(_requests(), request.user, pk=pk)
    if request.method == "GET":
        return _render(request, subsidy_request)
    if not (_may_edit(request.user, subsidy_request) and subsidy_request.is_editable):
        messages.error(request, _("Cette demande ne peut pas être modifiée ici."))
        return redirect(subsidy_request)
    forms = RequestEditForms(subsidy_request, request.POST)
    if not forms.is_valid():
        messages.error(request, _("Rien n'a été enregistré : corrigez les erreurs signalées."))
        fresh = get_visible_or_404(_requests(), request.user, pk=pk)
        return _render(request, fresh, forms=forms)
    try:
        forms.save()
    except ValidationError as error:
        _errors(request, error)
        return redirect(subsidy_request)
    messages.success(request, _("Brouillon enregistré."))
    return redirect(subsidy_request)


@role_required("agent", "coordinator")
@require_POST
def request_submit(request, pk):
    subsidy_request = get_visible_or_404(_requests(), request.user, pk=pk)
    if not _may_edit(request.user, subsidy_request):
        raise PermissionDenied
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Rechargez la page avant de déposer la demande."))
        return redirect(subsidy_request)
    try:
        workflow.submit(
            subsidy_request, by=request.user, expected_version=form.cleaned_data["version"]
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Demande déposée : les agents du réseau vont l'instruire."))
    return redirect(subsidy_request)


@role_required("agent", "coordinator")
@require_POST
def request_attachment_add(request, pk):
    subsidy_request = get_visible_or_404(_requests(), request.user, pk=pk)
    if not _may_edit(request.user, subsidy_request):
        raise PermissionDenied
    form = RequestAttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect(subsidy_request)
    try:
        workflow.add_attachment(
            subsidy_request,
            kind=form.cleaned_data["kind"],
            upload=form.cleaned_data["file"],
            title=form.cleaned_data["title"],
            expected_version=form.cleaned_data["version"],
        )
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Pièce jointe ajoutée."))
    return redirect(subsidy_request)


@require_GET
@role_required("agent", "coordinator")
def request_attachment(request, pk, attachment_pk):
    subsidy_request = get_visible_or_404(_requests(), request.user, pk=pk)
    attachment = get_object_or_404(subsidy_request.attachments, pk=attachment_pk)
    if attachment.report_id:
        return redirect(attachment.report)
    return private_file_response(
        attachment.file, missing_message=_("Le fichier de cette pièce jointe est introuvable.")
    )


@role_required("agent", "coordinator")
@require_POST
def request_review(request, pk):
    subsidy_request = get_visible_or_404(_requests(), request.user, pk=pk)
    if not is_agent(request.user):
        raise PermissionDenied
    form = RequestReviewForm(request.POST, request_amounts=list(subsidy_request.amounts.all()))
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect(subsidy_request)
    action, comment = form.cleaned_data["action"], form.cleaned_data["comment"]
    common = {"by": request.user, "expected_version": form.cleaned_data["version"]}
    try:
        if action == "instruire":
            workflow.start_review(subsidy_request, **common)
        elif action == "commenter":
            workflow.add_comment(subsidy_request, comment=comment, **common)
        elif action == "corriger":
            workflow.ask_corrections(subsidy_request, comment=comment, **common)
        elif action == "accepter":
            workflow.accept(subsidy_request, granted=form.granted(), comment=comment, **common)
        elif action == "refuser":
            workflow.refuse(subsidy_request, reason=comment, **common)
        else:
            workflow.close_without_follow_up(subsidy_request, reason=comment, **common)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("Demande mise à jour."))
    return redirect(subsidy_request)
