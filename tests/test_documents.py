"""PDF documents: what they say, exactly-once storage, staleness, permissions, commands."""

import io
import re
from decimal import Decimal
from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from django.db.models import Value
from django.db.models.functions import Concat
from django.urls import reverse
from pypdf import PdfReader

from associations.models import Association, Premises
from conventions import documents
from conventions.models import (
    ArticleTemplate,
    BudgetLine,
    Convention,
    DocumentStatus,
    Funder,
    GeneratedDocument,
    InKindSupport,
    InKindValue,
    NetworkPriority,
    Objective,
    ReportStatus,
)
from conventions.tasks import generate_document
from tests.factories import (
    CommitmentFactory,
    ConventionFactory,
    FunderFactory,
    YearlyReportFactory,
)


def pdf_text(path_or_bytes) -> str:
    """The PDF's text with French non-breaking spaces turned into plain spaces."""
    data = Path(path_or_bytes).read_bytes() if isinstance(path_or_bytes, str) else path_or_bytes
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", " ", text)  # non-breaking spaces and line breaks of table cells


def stored_files(settings) -> list[Path]:
    return sorted(Path(settings.MEDIA_ROOT).rglob("*.pdf"))


@pytest.fixture
def ville(db):
    return FunderFactory(name="Ville de Rennes", representative="La Maire de Rennes")


@pytest.fixture
def metropole(db):
    return FunderFactory(name="Rennes Métropole")


@pytest.fixture
def convention(association_a, ville, metropole):
    convention = ConventionFactory(
        association=association_a, funders=[ville, metropole], reference="CPO-2023-A"
    )
    for year, ville_amount, metropole_amount in [
        (2023, "12500", "8000"),
        (2024, "13000", "8250.50"),
        (2025, "13500", "8500"),
        (2026, "14000", "9000"),
    ]:
        CommitmentFactory(
            convention=convention, funder=ville, year=year, amount=Decimal(ville_amount)
        )
        CommitmentFactory(
            convention=convention, funder=metropole, year=year, amount=Decimal(metropole_amount)
        )
    return convention


def test_the_convention_pdf_names_the_parties_amounts_and_pages(convention, settings):
    document = documents.convention_document(convention)

    generate_document.delay(document.pk)

    document.refresh_from_db()
    assert document.status == DocumentStatus.DONE
    text = pdf_text(document.file.path)
    assert "Association A" in text
    assert "Ville de Rennes" in text and "Rennes Métropole" in text
    for amount in ["12 500,00 €", "8 250,50 €", "14 000,00 €", "53 000,00 €", "86 750,50 €"]:
        assert amount in text, amount
    assert document.page_count >= 2
    assert f"page 1 / {document.page_count}" in text
    assert f"page {document.page_count} / {document.page_count}" in text
    assert "Convention CPO-2023-A" in text  # running header with the reference
    assert "Article 4 — Engagements financiers des financeurs" in text
    assert "convention tripartite" in text


def test_the_yearly_report_pdf_shows_the_planned_and_actual_budget(convention):
    report = YearlyReportFactory(
        convention=convention,
        year=2024,
        status=ReportStatus.SUBMITTED,
        qualitative_report="Distributions hebdomadaires.",
        beneficiaries_count=1234,
        volunteer_hours=Decimal("100"),
        volunteer_hour_value=Decimal("17.00"),
    )
    BudgetLine.objects.create(
        report=report,
        side="charge",
        label="Achats alimentaires",
        planned=Decimal("10000"),
        actual=Decimal("11000"),
    )

    document = documents.generate(documents.report_document(report).pk)

    text = pdf_text(document.file.path)
    assert "Compte rendu financier de subvention — exercice 2024" in text
    assert "Association A" in text and "CERFA n° 15059" in text
    assert "Achats alimentaires" in text and "11 000,00 €" in text and "10,0 %" in text
    assert "1 700,00 €" in text  # volunteering valued at 100 h × 17 €
    assert f"page 1 / {document.page_count}" in text


def test_the_network_annual_report_has_figures_and_charts(convention):
    document = documents.generate(documents.network_document(2024).pk)

    text = pdf_text(document.file.path)
    assert "Rapport annuel du réseau SolidaRen — 2024" in text
    assert "21 250,50 €" in text  # 13 000 + 8 250,50 in 2024
    assert "Montant (€)" in text  # the SVG chart's axis title, drawn into the PDF
    assert "Soutien par association" in text


def test_running_the_task_twice_stores_one_document(convention, settings):
    document = documents.convention_document(convention)

    generate_document.delay(document.pk)
    generate_document.delay(document.pk)

    assert GeneratedDocument.objects.count() == 1
    document.refresh_from_db()
    assert document.attempts == 1  # the second run found it up to date
    assert stored_files(settings) == [Path(document.file.path)]


