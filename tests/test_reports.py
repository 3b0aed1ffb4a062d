"""Yearly reports in the portal: coordinators fill and submit, agents validate or return.

Everything goes through the real views with the test client.
"""

import datetime
import html
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conventions.models import (
    BudgetLine,
    Objective,
    ReportAction,
    ReportAttachment,
    ReportStatus,
    YearlyReport,
)
from conventions.rules import closed_year_message
from tests import pdf_samples
from tests.factories import (
    CommitmentFactory,
    ConventionFactory,
    FunderFactory,
    YearlyReportFactory,
)

PDF = pdf_samples.plain_pdf()


# --- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture
def funder(db):
    return FunderFactory(name="Ville de Rennes")


@pytest.fixture
def convention_a(association_a, funder):
    convention = ConventionFactory(association=association_a, funders=[funder])
    Objective.objects.create(convention=convention, title="Aller vers les publics", position=1)
    Objective.objects.create(convention=convention, title="Accueil inconditionnel", position=2)
    return convention


@pytest.fixture
def report(convention_a):
    return YearlyReportFactory(convention=convention_a, year=2024)


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def report_url(report, name="conventions:report", **kwargs):
    return reverse(name, kwargs={"pk": report.pk, **kwargs})


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def current_form_data(response) -> dict[str, str]:
    """The POST data of the edit page as rendered: what a browser would send unchanged."""
    forms = response.context["forms"]
    data = {}
    every_form = [
        forms.report,
        forms.budget.management_form,
        *forms.budget.forms,
        forms.actions.management_form,
        *forms.actions.forms,
    ]
    for form in every_form:
        for field in form:
            value = field.value()
            if isinstance(value, bool):
                if value:
                    data[field.html_name] = "on"
                continue
            data[field.html_name] = "" if value is None else str(value)
    return data


def edit_data(client, report, **changes) -> dict[str, str]:
    response = client.get(report_url(report))
    assert response.status_code == 200
    data = current_form_data(response)
    data.update(changes)
    return data


def filled_data(client, report, **changes) -> dict[str, str]:
    """A complete report: text, figures, one charge and one income line, one action."""
    complete = {
        "qualitative_report": "Accueil de 1 200 personnes, distributions hebdomadaires.",
        "narrative": "Ouverture d'une antenne à Maurepas.",
        # The purchases' gap is 25 %: the annex is required (issue 9, conventions/rules.py).
        "annex": "Hausse des prix alimentaires.",
        "beneficiaries_count": "1200",
        "beneficiaries_outside_rennes_percent": "12,5",
        "volunteers_count": "40",
        "volunteer_hours": "2000",
        "volunteer_hour_value": "17,50",
        "premises_value": "6000",
        "lignes-0-side": "charge",
        "lignes-0-label": "Achats alimentaires",
        "lignes-0-planned": "10000",
        "lignes-0-actual": "12500,50",
        "lignes-1-side": "produit",
        "lignes-1-label": "Subvention Ville de Rennes",
        "lignes-1-planned": "15000",
        "lignes-1-actual": "15000",
        "actions-0-actions": "Maraudes deux soirs par semaine.",
        "actions-0-results": "300 personnes rencontrées.",
    }
    return edit_data(client, report, **{**complete, **changes})


# --- filling, saving, submitting --------------------------------------------------------------


@pytest.mark.django_db
def test_a_coordinator_saves_a_draft_then_submits_and_can_no_longer_edit(
    client, coordinator_a, report
):
    """GIVEN a draft report of A WHEN its coordinator saves then submits it
    THEN the values are kept, the report is submitted and further edits are refused."""
    client.force_login(coordinator_a)

    response = client.post(report_url(report), filled_data(client, report, action="brouillon"))

    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT
    assert report.qualitative_report.startswith("Accueil de 1 200 personnes")
    assert report.beneficiaries_count == 1200
    assert report.beneficiaries_outside_rennes_percent == Decimal("12.5")
    assert report.volunteer_hour_value == Decimal("17.50")
    assert report.volunteering_value == Decimal("35000.00")
    lines = {line.label: line for line in report.budget_lines.all()}
    assert lines["Achats alimentaires"].actual == Decimal("12500.50")
    assert lines["Achats alimentaires"].side == BudgetLine.Side.CHARGE
    assert lines["Subvention Ville de Rennes"].side == BudgetLine.Side.INCOME
    action = report.actions.get(objective__title="Aller vers les publics")
    assert action.actions == "Maraudes deux soirs par semaine."
    assert report.actions.count() == 2

    page = client.get(report_url(report))
    text = page_text(page)
    assert "Brouillon enregistré." in text
    # Saved lines show their gap in euros and in percent.
    assert "2\u00a0500,50\u00a0€" in text
    assert "25,0 %" in text

    response = client.post(report_url(report), edit_data(client, report, action="soumettre"))

    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    assert report.submitted_by == coordinator_a
    assert report.submitted_at is not None

    page = client.get(report_url(report))
    assert "Enregistrer le brouillon" not in page_text(page)
    assert "35\u00a0000,00\u00a0€" in page_text(page)  # the volunteering value, read-only

    data = {"qualitative_report": "Modifié après soumission", "action": "brouillon"}
    response = client.post(report_url(report), data, follow=True)

    assert "n'est plus modifiable" in page_text(response)
    report.refresh_from_db()
    assert report.qualitative_report.startswith("Accueil de 1 200 personnes")


