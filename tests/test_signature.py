"""The signature workflow (conventions/signature.py): one service per transition, refused with a
French message when a prerequisite is missing, a version check against concurrent edits, the
"PROJET" mark on every page of an unsigned convention's PDF, the signed scan kept privately."""

import datetime
import hashlib
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader, PdfWriter

from conventions import documents, signature
from conventions.models import Convention, ConventionStatus, Payment
from tests.factories import CommitmentFactory, ConventionFactory, FunderFactory


def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def page_texts(html: str) -> list[str]:
    pdf = documents.html_to_pdf(html)
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages]


@pytest.fixture
def ville(db):
    return FunderFactory(name="Ville de Rennes")


@pytest.fixture
def draft(association_a, ville):
    today = timezone.localdate()
    start = datetime.date(today.year + 1, 1, 1)
    convention = ConventionFactory(
        association=association_a,
        funders=[ville],
        reference="CPO-TEST-SIG",
        status=ConventionStatus.DRAFT,
        start_date=start,
        end_date=datetime.date(start.year + 3, 12, 31),
        association_signed_on=None,
        republican_contract_attested_on=today - datetime.timedelta(days=30),
    )
    convention.parties.update(signed_on=None)
    for year in convention.years:
        CommitmentFactory(convention=convention, funder=ville, year=year, amount=Decimal("1000"))
    Payment.objects.create(
        convention=convention, funder=ville, year=start.year, amount=Decimal("1000")
    )
    return convention


def sign_everyone(convention: Convention, day: datetime.date) -> Convention:
    convention = signature.record_signature(
        convention, signed_on=day, signatory="La présidente, Mme Martin"
    )
    for party in convention.parties.all():
        convention = signature.record_signature(
            convention, party=party, signed_on=day, signatory="La Maire de Rennes"
        )
    return convention


def test_the_workflow_runs_from_draft_to_in_force(draft):
    today = timezone.localdate()
    convention = signature.mark_ready(draft, expected_version=draft.version)
    assert convention.status == ConventionStatus.READY
    convention = signature.send_for_signature(convention)
    assert convention.status == ConventionStatus.OUT_FOR_SIGNATURE

    convention = signature.record_signature(
        convention, signed_on=today, signatory="La présidente, Mme Martin"
    )
    assert convention.status == ConventionStatus.OUT_FOR_SIGNATURE  # the funder still signs
    party = convention.parties.get()
    convention = signature.record_signature(
        convention, party=party, signed_on=today, signatory="La Maire de Rennes"
    )
    assert convention.status == ConventionStatus.SIGNED
    party.refresh_from_db()
    assert (party.signed_on, party.signatory) == (today, "La Maire de Rennes")
    assert convention.association_signatory == "La présidente, Mme Martin"

    convention = signature.notify(convention, notified_on=today)
    assert convention.status == ConventionStatus.NOTIFIED
    payment = Payment.objects.get(convention=convention)
    assert payment.notified_on == today
    assert payment.deadline == today + datetime.timedelta(days=60)

    with pytest.raises(ValidationError, match="n'entre en vigueur que le 1er janvier"):
        signature.enter_into_force(convention)
    convention = signature.enter_into_force(convention, today=convention.start_date)
    assert convention.status == ConventionStatus.IN_FORCE


def test_ready_is_refused_with_what_is_missing(draft):
    draft.association.siret = ""
    draft.association.rna = ""
    draft.association.save()
    draft.republican_contract_attested_on = None
    draft.save()
    draft.commitments.filter(year=draft.end_date.year).delete()

    with pytest.raises(ValidationError) as error:
        signature.mark_ready(draft)

    assert error.value.messages == [
        "Renseignez d'abord le SIRET ou le numéro RNA de l'association : l'un des deux est "
        "obligatoire pour signer une convention ou accorder une subvention, et pour la publier "
        "en données ouvertes.",
        "Indiquez la date d'attestation du contrat d'engagement républicain de l'association.",
        f"Montants manquants pour Ville de Rennes : {draft.end_date.year}.",
    ]
    assert Convention.objects.get(pk=draft.pk).status == ConventionStatus.DRAFT


def test_a_convention_without_funder_is_not_ready(association_a):
    convention = ConventionFactory(association=association_a, status=ConventionStatus.DRAFT)
    with pytest.raises(ValidationError, match="Ajoutez au moins un financeur signataire"):
        signature.mark_ready(convention)


def test_steps_out_of_order_are_refused(draft):
    with pytest.raises(ValidationError, match="est « Brouillon » : cette étape n'est pas"):
        signature.send_for_signature(draft)
    with pytest.raises(ValidationError, match="cette étape n'est pas possible"):
        signature.notify(draft, notified_on=timezone.localdate())


def test_a_signature_in_the_future_or_before_the_cer_is_refused(draft):
    convention = signature.send_for_signature(signature.mark_ready(draft))
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError, match="ne peut pas être dans le futur"):
        signature.record_signature(convention, signed_on=tomorrow, signatory="X")
    too_early = draft.republican_contract_attested_on - datetime.timedelta(days=1)
    with pytest.raises(ValidationError, match="attesté au plus tard le jour où l'association"):
        signature.record_signature(convention, signed_on=too_early, signatory="X")
    assert Convention.objects.get(pk=draft.pk).association_signed_on is None


