"""Subsidy requests (CERFA 12156, conventions/subsidy_requests.py).

Must-show 2: a renewal request walked end to end through the real views — the coordinator
drafts, attaches, submits; staff ask for a correction; the coordinator resubmits; staff accept
with granted amounts; the successor convention carries them, is signed by each party and
notified, and its PDF loses the "PROJET" mark once signed."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader, PdfWriter

from conventions import documents
from conventions import subsidy_requests as workflow
from conventions.models import (
    Convention,
    ConventionStatus,
    ReportStatus,
    RequestEvent,
    RequestStatus,
    SubsidyRequest,
)
from tests.factories import (
    CommitmentFactory,
    ConventionFactory,
    FunderFactory,
    YearlyReportFactory,
)


def pdf_upload(name: str) -> SimpleUploadedFile:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return SimpleUploadedFile(name, out.getvalue(), "application/pdf")


def pdf_pages(convention: Convention) -> list[str]:
    html = documents.render_html(documents.convention_document(convention))
    pdf = documents.html_to_pdf(html)
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages]


@pytest.fixture
def ville(db):
    return FunderFactory(name="Ville de Rennes", representative="La Maire de Rennes")


@pytest.fixture
def metropole(db):
    return FunderFactory(name="Rennes Métropole", representative="La Présidente")


@pytest.fixture
def convention(association_a, ville, metropole):
    """Association A's signed 2023–2026 convention, its 2025 report validated."""
    convention = ConventionFactory(
        association=association_a, funders=[ville, metropole], reference="CPO-2023-AA"
    )
    for year in convention.years:
        CommitmentFactory(convention=convention, funder=ville, year=year, amount=Decimal("20000"))
        CommitmentFactory(
            convention=convention, funder=metropole, year=year, amount=Decimal("10000")
        )
    YearlyReportFactory(convention=convention, year=2025, status=ReportStatus.VALIDATED)
    return convention


def edit_data(subsidy_request: SubsidyRequest, **overrides) -> dict:
    today = timezone.localdate()
    data = {
        "demande-version": subsidy_request.version,
        "demande-grant_kind": "fonctionnement",
        "demande-duration": "pluriannuelle",
        "demande-projects": "Épicerie solidaire et aller-vers dans les quartiers.",
        "demande-objectives": "Accès à l'alimentation",
        "demande-volunteers_count": "80",
        "demande-employees_count": "3",
        "demande-members_count": "150",
        "demande-republican_contract_attested_on": (today - datetime.timedelta(days=3)).isoformat(),
        "demande-signatory": "Mme Martin, présidente",
        "demande-honour_declaration": "on",
    }
    amounts = list(subsidy_request.amounts.all())
    data.update(
        {
            "montants-TOTAL_FORMS": str(len(amounts)),
            "montants-INITIAL_FORMS": str(len(amounts)),
            "montants-MIN_NUM_FORMS": "0",
            "montants-MAX_NUM_FORMS": "60",
        }
    )
    for index, amount in enumerate(amounts):
        data.update(
            {
                f"montants-{index}-id": amount.pk,
                f"montants-{index}-funder": amount.funder_id,
                f"montants-{index}-year": amount.year,
                f"montants-{index}-asked": "22000"
                if amount.funder.name.startswith("Ville")
                else "11000",
            }
        )
    data.update(
        {
            "budget-TOTAL_FORMS": "2",
            "budget-INITIAL_FORMS": "0",
            "budget-MIN_NUM_FORMS": "0",
            "budget-MAX_NUM_FORMS": "200",
            "budget-0-year": "2027",
            "budget-0-account": "60",
            "budget-0-label": "Achats alimentaires",
            "budget-0-amount": "33000",
            "budget-1-year": "2027",
            "budget-1-account": "74",
            "budget-1-label": "Subventions",
            "budget-1-amount": "33000",
        }
    )
    data.update(overrides)
    return data


