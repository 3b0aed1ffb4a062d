"""Staff move a convention through its signature workflow (conventions/signature.py); the
signed scan is downloaded by those who may see the convention."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from conventions import signature
from conventions.forms import NotificationForm, SignatureForm, SignedScanForm, VersionForm
from conventions.models import Convention
from solidaren.access import get_visible_or_404, is_agent, role_required
from solidaren.downloads import private_file_response

STEPS = {
    "prete": (signature.mark_ready, VersionForm, _("La convention est prête à signer.")),
    "envoyer": (signature.send_for_signature, VersionForm, _("La convention part en signature.")),
    "brouillon": (signature.back_to_draft, VersionForm, _("La convention revient en brouillon.")),
    "notifier": (signature.notify, NotificationForm, _("Notification enregistrée.")),
    "en-vigueur": (signature.enter_into_force, VersionForm, _("La convention est en vigueur.")),
}


def _staff_convention(request, pk) -> Convention:
    # Visible first: another association's coordinator gets a 404, not a hint that it exists.
    convention = get_visible_or_404(Convention, request.user, pk=pk)
    if not is_agent(request.user):
        raise PermissionDenied
    return convention


def _report_errors(request, errors) -> None:
    for field_errors in errors.values():
        for message in field_errors:
            messages.error(request, message)


@role_required("agent", "coordinator")
@require_POST
def convention_step(request, pk, step):
    convention = _staff_convention(request, pk)
    if step not in STEPS:
        raise Http404
    service, form_class, done = STEPS[step]
    form = form_class(request.POST)
    if not form.is_valid():
        _report_errors(request, form.errors)
        return redirect(convention)
    extra = {"notified_on": form.cleaned_data["notified_on"]} if step == "notifier" else {}
    try:
        service(convention, expected_version=form.cleaned_data["version"], **extra)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)
    return redirect(convention)


@role_required("agent", "coordinator")
@require_POST
def convention_sign(request, pk):
    convention = _staff_convention(request, pk)
    form = SignatureForm(request.POST, convention=convention)
    if not form.is_valid():
        _report_errors(request, form.errors)
        return redirect(convention)
    try:
        convention = signature.record_signature(
            convention,
            party=form.cleaned_data["party"],
            signed_on=form.cleaned_data["signed_on"],
            signatory=form.cleaned_data["signatory"],
            expected_version=form.cleaned_data["version"],
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Signature enregistrée."))
        if convention.is_signed:
            messages.success(request, _("Toutes les parties ont signé : la convention est signée."))
    return redirect(convention)


@role_required("agent", "coordinator")
@require_POST
def signed_scan_upload(request, pk):
    convention = _staff_convention(request, pk)
    form = SignedScanForm(request.POST, request.FILES)
    if not form.is_valid():
        _report_errors(request, form.errors)
        return redirect(convention)
    try:
        signature.attach_signed_scan(
            convention,
            upload=form.cleaned_data["file"],
            expected_version=form.cleaned_data["version"],
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Exemplaire signé déposé."))
    return redirect(convention)


@require_GET
@role_required("agent", "coordinator")
def signed_scan(request, pk):
    convention = get_visible_or_404(Convention, request.user, pk=pk)
    if not convention.signed_scan:
        raise Http404
    return private_file_response(
        convention.signed_scan,
        missing_message=_("Le fichier de l'exemplaire signé est introuvable."),
    )
