"""Login protection on every login path (issue 8, Must show 2: lockout).

The portal login (/comptes/login/) and the back-office login (/back-office/login/, which sends
to the same allauth form) share one policy: failed logins counted in the database per account
and per IP; 5 failures lock the account for 5 minutes, each failure after a lock doubles it
(at most 60 minutes); during a lock the right password is refused too, but the owner gets in
once it ends or at once through the password-reset e-mail. Time is frozen (time-machine) and
moved past the delays.
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth import authenticate
from django.core import mail
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse

from solidaren.login_protection import cooloff_time, lockout_delay
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
MORNING = dt.datetime(2026, 12, 2, 10, 0, tzinfo=PARIS)  # a Wednesday
ATTACKER_IP = "203.0.113.66"
OWNER_IP = "198.51.100.7"
RESET_LINK = re.compile(r"https?://[^/\s]+(/comptes/password/reset/key/\S+/)")


def log_in(client, email, password, *, ip=OWNER_IP, next_url=None):
    url = reverse("account_login")
    if next_url:
        url = f"{url}?next={next_url}"
    return client.post(url, {"login": email, "password": password}, REMOTE_ADDR=ip)


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail(client, email, times, *, ip=ATTACKER_IP):
    return [log_in(client, email, "pas-le-bon", ip=ip).status_code for _ in range(times)]


@pytest.fixture
def frozen():
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller


@pytest.fixture
def owner(db):
    return UserFactory(email="titulaire@exemple.fr")


def test_the_delay_starts_at_the_allowance_and_doubles_up_to_its_cap():
    assert lockout_delay(failures=4, allowance=5) == dt.timedelta(0)
    assert [lockout_delay(failures=n, allowance=5).total_seconds() / 60 for n in range(5, 11)] == [
        5,
        10,
        20,
        40,
        60,
        60,
    ]
    assert lockout_delay(failures=10_000, allowance=5) == dt.timedelta(minutes=60)
    assert lockout_delay(failures=20, allowance=20) == dt.timedelta(minutes=5)


def test_five_failures_lock_the_portal_login_with_a_french_page_that_says_when(
    client, owner, frozen
):
    """GIVEN an attacker guessing the owner's password WHEN the 5th guess fails THEN the
    login answers 429 with a French page giving the time to retry and the reset link."""
    statuses = fail(client, owner.email, 5)

    locked = log_in(client, owner.email, PASSWORD, ip=ATTACKER_IP)

    assert statuses == [200, 200, 200, 200, 429]
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Connexion temporairement suspendue" in page
    assert "Vous pourrez réessayer à partir de 10:05 (dans 5 minutes environ)." in page
    assert reverse("account_reset_password") in page
    assert locked["Retry-After"] == "300"
    assert not is_logged_in(client)


def test_during_the_lock_the_owner_is_refused_too_then_gets_in_after_the_delay(
    client, owner, frozen
):
    fail(client, owner.email, 5)

    frozen.shift(dt.timedelta(minutes=4, seconds=59))
    still_locked = log_in(client, owner.email, PASSWORD)
    frozen.shift(dt.timedelta(seconds=2))
    after_the_delay = log_in(client, owner.email, PASSWORD)

    assert still_locked.status_code == 429
    assert after_the_delay.status_code == 302
    assert after_the_delay.url == reverse("home")
    assert is_logged_in(client)
    assert not AccessAttempt.objects.filter(username=owner.email).exists()


def test_attempts_during_a_lock_are_not_counted_so_they_cannot_prolong_it(client, owner, frozen):
    fail(client, owner.email, 5)
    frozen.shift(dt.timedelta(minutes=4))

    statuses = fail(client, owner.email, 30)
    frozen.shift(dt.timedelta(minutes=1, seconds=1))

    assert set(statuses) == {429}
    assert log_in(client, owner.email, PASSWORD).status_code == 302


def test_each_failure_after_a_lock_doubles_the_delay(client, owner, frozen):
    fail(client, owner.email, 5)
    frozen.shift(dt.timedelta(minutes=5, seconds=1))

    sixth = fail(client, owner.email, 1)
    frozen.shift(dt.timedelta(minutes=9, seconds=58))
    before_ten_minutes = log_in(client, owner.email, PASSWORD)
    frozen.shift(dt.timedelta(seconds=2))
    after_ten_minutes = log_in(client, owner.email, PASSWORD)

    assert sixth == [429]
    assert before_ten_minutes.status_code == 429
    assert after_ten_minutes.status_code == 302


def test_axes_cooloff_time_is_the_delay_of_the_current_lock(client, owner, frozen):
    def cooloff_for(address):
        request = RequestFactory().post(
            "/comptes/login/", {"login": address}, REMOTE_ADDR=ATTACKER_IP
        )
        return cooloff_time(request)

    fail(client, owner.email, 5)
    frozen.shift(dt.timedelta(minutes=5, seconds=1))
    nothing_locked = cooloff_for(owner.email)
    fail(client, owner.email, 1)

    assert nothing_locked == dt.timedelta(minutes=5)  # the first delay
    assert cooloff_for(owner.email) == dt.timedelta(minutes=10)


def test_the_password_reset_email_lets_the_owner_in_at_once_during_a_lock(client, owner, frozen):
    fail(client, owner.email, 5)

    client.post(reverse("account_reset_password"), {"email": owner.email}, REMOTE_ADDR=OWNER_IP)
    link = RESET_LINK.search(mail.outbox[-1].body).group(1)
    form = client.get(link, follow=True, REMOTE_ADDR=OWNER_IP)
    form_url = form.redirect_chain[-1][0]
    new_password = "un-nouveau-mot-de-passe-solide-8"
    reset = client.post(
        form_url, {"password1": new_password, "password2": new_password}, REMOTE_ADDR=OWNER_IP
    )

    assert reset.status_code == 302
    assert is_logged_in(client)
    assert not AccessAttempt.objects.filter(username=owner.email).exists()
    client.logout()
    assert log_in(client, owner.email, new_password).status_code == 302


def test_the_lock_is_kept_in_the_database_and_survives_an_emptied_cache(client, owner, frozen):
    """A restart or another web process starts with an empty cache: the lock holds."""
    fail(client, owner.email, 5)

    cache.clear()

    assert AccessAttempt.objects.get(username=owner.email).failures_since_start == 5
    assert log_in(client, owner.email, PASSWORD).status_code == 429


def test_failures_are_counted_per_ip_across_many_accounts(client, owner, frozen):
    """GIVEN one address trying one password on many accounts (3 tries each, under the
    account allowance) WHEN it reaches 20 failures THEN that address is locked, for an
    existing account with its right password too, while the owner elsewhere logs in."""
    statuses = []
    for number in range(7):
        statuses += fail(client, f"personne-{number}@exemple.fr", 3)

    from_the_attacker = log_in(client, owner.email, PASSWORD, ip=ATTACKER_IP)
    from_the_owner = log_in(client, owner.email, PASSWORD, ip=OWNER_IP)

    assert statuses[:19] == [200] * 19
    assert statuses[19:] == [429, 429]
    assert from_the_attacker.status_code == 429
    assert from_the_owner.status_code == 302


def test_an_accounts_failures_count_for_a_day_an_ips_for_an_hour(client, owner, frozen):
    fail(client, owner.email, 4, ip=OWNER_IP)
    for number in range(19):
        fail(client, f"personne-{number}@exemple.fr", 1, ip=ATTACKER_IP)

    frozen.shift(dt.timedelta(hours=1, minutes=1))
    twentieth_from_the_ip = fail(client, "encore-une@exemple.fr", 1, ip=ATTACKER_IP)
    frozen.shift(dt.timedelta(hours=22))
    fifth_for_the_account = fail(client, owner.email, 1, ip=OWNER_IP)

    assert twentieth_from_the_ip == [200]
    assert fifth_for_the_account == [429]


def test_an_accounts_failures_are_forgotten_after_a_day(client, owner, frozen):
    fail(client, owner.email, 4)

    frozen.shift(dt.timedelta(hours=24, seconds=1))

    assert fail(client, owner.email, 1) == [200]
    assert AccessAttempt.objects.get(username=owner.email).failures_since_start == 1


def test_a_shared_office_address_is_not_locked_by_a_few_typos_of_colleagues(client, owner, frozen):
    """Ten colleagues behind one address each mistype once within a minute: the eleventh gets
    in (allauth's cache counter refused a 11th login from one IP within a minute)."""
    office = "192.0.2.10"
    for number in range(10):
        colleague = UserFactory(email=f"collegue-{number}@ville.example.fr")
        fail(client, colleague.email, 1, ip=office)

    response = log_in(client, owner.email, PASSWORD, ip=office)

    assert response.status_code == 302
    assert is_logged_in(client)


def test_behind_a_trusted_proxy_each_client_is_counted_by_its_forwarded_address(
    client, owner, frozen, settings
):
    """With TRUSTED_PROXY_COUNT=1 every request comes from the proxy's address: the per-IP
    count follows X-Forwarded-For, or one attacker would lock everybody out."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    for number in range(20):
        client.post(
            reverse("account_login"),
            {"login": f"personne-{number}@exemple.fr", "password": "pas-le-bon"},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=ATTACKER_IP,
        )

    def through_the_proxy(client_ip):
        return client.post(
            reverse("account_login"),
            {"login": owner.email, "password": PASSWORD},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=client_ip,
        )

    assert through_the_proxy(ATTACKER_IP).status_code == 429
    assert through_the_proxy(OWNER_IP).status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER_IP}


def test_a_successful_login_forgets_the_accounts_failures_but_not_the_ips(client, owner, frozen):
    """An attacker cannot clear the count against their address by logging into their own
    account between guesses."""
    fail(client, "victime@exemple.fr", 4)
    fail(client, "autre-victime@exemple.fr", 4)
    fail(client, owner.email, 2)

    assert log_in(client, owner.email, PASSWORD, ip=ATTACKER_IP).status_code == 302

    assert not AccessAttempt.objects.filter(username=owner.email).exists()
    assert AccessAttempt.objects.filter(ip_address=ATTACKER_IP).count() == 2


def test_the_address_is_counted_whatever_its_case(client, owner, frozen):
    for variant in ["Titulaire@Exemple.fr", "TITULAIRE@EXEMPLE.FR", " titulaire@exemple.fr"]:
        fail(client, variant, 1)
    fail(client, "titulaire@EXEMPLE.fr", 2)

    assert log_in(client, owner.email, PASSWORD).status_code == 429


def test_the_back_office_has_no_login_form_of_its_own(client, agent):
    """The 40-wrong-passwords hole: the back-office login page now sends to allauth's, and
    credentials posted to it log nobody in."""
    page = client.get(reverse("admin:login"))
    posted = client.post(
        reverse("admin:login"), {"username": agent.email, "password": PASSWORD}, follow=False
    )

    assert page.status_code == 302
    assert page.url.startswith(reverse("account_login") + "?next=")
    assert posted.status_code == 302
    assert posted.url.startswith(reverse("account_login"))
    assert not is_logged_in(client)


def test_the_back_office_login_is_locked_like_the_portal_login(client, agent, frozen):
    """GIVEN 40 wrong passwords for an agent through the back-office login THEN the right one
    is refused (429) until the delay ends, and then opens the back-office."""
    entry = client.get(reverse("admin:index"), follow=True)
    login_url = entry.redirect_chain[-1][0]
    assert login_url.startswith(reverse("account_login") + "?next=")

    statuses = []
    for number in range(40):  # one every 3 s: under allauth's 30 login posts a minute per IP
        frozen.shift(dt.timedelta(seconds=3))
        attempt = {"login": agent.email, "password": f"essai-{number}"}
        statuses.append(client.post(login_url, attempt).status_code)
    locked = client.post(login_url, {"login": agent.email, "password": PASSWORD})
    frozen.shift(dt.timedelta(minutes=3, seconds=15))  # 5 min after the 5th failure (at 15 s)
    after_the_delay = client.post(login_url, {"login": agent.email, "password": PASSWORD})
    back_office = client.get(after_the_delay.url)

    assert statuses[:4] == [200] * 4
    assert set(statuses[4:]) == {429}
    assert locked.status_code == 429
    assert "Connexion temporairement suspendue" in locked.content.decode()
    assert after_the_delay.status_code == 302
    assert after_the_delay.url == reverse("admin:index")
    assert back_office.status_code == 200
    assert "Administration du réseau" in back_office.content.decode()


def test_a_signed_in_person_who_is_not_staff_gets_the_403_page_from_the_back_office_login(
    client, volunteer
):
    client.force_login(volunteer)

    response = client.get(reverse("admin:login"))

    assert response.status_code == 403
    assert "Accès refusé" in response.content.decode()


def test_any_authenticate_call_with_a_request_is_counted_and_locked(owner, frozen):
    """Defence in depth: a login form built on Django's authenticate() (as the admin's was)
    obeys the same lock."""
    factory = RequestFactory()

    def attempt(password):
        request = factory.post("/une-autre-connexion/", REMOTE_ADDR=ATTACKER_IP)
        return authenticate(request, username=owner.email, password=password)

    results = [attempt("pas-le-bon") for _ in range(5)]

    assert results == [None] * 5
    assert attempt(PASSWORD) is None
    assert AccessAttempt.objects.get(username=owner.email).failures_since_start == 5
    assert authenticate(email=owner.email, password=PASSWORD) == owner  # code, not a client