@pytest.mark.django_db
def test_submitting_without_the_qualitative_report_shows_the_workflow_message(
    client, coordinator_a, report
):
    client.force_login(coordinator_a)

    data = filled_data(client, report, qualitative_report="", action="soumettre")
    response = client.post(report_url(report), data, follow=True)

    assert "Avant de soumettre, complétez : le bilan qualitatif." in page_text(response)
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT
    assert report.budget_lines.count() == 2  # the draft itself was saved


@pytest.mark.django_db
def test_a_negative_amount_is_refused_and_nothing_is_saved(client, coordinator_a, report):
    client.force_login(coordinator_a)

    data = filled_data(client, report, **{"lignes-1-planned": "-5", "action": "brouillon"})
    response = client.post(report_url(report), data)

    assert response.status_code == 200
    text = page_text(response)
    assert "Le montant ne peut pas être négatif." in text
    assert "Rien n'a été enregistré" in text
    report.refresh_from_db()
    assert report.qualitative_report == ""
    assert report.beneficiaries_count == 0
    assert not report.budget_lines.exists()
    assert not ReportAction.objects.filter(report=report).exclude(actions="").exists()


@pytest.mark.django_db
def test_a_form_without_its_formsets_saves_nothing(client, coordinator_a, report):
    """A tampered or truncated POST is a form error, never a crash nor a partial save."""
    client.force_login(coordinator_a)

    response = client.post(report_url(report), {"qualitative_report": "Seul champ envoyé"})

    assert response.status_code == 200
    assert "Rien n'a été enregistré" in page_text(response)
    report.refresh_from_db()
    assert report.qualitative_report == ""


@pytest.mark.django_db
def test_invalid_numbers_give_french_errors_next_to_the_fields(client, coordinator_a, report):
    client.force_login(coordinator_a)

    data = edit_data(
        client, report, beneficiaries_outside_rennes_percent="150", volunteer_hours="beaucoup"
    )
    response = client.post(report_url(report), data)

    assert response.status_code == 200
    text = page_text(response)
    assert "Un pourcentage est compris entre 0 et 100." in text
    assert "Saisissez un nombre." in text


@pytest.mark.django_db
def test_a_saved_budget_line_can_be_deleted(client, coordinator_a, report):
    client.force_login(coordinator_a)
    client.post(report_url(report), filled_data(client, report, action="brouillon"))
    assert report.budget_lines.count() == 2

    client.post(report_url(report), edit_data(client, report, **{"lignes-0-DELETE": "on"}))

    assert report.budget_lines.count() == 1


# --- review by the agents ---------------------------------------------------------------------


def submit(client, coordinator, report):
    client.force_login(coordinator)
    client.post(report_url(report), filled_data(client, report, action="soumettre"))
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED


@pytest.mark.django_db
def test_returning_needs_a_comment_that_the_coordinator_then_sees(
    client, agent, coordinator_a, report
):
    submit(client, coordinator_a, report)
    client.force_login(agent)
    assert "Examen par les agents" in page_text(client.get(report_url(report)))

    response = client.post(
        report_url(report, "conventions:report_review"),
        {"action": "renvoyer", "comment": "  "},
        follow=True,
    )

    assert "le commentaire est requis" in page_text(response)
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED

    response = client.post(
        report_url(report, "conventions:report_review"),
        {"action": "renvoyer", "comment": "Merci de détailler l'écart sur les achats."},
    )

    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.RETURNED
    assert report.reviewed_by == agent

    client.force_login(coordinator_a)
    page = page_text(client.get(report_url(report)))
    assert "Merci de détailler l'écart sur les achats." in page
    assert "Enregistrer le brouillon" in page

    client.post(
        report_url(report),
        edit_data(client, report, annex="Hausse des prix alimentaires.", action="brouillon"),
    )
    report.refresh_from_db()
    assert report.annex == "Hausse des prix alimentaires."


