import re

import pytest
from django.core import mail
from django.urls import reverse

from solidaren.models import User
from tests.factories import PASSWORD, UserFactory

CONFIRMATION_LINK = re.compile(r"https?://[^/\s]+(/comptes/confirm-email/[^/\s]+/)")


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.django_db
def test_sign_up_requires_a_verified_email_before_the_first_login(client):
    """GIVEN a new person WHEN they sign up through allauth THEN they get a verification
    e-mail, cannot log in before clicking it, and can afterwards."""
    email = "nouvelle.volontaire@exemple.fr"
    response = client.post(
        reverse("account_signup"),
        {"email": email, "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert not is_logged_in(client)
    user = User.objects.get(email=email)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [email]
    assert message.subject.startswith("[SolidaRen]")
    link = CONFIRMATION_LINK.search(message.body).group(1)

    response = client.post(reverse("account_login"), {"login": email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert not is_logged_in(client)

    confirmation_page = client.get(link)
    assert confirmation_page.status_code == 200
    assert email in confirmation_page.content.decode()
    response = client.post(link)
    assert response.status_code == 302
    assert user.emailaddress_set.get(email=email).verified

    response = client.post(reverse("account_login"), {"login": email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert is_logged_in(client)
    assert int(client.session["_auth_user_id"]) == user.pk


@pytest.mark.django_db
def test_sign_up_with_a_taken_email_does_not_reveal_the_account(client):
    """allauth prevents account enumeration: same answer, the owner is told by e-mail."""
    UserFactory(email="deja@exemple.fr")

    response = client.post(
        reverse("account_signup"),
        {"email": "deja@exemple.fr", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert User.objects.filter(email="deja@exemple.fr").count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["deja@exemple.fr"]


@pytest.mark.django_db
def test_sign_up_with_mismatched_passwords_shows_a_french_error(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "x@exemple.fr", "password1": PASSWORD, "password2": PASSWORD + "!"},
    )

    assert response.status_code == 200
    assert "Vous devez saisir deux fois le même mot de passe." in response.content.decode()
    assert not User.objects.filter(email="x@exemple.fr").exists()


@pytest.mark.django_db
def test_repeated_failed_logins_suspend_the_login_with_a_french_page(client):
    """Five wrong passwords lock the account for a while (HTTP 429), the right one included;
    the delay, the per-IP count and the owner's ways back are in tests/test_login_protection.py."""
    UserFactory(email="cible@exemple.fr")
    for _attempt in range(4):
        response = client.post(
            reverse("account_login"), {"login": "cible@exemple.fr", "password": "mauvais"}
        )
        assert response.status_code == 200
    fifth = client.post(
        reverse("account_login"), {"login": "cible@exemple.fr", "password": "mauvais"}
    )

    response = client.post(
        reverse("account_login"), {"login": "cible@exemple.fr", "password": PASSWORD}
    )

    assert fifth.status_code == 429
    assert response.status_code == 429
    assert "Connexion temporairement suspendue" in response.content.decode()
    assert not is_logged_in(client)


@pytest.mark.django_db
def test_password_reset_sends_a_link_that_sets_a_new_password(client):
    user = UserFactory(email="oubli@exemple.fr")

    response = client.post(reverse("account_reset_password"), {"email": user.email})

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/comptes/password/reset/key/\S+/)", mail.outbox[0].body)
    response = client.get(link.group(1), follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link.group(1)
    new_password = "encore-un-mot-de-passe-solide-7"
    response = client.post(form_url, {"password1": new_password, "password2": new_password})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new_password)