def test_a_renewal_request_end_to_end_through_the_views(
    client, coordinator_a, agent, convention, ville, metropole, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    # The coordinator opens a renewal request: the next 4 years, the funders, last year's amounts.
    client.force_login(coordinator_a)
    response = client.post(
        reverse("conventions:request_new", args=[convention.association_id]),
        {"renews": convention.pk},
    )
    subsidy_request = SubsidyRequest.objects.get(renews=convention)
    assert response.url == subsidy_request.get_absolute_url()
    assert (subsidy_request.first_year, subsidy_request.last_year) == (2027, 2030)
    assert subsidy_request.amounts.count() == 8

    # Drafts: the CERFA fields, the amounts asked, the planned budget.
    client.post(subsidy_request.get_absolute_url(), edit_data(subsidy_request))
    subsidy_request.refresh_from_db()
    assert subsidy_request.honour_declaration and subsidy_request.volunteers_count == 80
    assert {a.asked for a in subsidy_request.amounts.all()} == {Decimal("22000"), Decimal("11000")}
    # Submitting without the attachments is refused, with the missing pieces named.
    refused = client.post(
        reverse("conventions:request_submit", args=[subsidy_request.pk]),
        {"version": subsidy_request.version},
        follow=True,
    )
    assert "Joignez la pièce « Statuts »." in refused.content.decode().replace("&#x27;", "'")
    assert SubsidyRequest.objects.get(pk=subsidy_request.pk).status == RequestStatus.DRAFT

    # Attaches the statutes and accounts (PDF) and the portal's last report (no upload).
    attach = reverse("conventions:request_attachment_add", args=[subsidy_request.pk])
    for kind, upload in [
        ("statuts", pdf_upload("statuts.pdf")),
        ("comptes", pdf_upload("comptes-2025.pdf")),
        ("compte_rendu", ""),
    ]:
        version = SubsidyRequest.objects.get(pk=subsidy_request.pk).version
        client.post(attach, {"version": version, "kind": kind, "file": upload})
    kinds = sorted(subsidy_request.attachments.values_list("kind", flat=True))
    assert kinds == ["compte_rendu", "comptes", "statuts"]
    assert subsidy_request.attachments.get(kind="compte_rendu").report.year == 2025
    assert len(subsidy_request.attachments.get(kind="statuts").sha256) == 64

    # Submits.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("conventions:request_submit", args=[subsidy_request.pk]),
            {"version": SubsidyRequest.objects.get(pk=subsidy_request.pk).version},
        )
    subsidy_request.refresh_from_db()
    assert subsidy_request.status == RequestStatus.SUBMITTED
    assert mail.outbox[-1].to == [coordinator_a.email]
    assert "déposée" in mail.outbox[-1].subject

    # Staff instruct it and ask for a correction: back to the coordinator, by e-mail.
    client.force_login(agent)
    review = reverse("conventions:request_review", args=[subsidy_request.pk])
    client.post(review, {"version": subsidy_request.version, "action": "instruire"})
    subsidy_request.refresh_from_db()
    assert subsidy_request.status == RequestStatus.IN_REVIEW
    no_comment = client.post(
        review, {"version": subsidy_request.version, "action": "corriger"}, follow=True
    )
    assert "le commentaire est requis" in no_comment.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            review,
            {
                "version": subsidy_request.version,
                "action": "corriger",
                "comment": "Détaillez les achats alimentaires.",
            },
        )
    subsidy_request.refresh_from_db()
    assert subsidy_request.status == RequestStatus.CORRECTIONS
    assert "Détaillez les achats alimentaires." in mail.outbox[-1].body

    # The coordinator corrects and resubmits.
    client.force_login(coordinator_a)
    client.post(
        subsidy_request.get_absolute_url(),
        edit_data(subsidy_request, **{"demande-projects": "Achats détaillés en annexe."}),
    )
    subsidy_request.refresh_from_db()
    assert subsidy_request.projects == "Achats détaillés en annexe."
    client.post(
        reverse("conventions:request_submit", args=[subsidy_request.pk]),
        {"version": subsidy_request.version},
    )
    subsidy_request.refresh_from_db()
    assert subsidy_request.status == RequestStatus.SUBMITTED

    # Staff accept with granted amounts that differ from those asked.
    client.force_login(agent)
    granted = {}
    for amount in subsidy_request.amounts.all():
        granted[f"granted-{amount.pk}"] = (
            str(21000 + 100 * (amount.year - 2027)) if amount.funder == ville else "10500"
        )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            review,
            {"version": subsidy_request.version, "action": "accepter", "comment": "", **granted},
        )
    subsidy_request.refresh_from_db()
    assert subsidy_request.status == RequestStatus.ACCEPTED
    assert "acceptée" in mail.outbox[-1].subject
    history = list(subsidy_request.events.values_list("status", "author__email"))
    assert [status for status, _author in history] == [
        "brouillon",
        "deposee",
        "en_instruction",
        "a_corriger",
        "deposee",
        "acceptee",
    ]
    assert history[-1][1] == agent.email and history[1][1] == coordinator_a.email
    assert all(event.at for event in RequestEvent.objects.filter(request=subsidy_request))

    # The successor carries the granted amounts.
    successor = subsidy_request.successor
    assert successor.renews == convention and successor.status == ConventionStatus.DRAFT
    assert [
        (c.funder.name, c.year, c.amount)
        for c in successor.commitments.order_by("funder__name", "year")
    ] == [("Rennes Métropole", year, Decimal("10500")) for year in range(2027, 2031)] + [
        ("Ville de Rennes", year, Decimal(21000 + 100 * (year - 2027)))
        for year in range(2027, 2031)
    ]
    assert all("PROJET" in page for page in pdf_pages(successor))

    # Signature by each party, then notification, through the convention's page.
    def step(name, **data):
        version = Convention.objects.get(pk=successor.pk).version
        return client.post(
            reverse("conventions:step", args=[successor.pk, name]), {"version": version, **data}
        )

    def sign(party, signatory):
        version = Convention.objects.get(pk=successor.pk).version
        return client.post(
            reverse("conventions:sign", args=[successor.pk]),
            {
                "version": version,
                "party": party,
                "signed_on": today.isoformat(),
                "signatory": signatory,
            },
        )

    step("prete")
    step("envoyer")
    assert Convention.objects.get(pk=successor.pk).status == ConventionStatus.OUT_FOR_SIGNATURE
    sign("association", "Mme Martin, présidente")
    for party in successor.parties.all():
        assert Convention.objects.get(pk=successor.pk).status != ConventionStatus.SIGNED
        sign(str(party.pk), f"Pour {party.funder.name}")
    successor.refresh_from_db()
    assert successor.status == ConventionStatus.SIGNED
    assert all(p.signed_on == today for p in successor.parties.all())
    assert not any("PROJET" in page for page in pdf_pages(successor))
    step("notifier", notified_on=today.isoformat())
    successor.refresh_from_db()
    assert successor.status == ConventionStatus.NOTIFIED and successor.notified_on == today


