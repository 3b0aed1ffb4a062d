"""The footer every French public body's site needs: accessibility statement (RGAA level and
how to report a problem), legal notices and the personal-data page."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_every_page_footer_links_the_three_pages(client):
    home = client.get(reverse("home")).content.decode()
    footer = home[home.index('<footer class="site-footer"') :]

    for name in ("accessibility", "legal_notices", "personal_data"):
        assert f'href="{reverse(name)}"' in footer


def test_accessibility_statement_gives_the_level_and_how_to_report(client, settings):
    settings.CONTACT_EMAIL = "accessibilite@rennes.example"

    page = client.get(reverse("accessibility")).content.decode()

    assert "partiellement conforme" in page
    assert "RGAA" in page and "4.1" in page
    assert 'href="mailto:accessibilite@rennes.example"' in page
    assert "Défenseur des droits" in page


def test_legal_notices_name_the_publisher_and_not_the_state_design_system(client):
    page = client.get(reverse("legal_notices")).content.decode()

    assert "CCAS" in page
    assert "DSFR" in page  # said not to be used
    assert "Marianne" not in page