@pytest.mark.django_db
def test_validating_makes_the_report_read_only_and_closes_the_year(
    client, agent, coordinator_a, report, funder
):
    commitment = CommitmentFactory(convention=report.convention, funder=funder, year=2024)
    submit(client, coordinator_a, report)
    client.force_login(agent)

    response = client.post(
        report_url(report, "conventions:report_review"), {"action": "valider", "comment": ""}
    )

    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.VALIDATED

    client.force_login(coordinator_a)
    page = page_text(client.get(report_url(report)))
    assert "Enregistrer le brouillon" not in page
    assert "Examen par les agents" not in page
    data = {"qualitative_report": "Tentative", "action": "brouillon"}
    response = client.post(report_url(report), data, follow=True)
    assert "n'est plus modifiable" in page_text(response)

    commitment.amount = Decimal("99999.00")
    with pytest.raises(ValidationError) as raised:
        commitment.full_clean()
    assert closed_year_message(2024) in raised.value.messages


@pytest.mark.django_db
def test_only_a_submitted_report_can_be_reviewed(client, agent, report):
    client.force_login(agent)

    response = client.post(
        report_url(report, "conventions:report_review"),
        {"action": "valider", "comment": ""},
        follow=True,
    )

    assert "Seul un compte rendu soumis peut être validé." in page_text(response)
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT


@pytest.mark.django_db
def test_agents_see_reports_read_only(client, agent, report):
    client.force_login(agent)

    page = page_text(client.get(report_url(report)))

    assert "Enregistrer le brouillon" not in page
    assert "Tableau prévu / réalisé" in page
    response = client.post(report_url(report), {"qualitative_report": "x"}, follow=True)
    assert "n'est plus modifiable" in page_text(response)


# --- attachments ------------------------------------------------------------------------------


def upload(client, report, name, content, title=""):
    return client.post(
        report_url(report, "conventions:report_attachment_add"),
        {"title": title, "file": SimpleUploadedFile(name, content, "application/pdf")},
    )


@pytest.mark.django_db
def test_a_text_file_named_pdf_is_refused(client, coordinator_a, report, media_root):
    client.force_login(coordinator_a)

    response = upload(client, report, "bilan.pdf", b"Ceci est un simple texte.")

    assert response.status_code == 200
    assert "Ce fichier n'est pas un vrai PDF" in page_text(response)
    assert not ReportAttachment.objects.exists()

    response = upload(client, report, "bilan.txt", PDF)
    assert "Seuls les fichiers PDF sont acceptés" in page_text(response)
    assert not ReportAttachment.objects.exists()


@pytest.mark.django_db
def test_an_oversized_pdf_is_refused(client, coordinator_a, report, media_root, settings):
    settings.UPLOAD_MAX_MB = 1
    client.force_login(coordinator_a)

    response = upload(client, report, "comptes.pdf", PDF + b"0" * (1024 * 1024))

    assert response.status_code == 413
    assert "la taille maximale acceptée : 1 Mo par fichier" in page_text(response)
    assert not ReportAttachment.objects.exists()
    assert not any(media_root.rglob("*.pdf"))


