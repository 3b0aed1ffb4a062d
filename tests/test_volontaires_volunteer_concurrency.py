"""Many volunteers taking the last places of a mission at the same moment (PostgreSQL only).

Each thread has its own database connection and transaction, as concurrent requests do; the
mission's row lock (`select_for_update` in `proposals.apply`) lets exactly as many through as
there are places left, and the others get the French "dernière place" message.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from tests.factories import AssignmentFactory, MissionFactory, MissionTypeFactory, ProgrammeFactory
from tests.test_volontaires_volunteer import make_volunteer, next_weekday
from volontaires import proposals
from volontaires.models import Assignment, AssignmentStatus, Mission, MissionStatus

LAST_PLACE = "la dernière place de cette mission vient d'être prise"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL row locks (DATABASE_URL)"
    ),
]


def run_together(count: int, work) -> list:
    """Runs `work(index)` in `count` threads released at the same instant."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as error:  # collected, asserted by the test
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.fixture
def crowded_call():
    """A food-bank call with 10 places, 7 already taken, and 12 eligible volunteers."""
    programme = ProgrammeFactory()
    sorting = MissionTypeFactory()
    mission = MissionFactory(
        programme=programme, mission_type=sorting, places=10, date=next_weekday(5)
    )
    for _ in range(7):
        AssignmentFactory(mission=mission, status="acceptee")
    volunteers = [make_volunteer(programme, [sorting]) for _ in range(12)]
    return mission, volunteers


def test_twelve_volunteers_apply_for_the_last_three_places(crowded_call):
    mission, volunteers = crowded_call

    def apply(index: int) -> str:
        try:
            proposals.apply(Mission.objects.get(pk=mission.pk), volunteers[index])
        except ValidationError as error:
            return " ".join(error.messages)
        return "ok"

    results = run_together(len(volunteers), apply)

    assert not [r for r in results if isinstance(r, Exception)], results
    outcome = Counter("ok" if r == "ok" else "refused" for r in results)
    assert outcome == {"ok": 3, "refused": 9}
    assert all(LAST_PLACE in r for r in results if r != "ok")
    committed = Assignment.objects.filter(
        mission=mission, status__in=[AssignmentStatus.ACCEPTED, AssignmentStatus.DONE]
    )
    assert committed.count() == mission.places == 10
    mission.refresh_from_db()
    assert mission.status == MissionStatus.FULL


def test_through_the_views_the_losers_get_the_message(crowded_call):
    """The same race through `POST /volontaires/missions/<pk>/inscription/` (one request
    transaction per thread, ATOMIC_REQUESTS)."""
    mission, volunteers = crowded_call
    volunteers = volunteers[:8]
    clients = []
    for volunteer in volunteers:
        client = Client()
        client.force_login(volunteer.user)
        clients.append(client)
    url = reverse("volontaires:mission_apply", args=[mission.pk])

    def post(index: int) -> list[str]:
        response = clients[index].post(url)
        assert response.status_code == 302
        return [str(message) for message in get_messages(response.wsgi_request)]

    results = run_together(len(clients), post)

    assert not [r for r in results if isinstance(r, Exception)], results
    winners = [r for r in results if any("Merci ! Vous êtes inscrit·e" in m for m in r)]
    losers = [r for r in results if any(LAST_PLACE in m for m in r)]
    assert (len(winners), len(losers)) == (3, 5)
    assert Assignment.objects.filter(mission=mission, status="acceptee").count() == 10
