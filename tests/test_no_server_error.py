"""Bad input gets a clear 4xx or a form error, never a 500: every URL of the portal, for every
role, with malformed parameters and posts (on the demo data)."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import URLResolver, get_resolver

from solidaren.demo import AGENT_EMAIL
from solidaren.models import User

SKIPPED_PREFIXES = ("back-office/", "comptes/", "i18n/")  # Django's and allauth's own views
PERSONAS = [
    None,
    AGENT_EMAIL,
    "coordination.secours-populaire-35@demo.solidaren.fr",
    "volontaire.lea@demo.solidaren.fr",
]
QUERIES = [
    "",
    "?annee=abc&page=zz&programme=inconnu&status=zz&commune=Paris",
    "?q=%00&date_after=31-02-2024&quartier=x&type=x&year=99999",
]
GARBAGE_POST = {
    "annee": "deux mille",
    "reason": "x" * 3000,
    "amount": "-1",
    "places": "abc",
    "date": "2024-02-31",
    "done_on": "demain",
    "duration_minutes": "-5",
}


def portal_routes(patterns=None, prefix: str = "") -> list[str]:
    routes = []
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith(SKIPPED_PREFIXES):
            continue
        if isinstance(pattern, URLResolver):
            routes += portal_routes(pattern.url_patterns, route)
        else:
            routes.append(route)
    return routes


def concrete(route: str) -> str:
    """`<int:pk>` → 1 (a demo row that exists for most models), other converters → x."""
    return "/" + re.sub(r"<(str|slug):\w+>", "x", re.sub(r"<int:\w+>", "1", route))


@pytest.mark.django_db
def test_no_url_answers_500_whatever_the_role_and_input():
    call_command("load_demo", stdout=StringIO())
    routes = portal_routes()
    assert len(routes) > 40
    failures = []
    for email in PERSONAS:
        client = Client(raise_request_exception=False)
        if email:
            client.force_login(User.objects.get(email=email))
        for route in routes:
            for query in QUERIES:
                url = concrete(route) + query
                for response in (client.get(url), client.post(url, GARBAGE_POST)):
                    if response.status_code >= 500:
                        failures.append((email, url, response.status_code))
    assert failures == []