@pytest.mark.django_db
def test_a_pdf_is_stored_and_downloaded_only_by_those_who_see_the_report(
    client, coordinator_a, coordinator_b, agent, report, media_root
):
    client.force_login(coordinator_a)

    response = upload(client, report, "comptes-2024.pdf", PDF, title="Comptes annuels 2024")

    assert response.status_code == 302
    attachment = ReportAttachment.objects.get()
    assert attachment.title == "Comptes annuels 2024"
    assert (media_root / attachment.file.name).read_bytes() == PDF
    download_url = reverse(
        "conventions:report_attachment", kwargs={"pk": report.pk, "attachment_pk": attachment.pk}
    )
    assert download_url in page_text(client.get(report_url(report)))

    for persona in (coordinator_a, agent):
        client.force_login(persona)
        response = client.get(download_url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert "attachment" in response["Content-Disposition"]
        assert b"".join(response.streaming_content) == PDF

    client.force_login(coordinator_b)
    assert client.get(download_url).status_code == 404


@pytest.mark.django_db
def test_attachments_are_deleted_only_while_editable(
    client, coordinator_a, report, media_root, django_capture_on_commit_callbacks
):
    client.force_login(coordinator_a)
    upload(client, report, "a.pdf", PDF, title="À garder")
    upload(client, report, "b.pdf", PDF, title="À supprimer")
    keep, drop = ReportAttachment.objects.order_by("pk")
    path = media_root / drop.file.name
    assert upload(client, report, "c.pdf", PDF).status_code == 302
    assert ReportAttachment.objects.filter(title="c").exists()  # title defaults to the name

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse(
                "conventions:report_attachment_delete",
                kwargs={"pk": report.pk, "attachment_pk": drop.pk},
            )
        )

    assert not ReportAttachment.objects.filter(pk=drop.pk).exists()
    assert not path.exists()

    submit(client, coordinator_a, report)
    response = client.post(
        reverse(
            "conventions:report_attachment_delete",
            kwargs={"pk": report.pk, "attachment_pk": keep.pk},
        ),
        follow=True,
    )
    assert "n'est plus modifiable" in page_text(response)
    assert ReportAttachment.objects.filter(pk=keep.pk).exists()
    response = upload(client, report, "d.pdf", PDF)
    assert not ReportAttachment.objects.filter(title="d").exists()


# --- starting a report ------------------------------------------------------------------------


@pytest.fixture
def current_convention(association_a, funder):
    """A signed convention from last year to two years ahead: two begun years, two to come."""
    this_year = timezone.localdate().year
    convention = ConventionFactory(
        association=association_a,
        funders=[funder],
        start_date=datetime.date(this_year - 1, 1, 1),
        end_date=datetime.date(this_year + 2, 12, 31),
    )
    Objective.objects.create(convention=convention, title="Aller vers", position=1)
    return convention


def start_url(convention, year):
    return reverse(
        "conventions:report_start", kwargs={"convention_pk": convention.pk, "year": year}
    )


@pytest.mark.django_db
def test_a_coordinator_starts_the_report_of_a_begun_year(client, coordinator_a, current_convention):
    this_year = timezone.localdate().year
    client.force_login(coordinator_a)

    page = page_text(client.get(reverse("conventions:reports")))
    assert start_url(current_convention, this_year - 1) in page
    assert start_url(current_convention, this_year) in page
    assert start_url(current_convention, this_year + 1) not in page

    response = client.post(start_url(current_convention, this_year - 1))

    report = YearlyReport.objects.get(convention=current_convention, year=this_year - 1)
    assert response.status_code == 302
    assert response.url == report.get_absolute_url()
    assert report.status == ReportStatus.DRAFT
    assert report.actions.count() == 1
    # Starting twice goes to the same report.
    assert client.post(start_url(current_convention, this_year - 1)).url == response.url
    assert YearlyReport.objects.filter(convention=current_convention).count() == 1
    assert start_url(current_convention, this_year - 1) not in page_text(
        client.get(reverse("conventions:reports"))
    )

    response = client.post(start_url(current_convention, this_year + 1), follow=True)
    assert "ne peut pas être commencé" in page_text(response)
    assert YearlyReport.objects.filter(convention=current_convention).count() == 1


@pytest.mark.django_db
def test_reports_of_unsigned_conventions_cannot_be_started(client, coordinator_a, association_a):
    convention = ConventionFactory(association=association_a, status="brouillon")
    client.force_login(coordinator_a)

    assert client.post(start_url(convention, 2024)).status_code == 404


# --- access -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_another_associations_coordinator_gets_404_everywhere(
    client, coordinator_b, report, media_root
):
    attachment = ReportAttachment.objects.create(
        report=report, title="Comptes", file=SimpleUploadedFile("c.pdf", PDF)
    )
    client.force_login(coordinator_b)
    attachment_kwargs = {"pk": report.pk, "attachment_pk": attachment.pk}

    assert client.get(report_url(report)).status_code == 404
    assert client.post(report_url(report), {"qualitative_report": "x"}).status_code == 404
    assert (
        client.post(
            report_url(report, "conventions:report_review"), {"action": "valider"}
        ).status_code
        == 404
    )
    assert (
        client.get(reverse("conventions:report_attachment", kwargs=attachment_kwargs)).status_code
        == 404
    )
    assert (
        client.post(
            reverse("conventions:report_attachment_delete", kwargs=attachment_kwargs)
        ).status_code
        == 404
    )
    assert upload(client, report, "x.pdf", PDF).status_code == 404
    assert client.post(start_url(report.convention, 2025)).status_code == 404
    assert ReportAttachment.objects.count() == 1
    assert YearlyReport.objects.count() == 1
    assert report.convention.association.name not in page_text(
        client.get(reverse("conventions:reports"))
    )


