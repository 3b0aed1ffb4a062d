"""The public page saying what is kept, why and how long: French, linked from every page's
footer, and its periods are the settings the retention job applies."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.urls import reverse

from solidaren.access import DATA_PROTECTION_OFFICER_GROUP
from tests.factories import UserFactory


def test_the_page_is_public_french_and_linked_from_the_footer(client, db):
    page = client.get(reverse("personal_data"))
    home = client.get(reverse("home")).content.decode()

    assert page.status_code == 200
    content = page.content.decode()
    assert '<html lang="fr">' in content
    for section in (
        "Habitant·es aidé·es",
        "Volontaires",
        "Coordinatrices et coordinateurs d'associations",
        "Journal des consultations des fiches d'habitant·es",
        "Documents",
    ):
        assert section in content, section
    assert f'href="{reverse("personal_data")}"' in home


def test_the_periods_come_from_the_settings(client, db, settings):
    settings.RESIDENT_RETENTION_MONTHS = 36
    settings.VOLUNTEER_RETENTION_MONTHS = 18
    settings.RESIDENT_ACCESS_LOG_RETENTION_MONTHS = 6
    settings.ORIENTATION_RETENTION_MONTHS = 12

    content = client.get(reverse("personal_data")).content.decode()

    assert "anonymisées 36 mois après la dernière activité" in content
    assert "depuis 18 mois est anonymisé" in content
    assert "prévenue par e-mail 1 mois avant" in content
    assert "6 mois, puis les lignes sont supprimées" in content
    assert "Anonymisées 12 mois après la réponse ou l'expiration" in content
    assert "24 mois" not in content


def test_only_the_data_protection_officer_gets_the_link_to_the_log(client, agent, db):
    log_url = reverse("volontaires:access_log")
    client.force_login(agent)
    assert log_url not in client.get(reverse("personal_data")).content.decode()

    officer = UserFactory()
    officer.groups.add(Group.objects.get(name=DATA_PROTECTION_OFFICER_GROUP))
    client.force_login(officer)
    assert log_url in client.get(reverse("personal_data")).content.decode()
