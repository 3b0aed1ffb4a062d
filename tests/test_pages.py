import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_home_page_is_accessible_and_in_french(client):
    content = client.get(reverse("home")).content.decode()

    assert '<html lang="fr">' in content
    assert 'href="#contenu"' in content and 'id="contenu"' in content  # skip link
    assert "<main" in content and "<nav" in content and "<footer" in content
    assert "Aller au contenu" in content


@pytest.mark.django_db
def test_english_can_be_chosen(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302

    content = client.get(reverse("home")).content.decode()

    assert '<html lang="en">' in content
    assert "Skip to content" in content
    assert "Directory of associations" in content


@pytest.mark.django_db
def test_unknown_page_gets_the_french_404(client):
    response = client.get("/cette-page-n-existe-pas/")

    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


@pytest.mark.django_db
def test_unknown_association_gets_404(client):
    assert client.get(reverse("associations:detail", args=["inconnue"])).status_code == 404


def test_server_error_page_is_french_and_self_contained():
    response = server_error(RequestFactory().get("/"))

    assert response.status_code == 500
    assert "Erreur du serveur" in response.content.decode()


@pytest.mark.django_db
def test_directory_filters_by_text_and_field_of_action(client, association_a, association_b):
    from associations.models import FieldOfAction

    food = FieldOfAction.objects.create(slug="aide-alimentaire", name="Aide alimentaire")
    association_a.fields_of_action.add(food)

    by_field = client.get(reverse("associations:list"), {"field_of_action": "aide-alimentaire"})
    by_text = client.get(reverse("associations:list"), {"q": "Association B"})
    bad_value = client.get(reverse("associations:list"), {"field_of_action": "n-existe-pas"})

    assert "Association A" in by_field.content.decode()
    assert "Association B" not in by_field.content.decode()
    assert "Association B" in by_text.content.decode()
    assert "Association A" not in by_text.content.decode()
    assert bad_value.status_code == 200


def test_deploy_check_prints_no_issue_in_production_mode():
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50)[:50],
        "ALLOWED_HOSTS": "example.org",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_production_mode_refuses_to_start_without_a_secret_key():
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "", "ALLOWED_HOSTS": "example.org"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG=0" in result.stderr


@pytest.mark.django_db
def test_french_is_served_even_to_an_english_browser(client):
    content = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()

    assert '<html lang="fr">' in content
    assert "Aller au contenu" in content
