"""Two-factor authentication (allauth.mfa, TOTP): optional for agents, required for superusers.

Codes are computed from the TOTP secret with an RFC 6238 implementation of the tests'
(tests.factories.totp_code); time is frozen so that a code and its 30-second window are known.
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory, give_totp, totp_code

pytestmark = pytest.mark.django_db

MORNING = dt.datetime(2026, 12, 2, 9, 30, tzinfo=ZoneInfo("Europe/Paris"))
SECRET_FIELD = re.compile(
    r'id="authenticator_secret"[^>]*value="([A-Z2-7=]+)"|'
    r'value="([A-Z2-7=]+)"[^>]*id="authenticator_secret"'
)


@pytest.fixture
def frozen():
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller


@pytest.fixture
def superuser(db):
    return UserFactory(email="admin@ville.example.fr", is_staff=True, is_superuser=True)


def open_activation(client):
    """The activation page, through allauth's re-authentication (password typed again), which
    it asks before any change of the second factor."""
    first = client.get(reverse("mfa_activate_totp"))
    assert first.status_code == 302
    assert first.url.startswith(reverse("account_reauthenticate"))
    client.post(first.url, {"password": PASSWORD})
    return client.get(reverse("mfa_activate_totp"))


def log_in(client, user, **extra):
    return client.post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD}, **extra
    )


def test_a_superuser_without_totp_is_sent_to_its_activation_before_any_page(
    client, superuser, frozen
):
    """GIVEN a superuser without TOTP WHEN they log in THEN every portal and back-office page
    sends them to the TOTP activation; once activated with a code from the secret shown, the
    pages open."""
    log_in(client, superuser)

    pages = [reverse("home"), reverse("conventions:list"), reverse("admin:index")]
    redirects = [client.get(url) for url in pages]
    activation = open_activation(client)
    secret = next(
        group for group in SECRET_FIELD.search(activation.content.decode()).groups() if group
    )
    activated = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})

    assert [response.status_code for response in redirects] == [302, 302, 302]
    assert {response.url for response in redirects} == {reverse("mfa_activate_totp")}
    assert activation.status_code == 200
    assert "double authentification est obligatoire" in activation.content.decode()
    assert activated.status_code == 302
    assert Authenticator.objects.filter(user=superuser, type=Authenticator.Type.TOTP).exists()
    assert [client.get(url).status_code for url in pages] == [200, 200, 200]


def test_a_wrong_activation_code_does_not_activate_totp(client, superuser, frozen):
    log_in(client, superuser)
    open_activation(client)

    refused = client.post(reverse("mfa_activate_totp"), {"code": "000000"})

    assert refused.status_code == 200
    assert "Code incorrect" in refused.content.decode()
    assert not Authenticator.objects.filter(user=superuser).exists()
    assert client.get(reverse("home")).url == reverse("mfa_activate_totp")


def test_logout_and_the_account_pages_stay_open_to_a_superuser_without_totp(client, superuser):
    client.force_login(superuser)

    assert client.get(reverse("account_email")).status_code == 200
    assert client.post(reverse("account_logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_back_office_lists_of_addresses_and_authenticators_are_not_account_pages(
    client, superuser
):
    """allauth's models in the back-office share the account_/mfa_ URL name prefixes."""
    client.force_login(superuser)

    for name in ["admin:account_emailaddress_changelist", "admin:mfa_authenticator_changelist"]:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url == reverse("mfa_activate_totp")


def test_with_totp_the_login_asks_for_the_code(client, superuser, frozen):
    """GIVEN a superuser with TOTP WHEN the password is right THEN the login asks for the
    code; a wrong code is refused, the right one opens the portal and the back-office."""
    secret = give_totp(superuser)

    after_password = log_in(client, superuser)
    wrong = client.post(reverse("mfa_authenticate"), {"code": "123456"})
    right = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})

    assert after_password.status_code == 302
    assert after_password.url == reverse("mfa_authenticate")
    assert wrong.status_code == 200
    assert "Code incorrect" in wrong.content.decode()
    assert right.status_code == 302
    assert right.url == reverse("home")
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_back_office_login_asks_for_the_code_too(client, superuser, frozen):
    secret = give_totp(superuser)
    login_url = client.get(reverse("admin:index"), follow=True).redirect_chain[-1][0]

    after_password = client.post(login_url, {"login": superuser.email, "password": PASSWORD})
    before_the_code = client.get(reverse("admin:index"))
    right = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})

    assert after_password.url == reverse("mfa_authenticate")
    assert before_the_code.status_code == 302
    assert before_the_code.url.startswith(reverse("admin:login"))
    assert right.url == reverse("admin:index")
    assert client.get(right.url).status_code == 200


def test_wrong_codes_are_limited(client, superuser, frozen):
    """The second factor keeps allauth's limit: 5 wrong codes per user in 5 minutes."""
    secret = give_totp(superuser)
    log_in(client, superuser)

    for _attempt in range(5):
        client.post(reverse("mfa_authenticate"), {"code": "000000"})
    limited = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})

    assert limited.status_code == 200
    assert "Trop de tentatives" in limited.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_agent_may_activate_totp_from_the_navigation_without_being_forced(client, agent):
    client.force_login(agent)

    home = client.get(reverse("home"))
    index = client.get(reverse("mfa_index"))

    assert home.status_code == 200
    assert f'href="{reverse("mfa_index")}"' in home.content.decode()
    assert "Double authentification" in home.content.decode()
    assert index.status_code == 200
    assert reverse("mfa_activate_totp") in index.content.decode()


def test_the_navigation_offers_totp_to_staff_only(client, coordinator_a):
    client.force_login(coordinator_a)

    assert f'href="{reverse("mfa_index")}"' not in client.get(reverse("home")).content.decode()
