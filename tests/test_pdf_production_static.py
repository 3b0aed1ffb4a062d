"""Must show 4: PDFs keep their print stylesheet with the production static files.

In production (DEBUG=0) `{% static %}` writes WhiteNoise's hashed names (`print.<hash>.css`),
which exist only among the collected files: the PDF fetcher must read them from the static
files storage, as the web server does, and still refuse every other URL.
"""

import io
import re

import pytest
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import override_settings
from pypdf import PdfReader

from conventions import documents
from tests.factories import CommitmentFactory, ConventionFactory, FunderFactory

PRODUCTION_STATIC_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"


@pytest.fixture
def convention(association_a):
    ville = FunderFactory(name="Ville de Rennes")
    metropole = FunderFactory(name="Rennes Métropole")
    convention = ConventionFactory(
        association=association_a, funders=[ville, metropole], reference="CPO-2023-A"
    )
    for year in (2023, 2024, 2025, 2026):
        CommitmentFactory(convention=convention, funder=ville, year=year, amount=12500)
        CommitmentFactory(convention=convention, funder=metropole, year=year, amount=8000)
    return convention


def production_storages() -> dict:
    return {**django_settings.STORAGES, "staticfiles": {"BACKEND": PRODUCTION_STATIC_STORAGE}}


@pytest.fixture(scope="module")
def collected_static(tmp_path_factory):
    """`collectstatic` with the production storage into a temporary STATIC_ROOT, once."""
    static_root = tmp_path_factory.mktemp("staticfiles")
    with override_settings(DEBUG=False, STATIC_ROOT=static_root, STORAGES=production_storages()):
        call_command("collectstatic", interactive=False, verbosity=0)
    return static_root


@pytest.fixture
def production_static(settings, collected_static):
    """DEBUG off and the production static storage over the collected files."""
    settings.DEBUG = False
    settings.STATIC_ROOT = collected_static
    settings.STORAGES = production_storages()
    return collected_static


def pages_text(content: bytes) -> list[str]:
    return [
        re.sub(r"\s+", " ", page.extract_text()) for page in PdfReader(io.BytesIO(content)).pages
    ]


def test_a_convention_pdf_has_its_stylesheet_with_the_production_static_storage(
    convention, request
):
    document = documents.convention_document(convention)
    development = documents.html_to_pdf(documents.render_html(document))
    assert 'href="/static/css/print.css"' in documents.render_html(document)

    static_root = request.getfixturevalue("production_static")
    html = documents.render_html(document)
    stylesheet = re.search(r'href="(/static/css/print\.[0-9a-f]{12}\.css)"', html).group(1)
    hashed_name = stylesheet.removeprefix("/static/")
    assert finders.find(hashed_name) is None  # where the fetcher used to look: not there
    assert documents.static_file(stylesheet) == static_root / hashed_name
    generated = documents.generate(document.pk)

    production = generated.file.read()
    pages = pages_text(production)
    assert generated.page_count == development.page_count == len(pages)
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert "SolidaRen" in text  # @top-left of print.css
        assert "Convention CPO-2023-A" in text  # @top-right: the running reference
        assert "Association A" in text  # @bottom-left: the running subject
        assert f"page {number} / {len(pages)}" in text  # @bottom-right
    assert pages == pages_text(development.content)  # the same document as in development


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "/etc/passwd",
        "file:///static/../etc/passwd",
        "file:///static/..%2F..%2F..%2Fetc%2Fpasswd",
        "file:///static//etc/passwd",
        "file:///static/css/",  # a folder
        "file:///static/css/absent.css",
        "file:///media/documents/convention/convention-1.pdf",
        "http://127.0.0.1:8000/static/css/print.css",
        "https://example.org/track.png",
    ],
)
def test_the_fetcher_refuses_anything_but_static_files(url, production_static):
    assert documents.static_file(url) is None
    with pytest.raises(ValueError, match="Refused to fetch"):
        documents.static_url_fetcher().fetch(url)


def test_the_fetcher_serves_collected_files_and_data_urls(production_static):
    fetcher = documents.static_url_fetcher()

    stylesheet = fetcher.fetch("file:///static/css/print.css")
    assert b"@page" in stylesheet.read()
    assert stylesheet.content_type == "text/css"
    assert stylesheet.url == "file:///static/css/print.css"  # relative URLs stay under /static/
    stylesheet.close()
    assert fetcher.fetch("data:text/plain,bonjour").read() == b"bonjour"