def test_changing_an_amount_makes_the_document_stale_and_regeneration_replaces_it(
    convention, ville, settings, django_capture_on_commit_callbacks
):
    document = documents.generate(documents.convention_document(convention).pk)
    first_file = Path(document.file.path)
    assert not documents.is_stale(document)

    commitment = convention.commitments.get(funder=ville, year=2025)
    commitment.amount = Decimal("20000")
    commitment.save()

    assert documents.is_stale(document)
    assert documents.existing_document(document.subject_key) == (document, True)
    with django_capture_on_commit_callbacks(execute=True):
        assert documents.queue_stale() == 1
    document.refresh_from_db()
    assert not documents.is_stale(document)
    assert "20 000,00 €" in pdf_text(document.file.path)
    assert stored_files(settings) == [Path(document.file.path)]
    assert not first_file.exists()


def test_inputs_changing_during_rendering_are_detected(convention, ville):
    document = documents.convention_document(convention)
    real_html_to_pdf = documents.html_to_pdf

    def render_while_someone_edits(html):
        convention.commitments.filter(funder=ville, year=2026).update(amount=1)
        return real_html_to_pdf(html)

    with (
        mock.patch.object(documents, "html_to_pdf", side_effect=render_while_someone_edits),
        pytest.raises(documents.InputsChanged),
    ):
        documents.generate(document.pk)

    document.refresh_from_db()
    assert document.status == DocumentStatus.RUNNING and not document.file
    assert documents.generate(document.pk).status == DocumentStatus.DONE


# Each input of a convention's PDF, edited the way no signal sees (a bulk update, a row added
# or deleted), while the PDF is rendered.
EDITS_DURING_RENDERING = {
    "convention": lambda c: Convention.objects.filter(pk=c.pk).update(association_signatory="X"),
    "association": lambda c: Association.objects.filter(pk=c.association_id).update(name="B"),
    "funder": lambda c: Funder.objects.filter(parties__convention=c).update(
        representative="Le Préfet"
    ),
    "party": lambda c: c.parties.update(signatory="Le Président"),
    "commitment added": lambda c: CommitmentFactory(
        convention=c, funder=c.parties.first().funder, year=2026, kind="projet", amount=1
    ),
    "commitment deleted": lambda c: c.commitments.filter(year=2023).delete(),
    "in-kind support": lambda c: c.in_kind_supports.update(description="Salle B"),
    "in-kind value": lambda c: InKindValue.objects.filter(support__convention=c).update(value=9),
    "premises": lambda c: Premises.objects.update(address="2 rue de Brest"),
    "objective": lambda c: c.objectives.update(title="Aller vers"),
    "article": lambda c: ArticleTemplate.objects.filter(position=2).update(body="Quatre ans."),
    "article added": lambda c: ArticleTemplate.objects.create(
        position=99, title="Annexe", body="Texte.", is_active=True
    ),
}
# Edits of rows the PDF does not show.
EDITS_ELSEWHERE = {
    "another convention's amount": lambda c: CommitmentFactory(year=2024, amount=Decimal("5")),
    "another association": lambda c: Association.objects.exclude(pk=c.association_id).update(
        name=Concat("name", Value(" (bis)"))
    ),
    "an inactive article": lambda c: ArticleTemplate.objects.create(
        position=98, title="Brouillon", body="Texte.", is_active=False
    ),
}


@pytest.fixture
def convention_with_every_input(convention, ville, association_b):
    premises = Premises.objects.create(
        association=convention.association, label="Local", address="1 rue de Nantes"
    )
    support = InKindSupport.objects.create(
        convention=convention,
        funder=ville,
        kind=InKindSupport.Kind.PREMISES,
        premises=premises,
        yearly_value=Decimal("3000"),
    )
    InKindValue.objects.create(support=support, from_year=2025, value=Decimal("3600"))
    priority = NetworkPriority.objects.create(position=90, title="Aller vers")
    Objective.objects.create(convention=convention, priority=priority, title="Distribuer")
    return convention


def fake_pdf_while(edit, convention):
    def render(html):
        edit(convention)
        return documents.RenderedPdf(content=b"%PDF-1.7 (not rendered)", page_count=1)

    return mock.patch.object(documents, "html_to_pdf", side_effect=render)


