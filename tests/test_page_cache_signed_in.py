"""Signed-in pages kept per user and session (solidaren/page_cache.signed_in_page): served
again while no table they may show is written, never to someone else, never with a stale
CSRF token, a lost message or a missed access-log row; rights are checked before the copy."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from associations.models import Membership
from solidaren import bench, page_cache, scale_data
from tests.factories import (
    AssignmentFactory,
    ConventionFactory,
    EnrolmentFactory,
    MissionFactory,
    ResidentFactory,
    UserFactory,
    VolunteerProfileFactory,
)
from volontaires.models import Mission, ResidentAccessLog, VolunteerProfile

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def get(client, url, **params) -> tuple[int, str]:
    """The queries of the request (not its savepoints) and the page without its CSRF tokens."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, url
    queries = bench.sql_queries(captured.captured_queries)
    return queries, CSRF_INPUT.sub("", response.content.decode())


@pytest.mark.django_db
def test_each_signed_in_page_of_the_bench_is_served_again_until_its_data_change(page_cache_on):
    scale_data.generate(volunteers=40, missions=80, associations=20)
    users = bench.personas()
    urls = bench.page_urls()
    for key, _label, persona in bench.PAGES:
        if persona is None:
            continue
        client = Client()
        client.force_login(users[persona])
        made, page = get(client, urls[key])
        served, again = get(client, urls[key])
        assert again == page, key
        # The copy costs the session, the user, the rights check (and for a resident's
        # request the access log's row), not the page's work.
        assert served <= (5 if key == "candidates" else 4) < made, (key, served, made)

        Mission.objects.filter(pk=Mission.objects.order_by("pk").first().pk).update(
            title="Changé par une autre personne"
        )
        remade, _page = get(client, urls[key])
        assert remade > served, key  # made again


def test_a_change_made_by_someone_else_shows_at_the_next_request(client, page_cache_on, agent):
    mission = MissionFactory(title="Courses pour Mme Lebreton")
    client.force_login(agent)
    url = reverse("volontaires:staff_missions")
    assert "Courses pour Mme Lebreton" in get(client, url)[1]

    # A bulk update sends no signal: the statement itself renews the copies.
    Mission.objects.filter(pk=mission.pk).update(title="Pharmacie pour Mme Lebreton")

    page = get(client, url)[1]
    assert "Pharmacie pour Mme Lebreton" in page and "Courses pour" not in page


def test_a_copy_is_never_served_to_another_person(page_cache_on, db):
    first, second = (
        VolunteerProfileFactory(user=UserFactory(first_name=name, last_name="Volontaire"))
        for name in ("Awa", "Bastien")
    )
    pages = {}
    for profile in (first, second):
        client = Client()
        client.force_login(profile.user)
        pages[profile.user.first_name] = get(client, reverse("volontaires:my_space"))[1]

    assert "Awa" in pages["Awa"] and "Bastien" not in pages["Awa"]
    assert "Bastien" in pages["Bastien"] and "Awa" not in pages["Bastien"]


def test_the_same_person_in_another_session_gets_a_copy_of_their_own(page_cache_on, volunteer):
    url = reverse("volontaires:my_space")
    phone, laptop = Client(), Client()
    for client in (phone, laptop):
        client.force_login(volunteer)

    made, _page = get(phone, url)
    assert get(phone, url)[0] < made
    assert get(laptop, url)[0] == made


def test_the_csrf_token_is_masked_anew_and_accepted_on_each_copy(page_cache_on, volunteer):
    profile = VolunteerProfile.objects.get(user=volunteer)
    mission = MissionFactory(programme=EnrolmentFactory(volunteer=profile).programme)
    assignment = AssignmentFactory(mission=mission, volunteer=profile)
    client = Client(enforce_csrf_checks=True)
    client.force_login(volunteer)
    url = reverse("volontaires:my_space")

    tokens = [CSRF_INPUT.search(client.get(url).content.decode())[1] for _ in range(2)]

    assert tokens[0] != tokens[1]
    assert page_cache._csrf_placeholder() not in client.get(url).content.decode()
    response = client.post(
        reverse("volontaires:proposal_decline", args=[assignment.pk]),
        {"csrfmiddlewaretoken": tokens[1], "reason": "Pas disponible ce jour-là."},
    )
    assert response.status_code == 302


def test_a_message_is_shown_once_and_never_kept_in_a_copy(page_cache_on, volunteer):
    profile = VolunteerProfile.objects.get(user=volunteer)
    mission = MissionFactory(programme=EnrolmentFactory(volunteer=profile).programme)
    assignment = AssignmentFactory(mission=mission, volunteer=profile)
    client = Client()
    client.force_login(volunteer)
    url = reverse("volontaires:my_space")
    get(client, url)

    client.post(
        reverse("volontaires:proposal_decline", args=[assignment.pk]),
        {"reason": "Pas disponible ce jour-là."},
    )
    with_message = client.get(url).content.decode()
    after = client.get(url).content.decode()

    message = re.compile(r'<p class="message message-\w+">(.*?)</p>', re.S)
    assert message.search(with_message) and not message.search(after)


def test_each_view_of_a_residents_request_is_logged_even_from_a_copy(page_cache_on, agent):
    mission = MissionFactory(resident=ResidentFactory())
    client = Client()
    client.force_login(agent)
    url = reverse("volontaires:staff_mission", args=[mission.pk])

    made, _page = get(client, url)
    served, _page = get(client, url)

    assert served < made
    assert ResidentAccessLog.objects.filter(resident=mission.resident, user=agent).count() == 2


def test_rights_are_checked_before_the_copy(page_cache_on, coordinator_a, association_a):
    convention = ConventionFactory(association=association_a)
    client = Client()
    client.force_login(coordinator_a)
    url = reverse("conventions:detail", args=[convention.pk])
    assert client.get(url).status_code == 200

    Membership.objects.filter(user=coordinator_a).delete()

    assert client.get(url).status_code in (403, 404)


def test_a_copy_lasts_within_the_minute_it_was_made(page_cache_on, volunteer):
    client = Client()
    client.force_login(volunteer)
    url = reverse("volontaires:my_space")
    made, _page = get(client, url)
    assert get(client, url)[0] < made

    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=1)):
        assert get(client, url)[0] == made


def test_without_the_shared_cache_each_request_makes_the_page(client, settings, volunteer):
    settings.PAGE_CACHE_SECONDS = 0
    client.force_login(volunteer)
    url = reverse("volontaires:my_space")
    made, _page = get(client, url)

    assert get(client, url)[0] == made


def test_while_redis_does_not_answer_each_request_makes_the_page(
    page_cache_on, volunteer, monkeypatch
):
    """With the shared cache down, copies in one process's memory could outlive a change made
    by another: none is kept, and the page shows the change."""
    from tests.test_resilience_cache import fail_open_cache

    down = fail_open_cache("redis://127.0.0.1:1/1")
    down.get("anything")  # Redis refuses: the cache falls back to local memory
    monkeypatch.setattr(page_cache, "cache", down)
    client = Client()
    client.force_login(volunteer)
    url = reverse("volontaires:my_space")
    made, _page = get(client, url)

    assert get(client, url)[0] == made
    # Changed in another process: this one's memory never hears of it.
    UserFactory._meta.model.objects.filter(pk=volunteer.pk).update(first_name="Maëlys")
    assert "Maëlys" in get(client, url)[1]
