"""No account enumeration (issue 8, Must show 2): at sign-up, login and password reset, an
address in use and an unknown one get the same status, page and messages, and cost the same
work (password hashes, e-mails, templates rendered); their answer times do not differ beyond
noise with the real PBKDF2 hasher.

Before the fix, sign-up answered 10 times faster for an address in use (no password hash:
75–164 ms against 711–1,173 ms).
"""

import re
import statistics
import time
from contextlib import contextmanager
from unittest import mock

import pytest
from django.contrib.auth.hashers import get_hashers, make_password
from django.core import mail
from django.test import Client
from django.urls import reverse

from solidaren.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TAKEN = "deja.inscrite@exemple.fr"
UNKNOWN = "jamais.vue@exemple.fr"
WRONG_PASSWORD = "ce-n-est-pas-le-bon-mot-de-passe"
CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+"')


@contextmanager
def counted_hashes():
    """Counts the password hashes computed (every check or creation of a password runs the
    hasher's `encode`)."""
    hasher_class = type(get_hashers()[0])
    with mock.patch.object(
        hasher_class, "encode", autospec=True, side_effect=hasher_class.encode
    ) as encode:
        yield encode


def submit(flow: str, address: str, *, client: Client, ip: str = "127.0.0.1"):
    if flow == "signup":
        data = {"email": address, "password1": PASSWORD, "password2": PASSWORD}
        return client.post(reverse("account_signup"), data, REMOTE_ADDR=ip)
    if flow == "login":
        data = {"login": address, "password": WRONG_PASSWORD}
        return client.post(reverse("account_login"), data, REMOTE_ADDR=ip)
    return client.post(reverse("account_reset_password"), {"email": address}, REMOTE_ADDR=ip)


def normalised(page: str, address: str) -> str:
    """The page as the person sees it, their own address aside (and the per-session token)."""
    return CSRF.sub(r'\1…"', page.replace(address, "<adresse>"))


def observe(flow: str, address: str) -> dict:
    """Everything an observer (or the owner of the address) can tell about one submission."""
    client = Client()
    mail.outbox.clear()
    with counted_hashes() as encode:
        response = submit(flow, address, client=client)
    final = client.get(response.url) if response.status_code == 302 else response
    return {
        "status": response.status_code,
        "location": response.get("Location"),
        "page": normalised(final.content.decode(), address),
        "hashes": encode.call_count,
        "emails": [(message.to, message.subject[:11]) for message in mail.outbox],
        "templates": len(response.templates),
    }


@pytest.fixture
def taken(db):
    return UserFactory(email=TAKEN)


@pytest.mark.parametrize("flow", ["signup", "login", "password_reset"])
def test_an_address_in_use_and_an_unknown_one_get_the_same_answer_and_work(flow, taken):
    in_use = observe(flow, TAKEN)
    unknown = observe(flow, UNKNOWN)

    emails_in_use = in_use.pop("emails")
    emails_unknown = unknown.pop("emails")
    assert in_use == unknown
    assert [to for to, _subject in emails_in_use] == ([] if flow == "login" else [[TAKEN]])
    assert [to for to, _subject in emails_unknown] == ([] if flow == "login" else [[UNKNOWN]])
    assert all(subject == "[SolidaRen]" for _to, subject in emails_in_use + emails_unknown)


def test_the_numbers_of_work_compared_above_are_those_expected(taken):
    """What each answer costs (so that the comparison above compares something)."""
    signup = observe("signup", UNKNOWN)
    login = observe("login", TAKEN)
    reset = observe("password_reset", TAKEN)

    assert (signup["status"], signup["location"]) == (
        302,
        reverse("account_email_verification_sent"),
    )
    assert "<adresse>" in signup["page"]  # "Nous avons envoyé un e-mail à <adresse>"
    assert signup["hashes"] == 1
    assert signup["templates"] == 4  # subject, message, its base, the page message
    assert login["status"] == 200
    assert login["hashes"] == 1
    assert "L’adresse e-mail ou le mot de passe sont incorrects." in login["page"]
    assert (reset["status"], reset["location"]) == (302, reverse("account_reset_password_done"))
    assert reset["hashes"] == 0


def test_the_lockout_page_is_the_same_for_an_address_in_use_and_an_unknown_one(taken):
    pages = {}
    for address, ip in [(TAKEN, "203.0.113.1"), (UNKNOWN, "203.0.113.2")]:
        client = Client()
        for _attempt in range(5):
            last = submit("login", address, client=client, ip=ip)
        pages[address] = (last.status_code, normalised(last.content.decode(), address))

    assert pages[TAKEN] == pages[UNKNOWN]
    assert pages[TAKEN][0] == 429


@pytest.mark.parametrize("flow", ["signup", "login", "password_reset"])
def test_answer_times_do_not_tell_an_address_in_use_from_an_unknown_one(flow, settings):
    """Medians of 15 interleaved submissions each, with the real PBKDF2 hasher (≈0.7 s a hash
    on a loaded 2-core machine, the cost that gave sign-up away).

    Noise bound: the medians may differ by 50 % of the smaller one or by 60 ms, whichever is
    larger. Robust on a loaded CI: submissions alternate (in use, unknown, in use...) so a
    slow period hits both series; a median ignores the few submissions slowed by another
    process; the bound is relative, so a uniformly slower machine moves both medians alike.
    The leak it guards against is a whole hash (a 5–10× ratio), far beyond the bound.
    """
    attempts = 15
    in_use = [UserFactory(email=f"inscrite-{n}@exemple.fr").email for n in range(attempts)]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    real_hash = make_password(PASSWORD)  # hashed once, shared: the stored hash's cost matters
    User.objects.filter(email__in=in_use).update(password=real_hash)
    unknown = [f"inconnue-{n}@exemple.fr" for n in range(attempts)]
    durations = {"in_use": [], "unknown": []}
    for number in range(attempts):
        for series, address in [("in_use", in_use[number]), ("unknown", unknown[number])]:
            client = Client()
            ip = f"198.51.100.{number * 2 + (series == 'unknown') + 1}"  # under per-IP limits
            start = time.perf_counter()
            response = submit(flow, address, client=client, ip=ip)
            durations[series].append(time.perf_counter() - start)
            assert response.status_code in {200, 302}

    median_in_use = statistics.median(durations["in_use"])
    median_unknown = statistics.median(durations["unknown"])
    bound = max(0.5 * min(median_in_use, median_unknown), 0.060)
    print(f"{flow}: medians {median_in_use:.3f} s (in use) / {median_unknown:.3f} s (unknown)")
    assert abs(median_in_use - median_unknown) <= bound, (
        f"{flow}: median {median_in_use:.3f} s for addresses in use, "
        f"{median_unknown:.3f} s for unknown ones (bound {bound:.3f} s)"
    )