@pytest.mark.django_db
def test_a_coordinator_cannot_review(client, coordinator_a, report):
    submit(client, coordinator_a, report)

    response = client.post(report_url(report, "conventions:report_review"), {"action": "valider"})

    assert response.status_code == 403
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED


@pytest.mark.django_db
def test_volunteers_are_refused(client, volunteer, report):
    client.force_login(volunteer)

    assert client.get(reverse("conventions:reports")).status_code == 403
    assert client.get(report_url(report)).status_code == 403


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_the_login_page(client, report, media_root):
    attachment = ReportAttachment.objects.create(
        report=report, title="Comptes", file=SimpleUploadedFile("c.pdf", PDF)
    )
    attachment_kwargs = {"pk": report.pk, "attachment_pk": attachment.pk}
    urls = [
        reverse("conventions:reports"),
        report_url(report),
        report_url(report, "conventions:report_review"),
        report_url(report, "conventions:report_attachment_add"),
        reverse("conventions:report_attachment", kwargs=attachment_kwargs),
        reverse("conventions:report_attachment_delete", kwargs=attachment_kwargs),
        start_url(report.convention, 2024),
    ]
    login = reverse("account_login")

    for url in urls:
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, url
            assert response.url.startswith(login), url

    assert ReportAttachment.objects.count() == 1


# --- the list ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_list_shows_status_due_date_and_late_badge(client, coordinator_a, convention_a):
    YearlyReportFactory(convention=convention_a, year=2023, status=ReportStatus.VALIDATED)
    YearlyReportFactory(convention=convention_a, year=2024, status=ReportStatus.DRAFT)
    client.force_login(coordinator_a)

    response = client.get(reverse("conventions:reports"))

    text = page_text(response)
    assert "Année 2024" in text and "Année 2023" in text
    assert "30/06/2025" in text and "30/06/2024" in text
    assert "Validé" in text
    reports = {report.year: report for report in response.context["reports"]}
    assert reports[2024].overdue  # due 30 June 2025
    assert not reports[2023].overdue  # validated
    assert "en retard" in text


@pytest.mark.django_db
def test_agents_filter_the_list_by_status_and_year(client, agent, convention_a, association_b):
    YearlyReportFactory(convention=convention_a, year=2023, status=ReportStatus.VALIDATED)
    YearlyReportFactory(convention=convention_a, year=2024, status=ReportStatus.SUBMITTED)
    YearlyReportFactory(
        convention=ConventionFactory(association=association_b),
        year=2024,
        status=ReportStatus.SUBMITTED,
    )
    client.force_login(agent)

    def listed(**query):
        response = client.get(reverse("conventions:reports"), query)
        assert response.status_code == 200
        return sorted(
            (r.convention.association.short_name, r.year) for r in response.context["reports"]
        )

    assert listed() == [("A", 2023), ("A", 2024), ("B", 2024)]
    assert listed(status=ReportStatus.SUBMITTED) == [("A", 2024), ("B", 2024)]
    assert listed(year="2023") == [("A", 2023)]
    assert listed(status=ReportStatus.SUBMITTED, year="2023") == []
    assert listed(overdue="on") == []
    response = client.get(reverse("conventions:reports"), {"year": "pas-une-année"})
    assert response.status_code == 200  # a form error next to the field, not a crash
    assert "Sélectionnez un choix valide" in page_text(response)


def make_reports(association, count):
    conventions = [ConventionFactory(association=association) for _ in range((count + 3) // 4)]
    reports = []
    for index in range(count):
        convention = conventions[index // 4]
        reports.append(YearlyReportFactory(convention=convention, year=convention.years[index % 4]))
    return reports


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["agent", "coordinator_a"])
def test_the_list_query_count_does_not_grow_with_the_reports(
    client, persona, request, association_a, django_assert_max_num_queries
):
    client.force_login(request.getfixturevalue(persona))
    make_reports(association_a, 10)
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("conventions:reports")).status_code == 200

    make_reports(association_a, 90)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("conventions:reports"))
    assert len(response.context["reports"]) == 100
