"""Volontaires models: who sees residents and missions, and the rules the database enforces."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction

from tests.factories import (
    AssignmentFactory,
    AvailabilitySlotFactory,
    EnrolmentFactory,
    MissionFactory,
    ProgrammeFactory,
    QuartierFactory,
    ResidentFactory,
    VolunteerProfileFactory,
)
from volontaires.models import Assignment, Mission, Resident


@pytest.fixture
def resident(db):
    return ResidentFactory()


@pytest.fixture
def their_mission(resident, volunteer):
    """A mission for `resident` that `volunteer` accepted."""
    mission = MissionFactory(programme=resident.programme, resident=resident)
    AssignmentFactory(mission=mission, volunteer=volunteer.volunteer_profile, status="acceptee")
    return mission


def test_only_agents_see_residents(resident, their_mission, agent, volunteer, coordinator_a):
    ResidentFactory(programme=resident.programme)

    assert Resident.objects.visible_to(agent).count() == 2
    # Not even the resident of a mission they accepted: that goes through the mission.
    assert not Resident.objects.visible_to(volunteer).exists()
    assert not Resident.objects.visible_to(coordinator_a).exists()
    assert not Resident.objects.visible_to(AnonymousUser()).exists()
    assert not Resident.objects.editable_by(volunteer).exists()


def test_volunteers_see_their_missions_and_open_calls_only(
    their_mission, volunteer, agent, association_a, coordinator_a, coordinator_b
):
    other_resident = ResidentFactory(programme=their_mission.programme)
    someone_elses = MissionFactory(programme=their_mission.programme, resident=other_resident)
    open_call = MissionFactory(programme=their_mission.programme, association=association_a)
    closed_call = MissionFactory(programme=their_mission.programme, status="complete")

    visible = set(Mission.objects.visible_to(volunteer))

    assert visible == {their_mission, open_call}
    assert someone_elses not in visible and closed_call not in visible
    assert set(Mission.objects.visible_to(coordinator_a)) == {open_call}
    assert set(Mission.objects.editable_by(coordinator_a)) == {open_call}
    assert not Mission.objects.editable_by(coordinator_b).exists()
    assert not Mission.objects.editable_by(volunteer).exists()
    assert Mission.objects.visible_to(agent).count() == 4
    assert not Mission.objects.visible_to(AnonymousUser()).exists()


def test_volunteers_see_only_their_own_proposals(their_mission, volunteer, agent):
    AssignmentFactory(mission=their_mission)

    assert {a.volunteer.user for a in Assignment.objects.visible_to(volunteer)} == {volunteer}
    assert Assignment.objects.visible_to(agent).count() == 2


@pytest.mark.django_db
def test_quartier_neighbours_are_symmetrical():
    centre, thabor = QuartierFactory(), QuartierFactory()
    centre.neighbours.add(thabor)

    assert list(thabor.neighbours.all()) == [centre]


@pytest.mark.django_db
def test_a_volunteer_joins_a_programme_once_but_may_join_several():
    first, second = ProgrammeFactory(), ProgrammeFactory()
    enrolment = EnrolmentFactory(programme=first)
    EnrolmentFactory(volunteer=enrolment.volunteer, programme=second)

    assert set(enrolment.volunteer.programmes.all()) == {first, second}
    with pytest.raises(IntegrityError), transaction.atomic():
        EnrolmentFactory(volunteer=enrolment.volunteer, programme=first)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("factory", "values"),
    [
        pytest.param(MissionFactory, {"date": None, "recurrence_weekday": None}, id="no-date"),
        pytest.param(
            MissionFactory, {"end_time": datetime.time(9)}, id="mission-ends-before-start"
        ),
        pytest.param(
            AvailabilitySlotFactory, {"end_time": datetime.time(8)}, id="slot-ends-before-start"
        ),
        pytest.param(AssignmentFactory, {"status": "realisee"}, id="done-without-a-date"),
        pytest.param(EnrolmentFactory, {"status": "desiste"}, id="withdrawn-without-a-date"),
    ],
)
def test_the_database_refuses_inconsistent_rows(factory, values):
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**values)


@pytest.mark.django_db
def test_a_weekly_mission_has_a_weekday_and_uses_the_current_month():
    weekly = MissionFactory(date=None, recurrence_weekday=3)

    assert weekly.weekday == 3
    assert weekly.month(datetime.date(2026, 5, 20)) == (2026, 5)
    assert MissionFactory().month(datetime.date(2026, 5, 20)) == (2026, 3)


@pytest.mark.django_db
def test_solicitation_limit_defaults_to_the_setting(settings):
    settings.VOLUNTEER_MAX_SOLICITATIONS_PER_MONTH = 2
    profile = VolunteerProfileFactory()

    assert profile.solicitations_limit == 2
    profile.max_solicitations_per_month = 5
    assert profile.solicitations_limit == 5


@pytest.mark.django_db
def test_pause_resume_and_withdrawal_keep_their_history(agent):
    from volontaires.enrolments import change_enrolment_status, enrol

    volunteer, programme = VolunteerProfileFactory(), ProgrammeFactory()
    day = datetime.datetime(2026, 3, 2, 9, tzinfo=datetime.UTC)
    enrolment = enrol(volunteer=volunteer, programme=programme, at=day)
    assert enrol(volunteer=volunteer, programme=programme) == enrolment

    change_enrolment_status(enrolment, "pause", at=day + datetime.timedelta(days=10))
    change_enrolment_status(enrolment, "pause")
    change_enrolment_status(enrolment, "actif", at=day + datetime.timedelta(days=20))
    enrolment = change_enrolment_status(
        enrolment, "desiste", at=day + datetime.timedelta(days=30), by=agent, note="Déménagement"
    )

    assert (enrolment.status, enrolment.withdrawal_reason) == ("desiste", "Déménagement")
    assert enrolment.withdrawn_at == day + datetime.timedelta(days=30)
    assert list(enrolment.changes.values_list("status", flat=True)) == [
        "actif",
        "pause",
        "actif",
        "desiste",
    ]
    assert enrolment.changes.last().changed_by == agent
