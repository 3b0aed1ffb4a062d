"""Absolute links come from the one SITE_URL setting, whatever host and port the request used,
and e-mails name the portal (SITE_NAME), not the host."""

import re
import subprocess
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory, VolunteerProfileFactory

OTHER_PORT = "http://127.0.0.1:8917"
LINK = re.compile(r"https?://[^\s]+")


@pytest.fixture
def other_port(settings):
    """The portal served on another port than 8000 (as `PORT=8917 make demo` does), reached
    through yet another host name by the test client."""
    settings.SITE_URL = OTHER_PORT
    settings.ALLOWED_HOSTS = ["testserver", "interne.example"]
    return OTHER_PORT


@pytest.mark.django_db
def test_sign_up_mail_links_to_site_url_and_greets_with_the_site_name(client, other_port):
    client.post(
        reverse("account_signup"),
        {"email": "nouvelle@exemple.fr", "password1": PASSWORD, "password2": PASSWORD},
        HTTP_HOST="interne.example",
    )

    body = mail.outbox[0].body
    links = LINK.findall(body)
    assert links, body
    assert all(link.startswith(OTHER_PORT) for link in links), links
    assert f"{OTHER_PORT}/comptes/confirm-email/" in body
    assert "SolidaRen" in body
    assert "interne.example" not in body and "testserver" not in body


@pytest.mark.django_db
def test_password_reset_and_account_exists_mails_link_to_site_url(client, other_port):
    user = UserFactory(email="deja@exemple.fr")
    client.post(
        reverse("account_reset_password"), {"email": user.email}, HTTP_HOST="interne.example"
    )
    client.post(
        reverse("account_signup"),
        {"email": user.email, "password1": PASSWORD, "password2": PASSWORD},
        HTTP_HOST="interne.example",
    )

    assert len(mail.outbox) == 2
    for message in mail.outbox:
        links = LINK.findall(message.body)
        assert links and all(link.startswith(OTHER_PORT) for link in links), links
        assert "interne.example" not in message.body


@pytest.mark.django_db
def test_calendar_feed_address_uses_site_url(client, other_port):
    profile = VolunteerProfileFactory()
    client.force_login(profile.user)
    client.post(reverse("volontaires:calendar_token"), HTTP_HOST="interne.example")
    profile.refresh_from_db()

    page = client.get(reverse("volontaires:my_space"), HTTP_HOST="interne.example")

    assert f"{OTHER_PORT}/volontaires/calendrier/{profile.ical_token}.ics" in page.content.decode()


def test_make_demo_points_site_url_at_its_port():
    """`PORT=8917 make demo` serves on 8917 and gives SITE_URL the same port."""
    root = Path(__file__).resolve().parent.parent
    dry_run = subprocess.run(
        ["make", "-n", "demo", "PORT=8917"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin"},
    ).stdout
    assert "SITE_URL=http://127.0.0.1:8917 .venv/bin/python manage.py runserver 127.0.0.1:8917" in (
        dry_run
    )
