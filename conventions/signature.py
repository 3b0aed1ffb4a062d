"""The signature workflow of a convention, one service per transition.

brouillon → prête → en signature → signée → notifiée → en vigueur → échue / renouvelée

Each service locks the convention's row (`select_for_update`), checks the version the user saw
(a page sends it back: another agent's change in between is refused, never overwritten), checks
the transition's prerequisites — refused with a French message, writing nothing — then moves the
convention on and bumps its version. The convention is signed once the association and every
funder have signed; its notification starts the 60-day payment clock (loi 2021-875).
"""

from __future__ import annotations

import datetime
import hashlib

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from conventions import rules
from conventions.models import (
    SIGNED_STATUSES,
    Convention,
    ConventionParty,
    ConventionStatus,
    Payment,
)
from solidaren.uploads import validate_pdf

S = ConventionStatus


def _locked(convention: Convention, expected_version: int | None) -> Convention:
    """The convention re-read under a row lock; refused if it changed since the user saw it."""
    locked = (
        Convention.objects.select_for_update().select_related("association").get(pk=convention.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise ValidationError(
            _(
                "La convention %(reference)s a été modifiée entre-temps par quelqu'un d'autre : "
                "rechargez la page et vérifiez avant de recommencer."
            )
            % {"reference": locked.reference}
        )
    return locked


def _require_status(convention: Convention, *allowed: str) -> None:
    if convention.status not in allowed:
        raise ValidationError(
            _("La convention %(reference)s est « %(status)s » : cette étape n'est pas possible.")
            % {"reference": convention.reference, "status": convention.get_status_display()}
        )


def _move(convention: Convention, status: str, *fields: str) -> Convention:
    convention.status = status
    convention.version += 1
    convention.save(update_fields=["status", "version", *fields])
    return convention


def readiness_errors(convention: Convention) -> list[str]:
    """What is missing before a convention can be signed (empty when nothing is)."""
    errors = []
    identifier = rules.identifier_error(convention.association)
    if identifier:
        errors.append(identifier)
    if not convention.republican_contract_attested_on:
        errors.append(
            _(
                "Indiquez la date d'attestation du contrat d'engagement républicain de "
                "l'association."
            )
        )
    parties = list(convention.parties.select_related("funder"))
    if not parties:
        errors.append(_("Ajoutez au moins un financeur signataire."))
    committed = set(convention.commitments.filter(amount__gt=0).values_list("funder_id", "year"))
    for party in parties:
        missing = [year for year in convention.years if (party.funder_id, year) not in committed]
        if missing:
            errors.append(
                _("Montants manquants pour %(funder)s : %(years)s.")
                % {"funder": party.funder, "years": ", ".join(str(year) for year in missing)}
            )
    return errors


def _require_ready(convention: Convention) -> None:
    errors = readiness_errors(convention)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def mark_ready(convention: Convention, *, expected_version: int | None = None) -> Convention:
    """brouillon → prête: everything the document needs is there."""
    convention = _locked(convention, expected_version)
    _require_status(convention, S.DRAFT)
    _require_ready(convention)
    return _move(convention, S.READY)


@transaction.atomic
def back_to_draft(convention: Convention, *, expected_version: int | None = None) -> Convention:
    """prête / en signature → brouillon, to correct it; the signatures collected are dropped."""
    convention = _locked(convention, expected_version)
    _require_status(convention, S.READY, S.OUT_FOR_SIGNATURE)
    convention.parties.update(signed_on=None)
    convention.association_signed_on = None
    return _move(convention, S.DRAFT, "association_signed_on")


@transaction.atomic
def send_for_signature(
    convention: Convention, *, expected_version: int | None = None
) -> Convention:
    """prête → en signature."""
    convention = _locked(convention, expected_version)
    _require_status(convention, S.READY)
    _require_ready(convention)
    return _move(convention, S.OUT_FOR_SIGNATURE)


def _check_signature_date(convention: Convention, signed_on: datetime.date | None) -> None:
    if signed_on is None:
        raise ValidationError(_("Indiquez la date de signature."))
    if signed_on > timezone.localdate():
        raise ValidationError(_("La date de signature ne peut pas être dans le futur."))


@transaction.atomic
def record_signature(
    convention: Convention,
    *,
    signed_on: datetime.date,
    signatory: str,
    party: ConventionParty | None = None,
    expected_version: int | None = None,
) -> Convention:
    """One party signs (`party` None: the association). en signature → signée when the
    association and every funder have signed."""
    convention = _locked(convention, expected_version)
    _require_status(convention, S.OUT_FOR_SIGNATURE)
    _check_signature_date(convention, signed_on)
    if not (signatory or "").strip():
        raise ValidationError(_("Indiquez le nom et la qualité du ou de la signataire."))
    if party is None:
        error = rules.republican_contract_error(
            convention.republican_contract_attested_on, signed_on
        )
        if error:
            raise ValidationError(error)
        convention.association_signed_on = signed_on
        convention.association_signatory = signatory.strip()
        fields = ["association_signed_on", "association_signatory"]
    else:
        if party.convention_id != convention.pk:
            raise ValidationError(_("Ce financeur ne signe pas cette convention."))
        party.signed_on = signed_on
        party.signatory = signatory.strip()
        party.save(update_fields=["signed_on", "signatory"])
        fields = []
    everyone = (
        convention.association_signed_on is not None
        and not convention.parties.filter(signed_on__isnull=True).exists()
    )
    if everyone:
        _require_ready(convention)
        return _move(convention, S.SIGNED, *fields)
    convention.version += 1
    convention.save(update_fields=["version", *fields])
    return convention


@transaction.atomic
def notify(
    convention: Convention,
    *,
    notified_on: datetime.date,
    expected_version: int | None = None,
) -> Convention:
    """signée → notifiée: the date the association was notified starts the 60-day payment
    clock of the first year's instalments not yet notified."""
    convention = _locked(convention, expected_version)
    _require_status(convention, S.SIGNED)
    if notified_on is None:
        raise ValidationError(_("Indiquez la date de notification."))
    if notified_on > timezone.localdate():
        raise ValidationError(_("La date de notification ne peut pas être dans le futur."))
    last_signature = max(
        [convention.association_signed_on, *convention.parties.values_list("signed_on", flat=True)]
    )
    if notified_on < last_signature:
        raise ValidationError(_("La notification ne peut pas précéder la dernière signature."))
    convention.notified_on = notified_on
    Payment.objects.filter(
        convention=convention, notified_on__isnull=True, year=convention.start_date.year
    ).update(notified_on=notified_on)
    return _move(convention, S.NOTIFIED, "notified_on")


@transaction.atomic
def enter_into_force(
    convention: Convention,
    *,
    today: datetime.date | None = None,
    expected_version: int | None = None,
) -> Convention:
    """notifiée → en vigueur, from its first day."""
    convention = _locked(convention, expected_version)
    _require_status(convention, S.NOTIFIED)
    today = today or timezone.localdate()
    if today < convention.start_date:
        raise ValidationError(
            _("La convention n'entre en vigueur que le %(date)s.")
            % {"date": rules.legal_date(convention.start_date)}
        )
    return _move(convention, S.IN_FORCE)


@transaction.atomic
def end(convention: Convention, *, today: datetime.date | None = None) -> Convention:
    """en vigueur → échue, or renouvelée when its successor is signed."""
    convention = _locked(convention, None)
    _require_status(convention, S.IN_FORCE)
    today = today or timezone.localdate()
    if today <= convention.end_date:
        raise ValidationError(_("La convention court encore."))
    successor = getattr(convention, "renewed_by", None)
    signed = successor is not None and successor.status in SIGNED_STATUSES
    return _move(convention, S.RENEWED if signed else S.EXPIRED)


@transaction.atomic
def attach_signed_scan(
    convention: Convention, *, upload: UploadedFile, expected_version: int | None = None
) -> Convention:
    """The scan of the signed convention, checked as every upload (solidaren/uploads.py), kept
    privately (served only through a permission-checked view) with its SHA-256."""
    convention = _locked(convention, expected_version)
    if convention.status not in SIGNED_STATUSES:
        raise ValidationError(
            _("L'exemplaire signé ne se dépose qu'une fois la convention signée par tous.")
        )
    validate_pdf(upload)
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    if convention.signed_scan:
        convention.signed_scan.delete(save=False)
    convention.signed_scan.save(f"{convention.reference}-convention-signee.pdf", upload, save=False)
    convention.signed_scan_sha256 = digest.hexdigest()
    convention.version += 1
    convention.save(update_fields=["signed_scan", "signed_scan_sha256", "version"])
    return convention
