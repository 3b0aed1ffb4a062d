"""The beat tasks of Volontaires Solidaires and the rules they keep: unanswered proposals
expire after 48 h and the next candidate is asked; one reminder the day before; the monthly
solicitation limit (default 2) holds for `propose_best` and `propose_batch`; missions at a
resident's home go to verified volunteers only."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    AssignmentFactory,
    MissionTypeFactory,
    ProgrammeFactory,
    QuartierFactory,
    ResidentFactory,
)
from tests.test_volontaires_staff import days_ahead, open_mission, ready_volunteer
from volontaires import candidates, proposals, tasks
from volontaires.models import Assignment, AssignmentSource, AssignmentStatus


@pytest.fixture
def programme(db):
    return ProgrammeFactory(start_date=timezone.localdate() - datetime.timedelta(days=100))


@pytest.fixture
def groceries(db):
    return MissionTypeFactory(name="Portage de courses")


@pytest.fixture
def centre(db):
    return QuartierFactory(name="Centre")


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


def hours_ago(hours: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(hours=hours)


def solicit(volunteer, programme, mission_type, times: int) -> None:
    """`times` staff proposals this month, declined (they count, but take no place)."""
    for number in range(times):
        AssignmentFactory(
            mission=open_mission(programme, mission_type, days=20 + number),
            volunteer=volunteer,
            status=AssignmentStatus.DECLINED,
            source=AssignmentSource.STAFF,
            proposed_at=timezone.now(),
        )


# --- expiry ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unanswered_proposal_expires_after_48_hours_and_the_next_candidate_is_asked(
    programme, groceries, centre, django_capture_on_commit_callbacks
):
    mission = open_mission(programme, groceries, quartier=centre)
    first = ready_volunteer(programme, groceries, quartier=centre)
    second = ready_volunteer(programme, groceries)
    [proposal] = proposals.propose_best(mission)
    assert proposal.volunteer == first

    Assignment.objects.filter(pk=proposal.pk).update(proposed_at=hours_ago(47))
    assert tasks.expire_proposals.delay().get() == 0
    proposal.refresh_from_db()
    assert proposal.status == AssignmentStatus.PROPOSED

    Assignment.objects.filter(pk=proposal.pk).update(proposed_at=hours_ago(48.1))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.expire_proposals.delay().get() == 1

    proposal.refresh_from_db()
    following = Assignment.objects.get(mission=mission, volunteer=second)
    assert proposal.status == AssignmentStatus.EXPIRED
    assert following.status == AssignmentStatus.PROPOSED
    assert [message.to for message in mail.outbox] == [[second.user.email]]
    # The expired volunteer cannot accept any more, with a clear message.
    with pytest.raises(ValidationError, match="n'attend plus de réponse"):
        proposals.accept(proposal, user=first.user)
    # Nobody left to ask: a second expiry expires without proposing again.
    Assignment.objects.filter(pk=following.pk).update(proposed_at=hours_ago(49))
    assert tasks.expire_proposals.delay().get() == 1
    assert mission.assignments.count() == 2


@pytest.mark.django_db
def test_an_answered_proposal_never_expires(programme, groceries):
    mission = open_mission(programme, groceries)
    volunteer = ready_volunteer(programme, groceries)
    proposal = proposals.propose(mission, volunteer)
    proposals.accept(proposal, user=volunteer.user)
    Assignment.objects.filter(pk=proposal.pk).update(proposed_at=hours_ago(100))

    assert tasks.expire_proposals.delay().get() == 0
    proposal.refresh_from_db()
    assert proposal.status == AssignmentStatus.ACCEPTED


# --- reminders ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_one_reminder_per_accepted_mission_the_day_before(programme, groceries):
    volunteer = ready_volunteer(programme, groceries)
    other = ready_volunteer(programme, groceries)
    tomorrow = open_mission(programme, groceries, days=1, title="Courses de demain", places=3)
    later = open_mission(programme, groceries, days=2, title="Courses d'après-demain")
    accepted = AssignmentFactory(mission=tomorrow, volunteer=volunteer, status="acceptee")
    AssignmentFactory(mission=tomorrow, volunteer=other, status="proposee")
    AssignmentFactory(mission=later, volunteer=other, status="acceptee")

    assert tasks.send_mission_reminders.delay().get() == 1
    assert tasks.send_mission_reminders.delay().get() == 0

    [reminder] = mail.outbox
    assert reminder.to == [volunteer.user.email]
    assert "Courses de demain" in reminder.subject
    accepted.refresh_from_db()
    assert accepted.reminded_on == timezone.localdate()


# --- the monthly solicitation limit -------------------------------------------------------


@pytest.mark.django_db
def test_propose_best_skips_a_volunteer_solicited_twice_this_month(
    programme, groceries, centre, settings
):
    assert settings.VOLUNTEER_MAX_SOLICITATIONS_PER_MONTH == 2
    best = ready_volunteer(programme, groceries, quartier=centre)
    runner_up = ready_volunteer(programme, groceries)
    solicit(best, programme, groceries, times=2)
    mission = open_mission(programme, groceries, quartier=centre)
    assert candidates.rank_candidates(mission)[0].volunteer_id == best.pk

    [proposal] = proposals.propose_best(mission)

    assert proposal.volunteer == runner_up
    with pytest.raises(ValidationError, match="sollicité·e 2 fois ce mois-ci"):
        proposals.propose(open_mission(programme, groceries, days=9), best)


@pytest.mark.django_db
def test_the_limit_is_configurable_for_everyone_and_per_volunteer(
    programme, groceries, centre, settings
):
    best = ready_volunteer(programme, groceries, quartier=centre)
    ready_volunteer(programme, groceries)
    solicit(best, programme, groceries, times=2)

    settings.VOLUNTEER_MAX_SOLICITATIONS_PER_MONTH = 3
    [proposal] = proposals.propose_best(open_mission(programme, groceries, quartier=centre))
    assert proposal.volunteer == best

    best.max_solicitations_per_month = 3
    best.save()
    [proposal] = proposals.propose_best(open_mission(programme, groceries, quartier=centre, days=8))
    assert proposal.volunteer != best


@pytest.mark.django_db
def test_propose_batch_never_exceeds_the_limit_and_gives_the_places_to_others(
    programme, groceries, centre
):
    """GIVEN the best volunteer for three missions, already solicited once this month
    WHEN all open missions are assigned at once
    THEN they get one proposal at most, and the other places go to the next candidates."""
    best = ready_volunteer(programme, groceries, quartier=centre)
    solicit(best, programme, groceries, times=1)
    others = [ready_volunteer(programme, groceries) for _ in range(2)]
    missions = [
        open_mission(programme, groceries, quartier=centre, days=days) for days in (3, 4, 5)
    ]

    made = proposals.propose_batch(missions).proposals

    assert len(made) == 3
    assert {proposal.mission_id for proposal in made} == {mission.pk for mission in missions}
    assert sum(proposal.volunteer == best for proposal in made) == 1
    assert all(proposal.source == AssignmentSource.BATCH for proposal in made)
    for volunteer in [best, *others]:
        assert (
            proposals.solicitations_this_month(volunteer, timezone.localdate())
            <= volunteer.solicitations_limit
        )


@pytest.mark.django_db
def test_propose_batch_leaves_out_volunteers_at_their_limit(programme, groceries, centre):
    best = ready_volunteer(programme, groceries, quartier=centre)
    solicit(best, programme, groceries, times=2)
    other = ready_volunteer(programme, groceries)
    mission = open_mission(programme, groceries, quartier=centre, days=3)

    [proposal] = proposals.propose_batch([mission]).proposals

    assert proposal.volunteer == other


# --- missions at a resident's home --------------------------------------------------------


@pytest.mark.django_db
def test_home_missions_need_a_volunteer_verified_by_an_agent(
    agent_client, agent, programme, centre
):
    at_home = MissionTypeFactory(name="Lecture à domicile", at_residents_home=True)
    resident = ResidentFactory(programme=programme, quartier=centre)
    mission = open_mission(programme, at_home, resident=resident, quartier=centre)
    volunteer = ready_volunteer(programme, at_home, quartier=centre)

    assert candidates.rank_candidates(mission) == []
    assert proposals.propose_best(mission) == []
    assert proposals.propose_batch([mission]).proposals == []
    with pytest.raises(ValidationError, match="pas encore vérifié·e"):
        proposals.propose(mission, volunteer)
    page = agent_client.get(reverse("volontaires:staff_mission", args=[mission.pk]))
    assert "Aucun·e volontaire ne remplit toutes les conditions" in page.content.decode()

    agent_client.post(reverse("volontaires:staff_volunteer_verify", args=[volunteer.pk]))

    [proposal] = proposals.propose_batch([mission]).proposals
    assert proposal.volunteer == volunteer


@pytest.mark.django_db
def test_a_reminder_goes_only_the_day_before(programme, groceries):
    volunteer = ready_volunteer(programme, groceries)
    today = open_mission(programme, groceries, days=0)
    AssignmentFactory(mission=today, volunteer=volunteer, status="acceptee")

    assert tasks.send_mission_reminders.delay().get() == 0
    assert days_ahead(0) == timezone.localdate()