@pytest.mark.parametrize("edit", EDITS_DURING_RENDERING.values(), ids=EDITS_DURING_RENDERING)
def test_any_input_of_a_convention_edited_during_rendering_is_detected(
    edit, convention_with_every_input
):
    """GIVEN a convention with parties, amounts, in-kind support, objectives WHEN one of the
    rows its PDF shows is edited while the PDF renders THEN the PDF is not stored (the task
    retries), and the next run stores a current one."""
    document = documents.convention_document(convention_with_every_input)

    with fake_pdf_while(edit, convention_with_every_input), pytest.raises(documents.InputsChanged):
        documents.generate(document.pk)

    document.refresh_from_db()
    assert document.status == DocumentStatus.RUNNING and not document.file
    assert documents.generate(document.pk).status == DocumentStatus.DONE
    assert not documents.is_stale(document)


@pytest.mark.parametrize("edit", EDITS_ELSEWHERE.values(), ids=EDITS_ELSEWHERE)
def test_edits_of_other_rows_during_rendering_do_not_hold_the_document_back(
    edit, convention_with_every_input
):
    document = documents.convention_document(convention_with_every_input)

    with fake_pdf_while(edit, convention_with_every_input):
        document = documents.generate(document.pk)

    assert document.status == DocumentStatus.DONE and document.attempts == 1


def test_the_inputs_query_reads_the_rows_the_rendering_reads(
    convention_with_every_input, django_assert_num_queries
):
    """`convention_inputs` (one query, to detect changes) and the rendering (the ORM) must read
    the same rows: a row the PDF shows but the query misses would change unnoticed."""
    document = documents.convention_document(convention_with_every_input)
    # Inputs, the convention and association, parties and funders, amounts, in-kind support
    # with premises and funder, its values, objectives, articles: a template reading one more
    # relation adds a query here and must be added to load_convention and _convention_inputs.
    with django_assert_num_queries(8):
        documents.render(document)

    convention = documents.load_convention(convention_with_every_input.pk)
    supports = list(convention.in_kind_supports.all())
    rendered = [
        convention,
        convention.association,
        *documents.active_articles(),
        *convention.parties.all(),
        *(party.funder for party in convention.parties.all()),
        *convention.commitments.all(),
        *supports,
        *(support.funder for support in supports),
        *(support.premises for support in supports),
        *(value for support in supports for value in support.values.all()),
        *convention.objectives.all(),
    ]
    read = documents.convention_input_rows(convention.pk)
    assert {(label, pk) for label, pk, *_columns in read} == {
        (row._meta.label, str(row.pk)) for row in rendered
    }
    assert len(read) == len(set(read))  # each row once (a funder of two parties too)


def test_a_broken_article_template_fails_with_its_reason(convention):
    ArticleTemplate.objects.filter(position=2).update(body="{% if %}")
    document = documents.convention_document(convention)

    generate_document.delay(document.pk)

    document.refresh_from_db()
    assert document.status == DocumentStatus.FAILED
    assert document.error.startswith("L'article 2 « Durée » contient une erreur")


def test_staff_edit_the_article_texts_without_touching_code(convention, client, agent):
    agent.is_superuser = True
    agent.save()
    from tests.factories import give_totp

    give_totp(agent)  # superusers need TOTP to open any page (solidaren.two_factor)
    client.force_login(agent)
    article = ArticleTemplate.objects.get(position=9)
    url = reverse("admin:conventions_articletemplate_change", args=[article.pk])

    refused = client.post(
        url, {"position": 9, "title": "Communication", "body": "{% for %}", "is_active": "on"}
    )
    assert "Ce texte contient une erreur de modèle" in refused.content.decode()
    old_name = client.post(
        url,
        {
            "position": 9,
            "title": "Communication",
            "body": "Le logo de {{ association.name }} figure sur les affiches.",
            "is_active": "on",
        },
    )
    assert "La variable « association.name » n&#x27;est pas disponible" in old_name.content.decode()
    saved = client.post(
        url,
        {
            "position": 9,
            "title": "Communication et logos",
            "body": "Le logo de {{ association_name }} figure sur les affiches.",
            "is_active": "on",
        },
    )
    assert saved.status_code == 302

    document = documents.generate(documents.convention_document(convention).pk)
    text = pdf_text(document.file.path)
    assert "Communication et logos" in text
    assert "Le logo de Association A figure sur les affiches." in text


# --- views and permissions ----------------------------------------------------------------


@pytest.fixture
def generated(convention):
    return documents.generate(documents.convention_document(convention).pk)


