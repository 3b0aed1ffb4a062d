"""The workflow of a subsidy request (CERFA 12156*06), as a public-service dossier.

brouillon → déposée → en instruction → acceptée / refusée (with its reason) / sans suite; staff
may ask for corrections (à corriger), which hands the request back to the coordinator, who
submits it again. Every step is one function: it locks the request's row, checks the version
the user saw, refuses with a French message (writing nothing) when the step is not possible,
records a dated event with its author and e-mails the association's coordinators once the
transaction is committed. Accepting a renewal request creates the successor convention with
the granted amounts (conventions/renewal.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from conventions import renewal, rules
from conventions.models import (
    Convention,
    ReportStatus,
    RequestAmount,
    RequestAttachment,
    RequestEvent,
    RequestStatus,
    SubsidyRequest,
    YearlyReport,
)
from solidaren.models import User
from solidaren.uploads import validate_pdf

R = RequestStatus
REQUIRED_ATTACHMENTS = [RequestAttachment.Kind.STATUTES, RequestAttachment.Kind.ACCOUNTS]


def coordinator_emails(request: SubsidyRequest) -> list[str]:
    return list(
        User.objects.filter(memberships__association_id=request.association_id, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )


def _mail_coordinators(request: SubsidyRequest, event: RequestEvent) -> None:
    recipients = coordinator_emails(request)
    if not recipients:
        return
    subject = _("[SolidaRen] Votre demande de subvention %(years)s : %(status)s") % {
        "years": request.period_label,
        "status": event.get_status_display().lower(),
    }
    body = render_to_string(
        "conventions/email/request_status.txt",
        {
            "request": request,
            "event": event,
            "url": settings.SITE_URL + request.get_absolute_url(),
        },
    )
    transaction.on_commit(
        lambda: send_mail(subject, body, from_email=None, recipient_list=recipients)
    )


def _locked(request: SubsidyRequest, expected_version: int | None) -> SubsidyRequest:
    locked = (
        SubsidyRequest.objects.select_for_update().select_related("association").get(pk=request.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise ValidationError(
            _(
                "Cette demande a été modifiée entre-temps par quelqu'un d'autre : rechargez la "
                "page et vérifiez avant de recommencer."
            )
        )
    return locked


def _require_status(request: SubsidyRequest, *allowed: str) -> None:
    if request.status not in allowed:
        raise ValidationError(
            _("La demande est « %(status)s » : cette étape n'est pas possible.")
            % {"status": request.get_status_display()}
        )


def _move(
    request: SubsidyRequest, status: str, *, by, comment: str = "", fields=(), mail: bool = True
) -> SubsidyRequest:
    request.status = status
    request.version += 1
    request.save(update_fields=["status", "version", *fields])
    event = RequestEvent.objects.create(request=request, status=status, author=by, comment=comment)
    if mail:
        _mail_coordinators(request, event)
    return request


def bump_version(request: SubsidyRequest, *, expected_version: int | None) -> SubsidyRequest:
    """A form of the request is saved: the version the user saw must still be the current one."""
    locked = _locked(request, expected_version)
    if not locked.is_editable:
        raise ValidationError(_("Cette demande a été déposée : elle ne peut plus être modifiée."))
    locked.version += 1
    locked.save(update_fields=["version"])
    return locked


# --- the coordinator's side -------------------------------------------------------------------


@transaction.atomic
def open_request(
    *,
    association,
    by,
    renews: Convention | None = None,
    first_year: int | None = None,
    last_year: int | None = None,
) -> SubsidyRequest:
    """A new draft; a renewal request starts from the convention it renews (its funders, the
    next 4 years, the last year's amounts as the amounts asked)."""
    if renews is not None:
        start, end = renewal.successor_period(renews)
        first_year, last_year = start.year, end.year
    request = SubsidyRequest(
        association=association,
        kind=SubsidyRequest.Kind.RENEWAL if renews else SubsidyRequest.Kind.FIRST,
        renews=renews,
        first_year=first_year,
        last_year=last_year,
        duration=SubsidyRequest.Duration.ANNUAL
        if first_year == last_year
        else SubsidyRequest.Duration.MULTI_YEAR,
        created_by=by,
    )
    if renews is not None:
        request.objectives = "\n".join(o.title for o in renews.objectives.all())
        request.signatory = renews.association_signatory
    request.full_clean()
    request.save()
    RequestEvent.objects.create(request=request, status=R.DRAFT, author=by)
    if renews is not None:
        last = renews.commitments.filter(year=renews.end_date.year).values("funder_id")
        for row in last.annotate(total=Sum("amount")):
            for year in request.years:
                RequestAmount.objects.create(
                    request=request, funder_id=row["funder_id"], year=year, asked=row["total"]
                )
    return request


def last_validated_report(association) -> YearlyReport | None:
    return (
        YearlyReport.objects.filter(
            convention__association=association, status=ReportStatus.VALIDATED
        )
        .order_by("-year")
        .first()
    )


@transaction.atomic
def add_attachment(
    request: SubsidyRequest,
    *,
    kind: str,
    upload: UploadedFile | None,
    title: str = "",
    expected_version: int | None = None,
) -> RequestAttachment:
    """A PDF checked as every upload, kept privately with its SHA-256; for the last yearly
    report, the portal's own validated report when there is one (no upload needed)."""
    request = bump_version(request, expected_version=expected_version)
    report = None
    if upload is None:
        if kind != RequestAttachment.Kind.REPORT:
            raise ValidationError(_("Choisissez le fichier PDF à joindre."))
        report = last_validated_report(request.association)
        if report is None:
            raise ValidationError(
                _("Le portail n'a pas encore de compte rendu validé : joignez-le en PDF.")
            )
        title = title or str(report)
    attachment = RequestAttachment(request=request, kind=kind, title=title, report=report)
    if upload is not None:
        validate_pdf(upload)
        upload.seek(0)
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        attachment.sha256 = digest.hexdigest()
        attachment.file.save(upload.name, upload, save=False)
    attachment.save()
    return attachment


def submission_errors(request: SubsidyRequest) -> list[str]:
    errors = []
    if not request.honour_declaration:
        errors.append(_("Cochez la déclaration sur l'honneur."))
    if not request.republican_contract_attested_on:
        errors.append(_("Indiquez la date d'attestation du contrat d'engagement républicain."))
    if not request.amounts.filter(asked__gt=0).exists():
        errors.append(_("Indiquez au moins un montant demandé."))
    if not request.budget_lines.exists():
        errors.append(_("Remplissez le budget prévisionnel."))
    else:
        for year in request.years:
            lines = list(request.budget_lines.filter(year=year))
            charges = sum((line.amount for line in lines if line.is_charge), start=Decimal(0))
            income = sum((line.amount for line in lines if not line.is_charge), start=Decimal(0))
            if lines and charges != income:
                errors.append(
                    _(
                        "Le budget prévisionnel %(year)s doit être équilibré : charges "
                        "%(charges)s, produits %(income)s."
                    )
                    % {"year": year, "charges": rules.euro(charges), "income": rules.euro(income)}
                )
    present = set(request.attachments.values_list("kind", flat=True))
    for kind in REQUIRED_ATTACHMENTS:
        if kind not in present:
            errors.append(
                _("Joignez la pièce « %(kind)s ».") % {"kind": RequestAttachment.Kind(kind).label}
            )
    identifier = rules.identifier_error(request.association)
    if identifier:
        errors.append(identifier)
    return errors


@transaction.atomic
def submit(request: SubsidyRequest, *, by, expected_version: int | None = None) -> SubsidyRequest:
    """brouillon / à corriger → déposée."""
    request = _locked(request, expected_version)
    _require_status(request, *[R.DRAFT, R.CORRECTIONS])
    errors = submission_errors(request)
    if errors:
        raise ValidationError(errors)
    request.submitted_at = timezone.now()
    return _move(request, R.SUBMITTED, by=by, fields=["submitted_at"])


# --- the staff's side -------------------------------------------------------------------------


def _require_text(text: str, message: str) -> str:
    if not (text or "").strip():
        raise ValidationError(message)
    return text.strip()


@transaction.atomic
def start_review(request: SubsidyRequest, *, by, expected_version: int | None = None):
    """déposée → en instruction."""
    request = _locked(request, expected_version)
    _require_status(request, R.SUBMITTED)
    return _move(request, R.IN_REVIEW, by=by)


@transaction.atomic
def add_comment(
    request: SubsidyRequest, *, by, comment: str, expected_version: int | None = None
) -> RequestEvent:
    """A staff comment in the dossier's history; the status does not change."""
    request = _locked(request, expected_version)
    comment = _require_text(comment, _("Écrivez le commentaire."))
    request.staff_comment = comment
    request.version += 1
    request.save(update_fields=["staff_comment", "version"])
    return RequestEvent.objects.create(
        request=request, status=request.status, author=by, comment=comment
    )


@transaction.atomic
def ask_corrections(
    request: SubsidyRequest, *, by, comment: str, expected_version: int | None = None
) -> SubsidyRequest:
    """déposée / en instruction → à corriger: back to the coordinator, with what to correct."""
    request = _locked(request, expected_version)
    _require_status(request, R.SUBMITTED, R.IN_REVIEW)
    comment = _require_text(
        comment,
        _("Expliquez à l'association ce qu'elle doit corriger : le commentaire est requis."),
    )
    request.staff_comment = comment
    return _move(request, R.CORRECTIONS, by=by, comment=comment, fields=["staff_comment"])


@transaction.atomic
def accept(
    request: SubsidyRequest,
    *,
    by,
    granted: Mapping[int, Decimal],
    comment: str = "",
    expected_version: int | None = None,
) -> SubsidyRequest:
    """en instruction → acceptée, with the amount granted for each of its amounts (by id),
    which may differ from the amount asked. A renewal request creates the successor."""
    request = _locked(request, expected_version)
    _require_status(request, R.SUBMITTED, R.IN_REVIEW)
    amounts = list(request.amounts.all())
    if not amounts:
        raise ValidationError(_("La demande ne porte sur aucun montant."))
    for amount in amounts:
        value = granted.get(amount.pk)
        if value is None or Decimal(value) < 0:
            raise ValidationError(
                _("Indiquez le montant accordé par %(funder)s pour %(year)s.")
                % {"funder": amount.funder, "year": amount.year}
            )
        amount.granted = Decimal(value)
    if not any(amount.granted for amount in amounts):
        raise ValidationError(
            _("Aucun montant accordé : refusez la demande ou classez-la sans suite.")
        )
    RequestAmount.objects.bulk_update(amounts, ["granted"])
    fields = ["decision_reason"]
    request.decision_reason = comment
    if request.renews_id is not None:
        successor = renewal.renew(
            request.renews,
            granted={(amount.funder_id, amount.year): amount.granted for amount in amounts},
        )
        if request.republican_contract_attested_on:
            # The request's attestation is the association's, for this new convention.
            successor.republican_contract_attested_on = request.republican_contract_attested_on
            successor.save(update_fields=["republican_contract_attested_on"])
        request.successor = successor
        fields.append("successor")
    return _move(request, R.ACCEPTED, by=by, comment=comment, fields=fields)


@transaction.atomic
def refuse(
    request: SubsidyRequest, *, by, reason: str, expected_version: int | None = None
) -> SubsidyRequest:
    """déposée / en instruction → refusée, with its reason."""
    request = _locked(request, expected_version)
    _require_status(request, R.SUBMITTED, R.IN_REVIEW)
    reason = _require_text(
        reason, _("Indiquez le motif du refus : il est communiqué à l'association.")
    )
    request.decision_reason = reason
    return _move(request, R.REFUSED, by=by, comment=reason, fields=["decision_reason"])


@transaction.atomic
def close_without_follow_up(
    request: SubsidyRequest, *, by, reason: str, expected_version: int | None = None
) -> SubsidyRequest:
    """Any open request → sans suite (withdrawn, or never completed)."""
    request = _locked(request, expected_version)
    _require_status(request, R.DRAFT, R.SUBMITTED, R.IN_REVIEW, R.CORRECTIONS)
    reason = _require_text(reason, _("Indiquez pourquoi la demande est classée sans suite."))
    request.decision_reason = reason
    return _move(request, R.CLOSED, by=by, comment=reason, fields=["decision_reason"])