@pytest.fixture
def submitted(convention, coordinator_a):
    subsidy_request = workflow.open_request(
        association=convention.association, by=coordinator_a, renews=convention
    )
    SubsidyRequest.objects.filter(pk=subsidy_request.pk).update(status=RequestStatus.SUBMITTED)
    subsidy_request.refresh_from_db()
    return subsidy_request


def test_refusal_needs_a_reason_and_writes_nothing_without(submitted, agent):
    with pytest.raises(ValidationError, match="Indiquez le motif du refus"):
        workflow.refuse(submitted, by=agent, reason=" ")
    assert SubsidyRequest.objects.get(pk=submitted.pk).status == RequestStatus.SUBMITTED
    workflow.refuse(submitted, by=agent, reason="Hors des priorités du réseau.")
    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.REFUSED
    assert submitted.decision_reason == "Hors des priorités du réseau."


def test_sans_suite_and_stale_versions(submitted, agent):
    with pytest.raises(ValidationError, match="modifiée entre-temps"):
        workflow.close_without_follow_up(
            submitted, by=agent, reason="Retirée", expected_version=submitted.version + 1
        )
    workflow.close_without_follow_up(submitted, by=agent, reason="Retirée par l'association.")
    assert SubsidyRequest.objects.get(pk=submitted.pk).status == RequestStatus.CLOSED
    with pytest.raises(ValidationError, match="cette étape n'est pas possible"):
        workflow.accept(submitted, by=agent, granted={})


def test_acceptance_needs_every_granted_amount(submitted, agent):
    with pytest.raises(ValidationError, match="Indiquez le montant accordé"):
        workflow.accept(submitted, by=agent, granted={})
    assert not Convention.objects.filter(renews=submitted.renews).exists()


def test_another_coordinator_sees_nothing(client, submitted, coordinator_b):
    client.force_login(coordinator_b)
    assert client.get(submitted.get_absolute_url()).status_code == 404
    assert (
        submitted.association.name
        not in client.get(reverse("conventions:requests")).content.decode()
    )