def test_documents_download_only_for_those_who_may_see_them(
    client, generated, coordinator_a, coordinator_b, volunteer, agent
):
    url = generated.get_download_url()

    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))

    client.force_login(coordinator_b)
    assert client.get(url).status_code == 404
    client.force_login(volunteer)
    assert client.get(url).status_code == 403
    for allowed in (coordinator_a, agent):
        client.force_login(allowed)
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_a_coordinator_cannot_generate_another_association_documents(
    client, convention, coordinator_b
):
    client.force_login(coordinator_b)

    response = client.post(
        reverse("conventions:generate_convention_documents", args=[convention.pk])
    )

    assert response.status_code == 404
    assert not GeneratedDocument.objects.exists()


def test_a_coordinator_generates_their_convention_pdf_and_follows_progress(
    client, convention, coordinator_a, coordinator_b, django_capture_on_commit_callbacks
):
    client.force_login(coordinator_a)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("conventions:generate_convention_documents", args=[convention.pk])
        )

    assert response.status_code == 302
    batch_page = client.get(response.url)
    content = batch_page.content.decode()
    assert "1 document(s) sur 1 (100 %)" in content
    assert "Télécharger le PDF" in content
    assert 'hx-trigger="every 1s"' not in content  # complete: polling stops
    detail = client.get(convention.get_absolute_url()).content.decode()
    assert GeneratedDocument.objects.get().get_download_url() in detail

    client.force_login(coordinator_b)
    assert client.get(response.url).status_code == 404  # someone else's batch


def test_the_progress_block_polls_while_documents_are_pending(client, convention, agent):
    with mock.patch("conventions.tasks.generate_document.delay"):  # no worker runs
        batch = documents.queue_batch(
            "Lot", [documents.convention_document(convention)], user=agent
        )
    client.force_login(agent)

    partial = client.get(reverse("conventions:document_batch_progress", args=[batch.pk]))

    content = partial.content.decode()
    assert 'hx-trigger="every 1s"' in content
    assert "0 document(s) sur 1 (0 %)" in content
    assert "<html" not in content  # a fragment, for htmx


def test_all_documents_of_a_year_are_for_staff(
    client, convention, coordinator_a, agent, django_capture_on_commit_callbacks
):
    url = reverse("conventions:generate_year")
    client.force_login(coordinator_a)
    assert client.post(url, {"annee": "2024"}).status_code == 403

    client.force_login(agent)
    bad = client.post(url, {"annee": "deux mille"})
    assert bad.status_code == 400
    assert "Indiquez une année sur 4 chiffres" in bad.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"annee": "2024"})
    assert response.status_code == 302
    kinds = sorted(GeneratedDocument.objects.values_list("kind", "status"))
    assert kinds == [("convention", "termine"), ("rapport_reseau", "termine")]


def test_staff_generate_from_the_back_office(
    client, convention, agent, django_capture_on_commit_callbacks
):
    agent.is_superuser = True
    agent.save()
    from tests.factories import give_totp

    give_totp(agent)  # superusers need TOTP to open any page (solidaren.two_factor)
    client.force_login(agent)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:conventions_convention_changelist"),
            {"action": "generate_documents", "_selected_action": [convention.pk]},
        )

    assert response.status_code == 302
    assert GeneratedDocument.objects.get().status == DocumentStatus.DONE
    assert client.get(reverse("admin:conventions_generateddocument_changelist")).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_generate_documents_command_writes_the_demo_conventions():
    call_command("load_demo", stdout=StringIO())
    out = StringIO()

    call_command("generate_documents", year=2023, wait=True, timeout=120, stdout=out)

    lines = out.getvalue().splitlines()
    convention_files = [line for line in lines if "/documents/convention/" in line]
    assert len(convention_files) == 7
    assert any("/documents/rapport_reseau/network-2023-" in line for line in lines)
    for line in convention_files:
        path = line.split(" (")[0]
        assert Path(path).exists() and Path(path).read_bytes().startswith(b"%PDF-")


def test_changing_an_amount_in_the_back_office_regenerates_the_stale_pdf(
    client, convention, ville, agent, django_capture_on_commit_callbacks
):
    document = documents.generate(documents.convention_document(convention).pk)
    agent.is_superuser = True
    agent.save()
    from tests.factories import give_totp

    give_totp(agent)  # superusers need TOTP to open any page (solidaren.two_factor)
    client.force_login(agent)
    commitment = convention.commitments.get(funder=ville, year=2026)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:conventions_commitment_change", args=[commitment.pk]),
            {
                "convention": convention.pk,
                "funder": ville.pk,
                "year": 2026,
                "kind": "fonctionnement",
                "amount": "15000.00",
            },
        )

    assert response.status_code == 302
    document.refresh_from_db()
    assert document.attempts == 2 and not documents.is_stale(document)
    assert "15 000,00 €" in pdf_text(document.file.path)
