"""The convention PDF reads as a French legal text: articles and prepositions right for each
party, dates as "le 1er janvier 2023", amounts also in words; files named after the reference."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from conventions import documents, legal_french
from conventions.models import DocumentStatus, Funder
from tests.factories import CommitmentFactory, ConventionFactory, FunderFactory


@pytest.mark.parametrize(
    ("name", "with_article", "of"),
    [
        ("Ville de Rennes", "la Ville de Rennes", "de la Ville de Rennes"),
        ("Rennes Métropole", "Rennes Métropole", "de Rennes Métropole"),
        (
            "Département d'Ille-et-Vilaine",
            "le Département d'Ille-et-Vilaine",
            "du Département d'Ille-et-Vilaine",
        ),
        ("État", "l'État", "de l'État"),
        (
            "Agence régionale de santé",
            "l'Agence régionale de santé",
            "de l'Agence régionale de santé",
        ),
    ],
)
def test_each_party_gets_its_article_and_preposition(name, with_article, of):
    assert legal_french.with_article(name) == with_article
    assert legal_french.of(name) == of


def test_dates_and_amounts_as_legal_texts_write_them():
    assert legal_french.on_date(datetime.date(2023, 1, 1)) == "le 1er janvier 2023"
    assert legal_french.on_date(datetime.date(2026, 12, 31)) == "le 31 décembre 2026"
    assert legal_french.amount_in_words(Decimal("20000")) == "vingt mille euros"
    assert legal_french.amount_in_words(Decimal("86750.50")) == (
        "quatre-vingt-six mille sept cent cinquante euros et cinquante centimes"
    )


@pytest.fixture
def convention(association_a):
    ville = FunderFactory(name="Ville de Rennes", kind=Funder.Kind.COMMUNE)
    metropole = FunderFactory(name="Rennes Métropole", kind=Funder.Kind.METROPOLE)
    convention = ConventionFactory(
        association=association_a, funders=[ville, metropole], reference="CPO-2023-LEG"
    )
    for year in convention.years:
        CommitmentFactory(convention=convention, funder=ville, year=year, amount=Decimal("10000"))
        CommitmentFactory(
            convention=convention, funder=metropole, year=year, amount=Decimal("5000")
        )
    return convention


def test_the_convention_pdf_reads_as_a_french_legal_text(convention):
    html = documents.render_html(documents.convention_document(convention))
    text = re.sub(r"<[^>]+>", "", html)
    text = re.sub(r"\s+", " ", text)
    assert "La Ville de Rennes, " in text  # the party, with its article
    assert "Pour la Ville de Rennes" in text and "Pour Rennes Métropole" in text
    assert "du 1er janvier 2023 au 31 décembre 2026" in text
    assert "Rennes Métropole et la Ville de Rennes soutiennent" in text
    assert "soixante mille euros" in text  # 4 × 15 000 € in words
    assert "1 janvier" not in text


def test_the_download_is_named_after_the_reference(client, agent, convention):
    document = documents.convention_document(convention)
    document.status = DocumentStatus.DONE
    document.finished_at = timezone.now()
    document.file.save("convention-123-abc.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    client.force_login(agent)
    response = client.get(reverse("conventions:document_download", args=[document.pk]))
    assert 'filename="CPO-2023-LEG-convention.pdf"' in response["Content-Disposition"]


def test_the_annual_reports_charts_keep_one_colour_per_funder(convention):
    """The per-association chart (funders of the year + in-kind) and the history chart (every
    funder ever) give each funder the same colour; long association names wrap, none is
    skipped."""
    from conventions.annual_report import annual_report_data

    FunderFactory(name="Département d'Ille-et-Vilaine")  # a funder with no grant: no colour shift
    data = annual_report_data(2024)
    per_association, history = data["per_association_chart"], data["history_chart"]

    def legend(chart):
        return {item.label: item.color for item in chart.legend}

    common = set(legend(per_association)) & set(legend(history))
    assert {"Ville de Rennes", "Rennes Métropole"} <= common
    assert all(legend(per_association)[name] == legend(history)[name] for name in common)
    colors = list(legend(per_association).values())
    assert len(set(colors)) == len(colors)
    for bar in per_association.bars:
        assert bar.color == legend(per_association)[bar.series]
    assert all(category.shown and category.lines for category in per_association.categories)
