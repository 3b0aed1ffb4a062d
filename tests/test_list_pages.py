"""The long mission lists: chosen on the ids through their ordering index, then read in one
query (solidaren/pagination.py); the same rows in the same order as paging the full query."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from solidaren.pagination import page_by_ids
from tests.factories import (
    AssignmentFactory,
    MissionFactory,
    MissionTypeFactory,
    ProgrammeFactory,
    ResidentFactory,
    UserFactory,
    VolunteerProfileFactory,
)
from volontaires import casework
from volontaires.models import Mission, MissionStatus, Urgency
from volontaires.self_service import open_calls


def days_ahead(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


@pytest.fixture
def programme(db):
    return ProgrammeFactory(start_date=timezone.localdate() - datetime.timedelta(days=30))


@pytest.fixture
def missions(programme):
    """25 open calls and requests over a few days, with ties on the date and hour, two urgent
    and two weekly, plus some that are not open."""
    kind = MissionTypeFactory()
    made = []
    for number in range(25):
        resident = ResidentFactory(programme=programme) if number % 3 == 0 else None
        made.append(
            MissionFactory(
                programme=programme,
                mission_type=kind,
                resident=resident,
                date=None if number in (4, 17) else days_ahead(1 + number % 4),
                recurrence_weekday=2 if number in (4, 17) else None,
                start_time=datetime.time(9 + number % 2),
                end_time=datetime.time(12),
                urgency=Urgency.URGENT if number in (7, 20) else Urgency.NORMAL,
                status=MissionStatus.DONE if number in (5, 11) else MissionStatus.OPEN,
            )
        )
    return made


def pages(page_of, queryset, per_page: int) -> list[list[int]]:
    first = page_of(queryset, per_page, 1)
    return [
        [mission.pk for mission in page_of(queryset, per_page, number).object_list]
        for number in first.paginator.page_range
    ]


def plain_page(queryset, per_page, number):
    from django.core.paginator import Paginator

    return Paginator(queryset, per_page).get_page(number)


@pytest.mark.parametrize("per_page", [4, 7, 30])
def test_paging_by_ids_gives_the_rows_of_paging_the_whole_query(missions, per_page):
    staff_list = casework.staff_missions()

    by_ids = pages(page_by_ids, staff_list, per_page)

    assert by_ids == pages(plain_page, staff_list, per_page)
    assert sorted(pk for page in by_ids for pk in page) == sorted(m.pk for m in missions)


def test_a_page_keeps_the_annotations_and_the_count(missions):
    page = page_by_ids(casework.staff_missions(), 10, 3)

    assert page.paginator.count == 25 and page.number == 3
    assert [hasattr(mission, "held") for mission in page.object_list] == [True] * 5


def test_the_agents_list_puts_the_urgent_first_then_by_date_weekly_last(missions):
    listed = list(casework.staff_missions())

    assert [m.urgency for m in listed[:2]] == [Urgency.URGENT] * 2
    normal = listed[2:]
    dated = [m for m in normal if m.date is not None]
    assert normal[: len(dated)] == dated  # the weekly ones (no date) come last
    assert [(m.date, m.start_time, m.pk) for m in dated] == sorted(
        (m.date, m.start_time, m.pk) for m in dated
    )


def test_the_agents_list_page_by_page(client, agent, missions, monkeypatch):
    monkeypatch.setattr("volontaires.views.staff.MISSIONS_PER_PAGE", 12)
    client.force_login(agent)
    seen = []
    for number in (1, 2):
        response = client.get(reverse("volontaires:staff_missions"), {"page": number})
        assert response.status_code == 200
        seen += [mission.pk for mission in response.context["page"]]

    open_ones = Mission.objects.filter(status=MissionStatus.OPEN)
    assert seen == [m.pk for m in casework.staff_missions(open_ones)]


def test_every_open_call_listed_is_one_the_user_may_see(missions, programme):
    volunteer = VolunteerProfileFactory().user
    AssignmentFactory(mission=missions[0], volunteer=volunteer.volunteer_profile)  # a request
    calls = open_calls(volunteer, today=timezone.localdate())

    visible = set(Mission.objects.visible_to(volunteer).values_list("pk", flat=True))
    assert calls.exists()
    assert set(calls.values_list("pk", flat=True)) <= visible
    assert not calls.filter(resident__isnull=False).exists()
    inactive = UserFactory(is_active=False)
    assert not open_calls(inactive, today=timezone.localdate()).exists()