def test_a_stale_version_is_refused_and_nothing_is_overwritten(draft):
    seen = draft.version
    signature.mark_ready(draft, expected_version=seen)  # another agent, first
    with pytest.raises(ValidationError, match="modifiée entre-temps par quelqu'un d'autre"):
        signature.back_to_draft(draft, expected_version=seen)
    assert Convention.objects.get(pk=draft.pk).status == ConventionStatus.READY


def test_the_pdf_says_projet_on_every_page_until_signed(draft):
    document = documents.convention_document(draft)
    pages = page_texts(documents.render_html(document))
    assert len(pages) >= 2
    assert all("PROJET" in page for page in pages)

    convention = signature.send_for_signature(signature.mark_ready(draft))
    sign_everyone(convention, timezone.localdate())
    document.refresh_from_db()
    assert not any("PROJET" in page for page in page_texts(documents.render_html(document)))


def test_the_signed_scan_is_kept_privately_with_its_checksum(draft, client, agent, coordinator_b):
    data = pdf_bytes()
    upload = SimpleUploadedFile("scan.pdf", data, "application/pdf")
    with pytest.raises(ValidationError, match="une fois la convention signée"):
        signature.attach_signed_scan(draft, upload=upload)

    convention = sign_everyone(
        signature.send_for_signature(signature.mark_ready(draft)), timezone.localdate()
    )
    client.force_login(agent)
    url = reverse("conventions:signed_scan_upload", args=[convention.pk])
    refused = client.post(
        url,
        {"version": convention.version, "file": SimpleUploadedFile("x.pdf", b"not a pdf")},
        follow=True,
    )
    assert "PDF" in refused.content.decode()
    response = client.post(
        url,
        {
            "version": convention.version,
            "file": SimpleUploadedFile("scan.pdf", data, "application/pdf"),
        },
    )
    assert response.status_code == 302
    convention.refresh_from_db()
    assert convention.signed_scan_sha256 == hashlib.sha256(data).hexdigest()
    assert convention.signed_scan.name.endswith("CPO-TEST-SIG-convention-signee.pdf")
    assert not convention.signed_scan.url.startswith("/static")

    download = reverse("conventions:signed_scan", args=[convention.pk])
    assert b"".join(client.get(download).streaming_content) == data
    client.force_login(coordinator_b)
    assert client.get(download).status_code == 404


def test_staff_walk_the_steps_through_the_pages(draft, client, agent, coordinator_a):
    client.force_login(coordinator_a)
    url = reverse("conventions:step", args=[draft.pk, "prete"])
    assert client.post(url, {"version": draft.version}).status_code == 403

    client.force_login(agent)
    page = client.get(draft.get_absolute_url()).content.decode()
    assert "Déclarer prête à signer" in page
    client.post(url, {"version": draft.version})
    draft.refresh_from_db()
    assert draft.status == ConventionStatus.READY
    # The same page posted again (stale version): refused, in French.
    again = client.post(
        reverse("conventions:step", args=[draft.pk, "envoyer"]), {"version": 1}, follow=True
    )
    assert "modifiée entre-temps" in again.content.decode()
    assert Convention.objects.get(pk=draft.pk).status == ConventionStatus.READY
    assert client.post(reverse("conventions:step", args=[draft.pk, "nulle"]), {}).status_code == 404


def test_the_daily_task_puts_notified_conventions_in_force_and_ends_them(draft):
    from conventions.reminders import close_ended, enter_notified_into_force

    today = timezone.localdate()
    convention = sign_everyone(signature.send_for_signature(signature.mark_ready(draft)), today)
    signature.notify(convention, notified_on=today)
    assert enter_notified_into_force(today) == 0  # its first day has not come
    assert enter_notified_into_force(draft.start_date) == 1
    assert Convention.objects.get(pk=draft.pk).status == ConventionStatus.IN_FORCE
    assert close_ended(draft.end_date + datetime.timedelta(days=1)) == 1
    assert Convention.objects.get(pk=draft.pk).status == ConventionStatus.EXPIRED


def test_the_back_office_exports_payments_and_in_kind_values_per_year(draft, ville):
    from associations.models import Premises
    from conventions.admin import InKindSupportResource, PaymentResource
    from conventions.models import InKindSupport, InKindValue

    premises = Premises.objects.create(association=draft.association, label="Local", address="x")
    support = InKindSupport.objects.create(
        convention=draft, funder=ville, premises=premises, yearly_value=Decimal("1000")
    )
    InKindValue.objects.create(support=support, from_year=draft.years[2], value=Decimal("1500"))
    rows = InKindSupportResource().export(InKindSupport.objects.all()).dict
    assert [(row["année"], row["valeur (€)"]) for row in rows] == [
        (draft.years[0], Decimal("1000")),
        (draft.years[1], Decimal("1000")),
        (draft.years[2], Decimal("1500")),
        (draft.years[3], Decimal("1500")),
    ]
    payments = PaymentResource().export(Payment.objects.all()).dict
    assert payments[0]["convention"] == "CPO-TEST-SIG"


def test_the_back_office_cannot_jump_a_conventions_status(client, draft):
    """Once created, the status moves only through the steps (read only in the back-office)."""
    from tests.factories import UserFactory, give_totp

    superuser = UserFactory(is_staff=True, is_superuser=True)
    give_totp(superuser)
    client.force_login(superuser)
    page = client.get(reverse("admin:conventions_convention_change", args=[draft.pk]))
    assert "status" not in page.context["adminform"].form.fields
    assert "Brouillon" in page.content.decode()  # shown, read only
