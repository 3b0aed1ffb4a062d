"""The candidate loader (volontaires/candidates.py) against the rules on every volunteer.

The former path built snapshots of every volunteer of the programme and let the pure rules
(`matching.rank`, `matching.solve_batch`) sort them out; the loader asks the database for the
plausible ones only, nearest quartiers first. On a varied world (quartiers and neighbours,
communes, types, slots, paused and withdrawn volunteers, languages, verification, monthly
load, accepted missions at the same time, continuity with a resident), both give the same
rankings, the same top-k for every k, and batch plans of the same total score.
"""

import datetime
import random

import pytest
from django.utils import timezone

from tests.factories import (
    AssignmentFactory,
    AvailabilitySlotFactory,
    EnrolmentFactory,
    LanguageFactory,
    MissionFactory,
    MissionTypeFactory,
    ProgrammeFactory,
    QuartierFactory,
    ResidentFactory,
    VolunteerProfileFactory,
)
from volontaires import candidates, matching
from volontaires.models import EnrolmentStatus, Mission, VolunteerProfile

TODAY = datetime.date(2026, 3, 1)
MONDAY = datetime.date(2026, 3, 2)


@pytest.fixture
def world(db):
    """60 volunteers drawn with a fixed seed, and six missions unlike each other."""
    draw = random.Random(12)  # noqa: S311 - a reproducible test world, no secret
    programme = ProgrammeFactory(slug="programme-candidats")
    other_programme = ProgrammeFactory(slug="autre-programme")
    groceries = MissionTypeFactory(name="Portage de courses", at_residents_home=True)
    calls = MissionTypeFactory(name="Appels de convivialité", at_residents_home=False)
    centre, north, south = (QuartierFactory() for _ in range(3))
    centre.neighbours.add(north)
    french, arabic = LanguageFactory(code="fr"), LanguageFactory(code="ar", name="arabe")
    resident = ResidentFactory(programme=programme, quartier=centre, language=arabic)
    windows = [(9, 12), (9, 17), (9, 17), (10, 11), (14, 16)]
    for _number in range(60):
        volunteer = VolunteerProfileFactory(
            quartier=draw.choice([centre, north, south, None]),
            commune=draw.choice(["Rennes", "Rennes", "Cesson-Sévigné"]),
            is_verified=draw.random() < 0.7,
            max_missions_per_month=draw.choice([1, 2, 4]),
        )
        volunteer.mission_types.add(*draw.sample([groceries, calls], draw.choice([1, 2])))
        volunteer.languages.add(*draw.sample([french, arabic], draw.choice([0, 1, 2])))
        for weekday in draw.sample([0, 1, 2], draw.choice([0, 1, 2, 3])):
            start, end = draw.choice(windows)
            AvailabilitySlotFactory(
                volunteer=volunteer,
                weekday=weekday,
                start_time=datetime.time(start),
                end_time=datetime.time(end),
            )
        status = draw.choice([EnrolmentStatus.ACTIVE] * 4 + [EnrolmentStatus.PAUSED, "desiste"])
        EnrolmentFactory(
            volunteer=volunteer,
            programme=draw.choice([programme, programme, other_programme]),
            status=status,
            withdrawn_at=datetime.datetime(2026, 1, 5, tzinfo=datetime.UTC)
            if status == "desiste"
            else None,
        )
        if draw.random() < 0.3:  # an accepted or done mission this month (load, clashes)
            done = draw.random() < 0.5
            AssignmentFactory(
                volunteer=volunteer,
                status="realisee" if done else "acceptee",
                done_on=datetime.date(2026, 2, 23) if done else None,
                mission=MissionFactory(
                    programme=programme,
                    mission_type=groceries,
                    resident=resident if draw.random() < 0.5 else None,
                    date=draw.choice([MONDAY, datetime.date(2026, 2, 23)]),
                    start_time=datetime.time(10, 30),
                    end_time=datetime.time(11, 30),
                ),
            )
    missions = [
        MissionFactory(programme=programme, mission_type=calls, quartier=centre),
        MissionFactory(
            programme=programme, mission_type=groceries, quartier=centre, resident=resident
        ),
        MissionFactory(
            programme=programme,
            mission_type=calls,
            quartier=north,
            required_language=arabic,
            places=2,
        ),
        MissionFactory(
            programme=programme,
            mission_type=calls,
            quartier=None,
            date=None,
            recurrence_weekday=1,
            start_time=datetime.time(14),
            end_time=datetime.time(15),
        ),
        MissionFactory(
            programme=programme,
            mission_type=groceries,
            quartier=south,
            date=datetime.date(2026, 3, 4),
            start_time=datetime.time(9),
            end_time=datetime.time(12),
            places=3,
        ),
        MissionFactory(
            programme=programme, mission_type=calls, quartier=south, commune="Cesson-Sévigné"
        ),
    ]
    return missions


def rules_on_everyone(mission: Mission) -> list[matching.Candidate]:
    """The former path: snapshots of every volunteer, the pure rules decide."""
    [data] = candidates.mission_snapshots([mission], today=TODAY)
    return matching.rank(
        data, candidates.volunteer_snapshots(VolunteerProfile.objects.all()), today=TODAY
    )


@pytest.mark.django_db
def test_the_loader_ranks_exactly_as_the_rules_on_every_volunteer(world):
    compared = 0
    for mission in world:
        everyone = rules_on_everyone(mission)
        assert candidates.rank_candidates(mission, today=TODAY) == everyone
        for limit in (1, 2, 3, 5, 8):
            assert (
                candidates.rank_candidates(mission, today=TODAY, limit=limit) == (everyone[:limit])
            )
        compared += len(everyone)
    assert compared >= 10  # the world gives each mission real candidates to compare


@pytest.mark.django_db
def test_the_loader_reads_only_plausible_volunteers(world):
    mission = world[0]
    [data] = candidates.mission_snapshots([mission], today=TODAY)
    plausible = set(candidates.plausible_volunteers(data).values_list("pk", flat=True))
    eligible = {candidate.volunteer_id for candidate in rules_on_everyone(mission)}

    assert eligible <= plausible
    assert len(plausible) < VolunteerProfile.objects.count() / 2


@pytest.mark.django_db
def test_the_sql_bound_is_never_below_a_plausible_volunteers_score(world):
    """Ranking stops reading once the top beats every bound left: a bound below a real
    score would drop a better volunteer. It is also reached, so that it can stop early."""
    gaps = []
    for mission in world:
        [data] = candidates.mission_snapshots([mission], today=TODAY)
        helped = candidates._helped_volunteer_ids(data)
        bounds = dict(
            candidates._rows_by_bound(data, candidates.plausible_volunteers(data), helped, TODAY)
        )
        snapshots = candidates.volunteer_snapshots(VolunteerProfile.objects.filter(pk__in=bounds))
        for volunteer in snapshots:
            if not matching.broken_rules(data, volunteer):
                gaps.append(bounds[volunteer.id] - matching.score(data, volunteer, today=TODAY))
    assert len(gaps) >= 10
    assert min(gaps) == 0
    assert all(gap >= 0 for gap in gaps)


@pytest.mark.django_db
def test_batch_from_the_loader_scores_as_the_batch_on_every_volunteer(world):
    missions = Mission.objects.filter(pk__in=[mission.pk for mission in world])
    mission_data = candidates.mission_snapshots(missions, today=TODAY)
    everyone = candidates.volunteer_snapshots(VolunteerProfile.objects.all())
    loaded = candidates.volunteer_snapshots(candidates.batch_volunteers(mission_data, today=TODAY))

    former = matching.solve_batch(mission_data, everyone, today=TODAY)
    new = matching.solve_batch(mission_data, loaded, today=TODAY)

    assert len(loaded) < len(everyone)
    assert matching.total_score(new, mission_data, everyone, today=TODAY) == (
        matching.total_score(former, mission_data, everyone, today=TODAY)
    )
    assert sum(map(len, new.values())) >= 3


@pytest.mark.django_db
def test_excluded_volunteers_come_with_their_reasons(world):
    mission = world[1]  # at a resident's home: verification, type, slot, status...

    excluded, total = candidates.excluded_volunteers(mission, today=TODAY, limit=5)

    enrolled = VolunteerProfile.objects.filter(enrolments__programme=mission.programme)
    eligible = {candidate.volunteer_id for candidate in rules_on_everyone(mission)}
    # Those the database rules out; the few it lets through that the rules then refuse
    # (e.g. a clash with an accepted mission) are not counted.
    assert enrolled.exclude(pk__in=eligible).count() - 3 <= total
    assert total <= enrolled.exclude(pk__in=eligible).count()
    assert len(excluded) == min(5, total)
    assert all(volunteer.reasons for volunteer in excluded)
    assert not eligible & {volunteer.volunteer_id for volunteer in excluded}


@pytest.mark.django_db
def test_the_crafted_greedy_case_through_the_loader_and_the_proposals(
    django_capture_on_commit_callbacks,
):
    """GIVEN the crafted case of test_volontaires_matching in the database: weekly missions A
    (Monday, Centre) and B (Tuesday, elsewhere in Rennes), one place each; X lives in the
    Centre, free both days, one mission a month; Y lives next door, Mondays only
    WHEN the batch proposes them through the loader
    THEN A goes to Y and B to X (the optimum), where greedy gives A to X and leaves B empty."""
    from volontaires import proposals

    programme = ProgrammeFactory(slug="programme-cas")
    calls = MissionTypeFactory(name="Appels", at_residents_home=False)
    centre, north, south = (QuartierFactory() for _ in range(3))
    centre.neighbours.add(north)

    def volunteer(quartier, weekdays, **fields):
        profile = VolunteerProfileFactory(quartier=quartier, **fields)
        profile.mission_types.add(calls)
        for weekday in weekdays:
            AvailabilitySlotFactory(volunteer=profile, weekday=weekday)
        EnrolmentFactory(volunteer=profile, programme=programme)
        return profile

    x = volunteer(centre, [0, 1], max_missions_per_month=1)
    y = volunteer(north, [0])

    def weekly(weekday, quartier):
        return MissionFactory(
            programme=programme,
            mission_type=calls,
            quartier=quartier,
            date=None,
            recurrence_weekday=weekday,
        )

    mission_a, mission_b = weekly(0, centre), weekly(1, south)
    today = timezone.localdate()

    greedy = candidates.assign_greedy(
        [mission_a, mission_b], VolunteerProfile.objects.all(), today=today
    )
    with django_capture_on_commit_callbacks(execute=False):
        outcome = proposals.propose_batch([mission_a, mission_b])

    assert greedy == {mission_a.pk: [x.pk], mission_b.pk: []}
    assert {(p.mission_id, p.volunteer_id) for p in outcome.proposals} == {
        (mission_a.pk, y.pk),
        (mission_b.pk, x.pk),
    }
    assert outcome.empty_places == 0


@pytest.mark.django_db
def test_a_snapshot_holds_every_type_language_slot_and_enrolment_of_the_volunteer():
    """Types, languages, slots and enrolments come joined as text in the profile's row:
    each value read back whole, slots in weekday and time order, nothing of another
    volunteer's, and empty sets for a volunteer with none."""
    programme, other_programme = ProgrammeFactory(), ProgrammeFactory()
    groceries, calls = MissionTypeFactory(), MissionTypeFactory()
    french, arabic = LanguageFactory(code="fr"), LanguageFactory(code="ar", name="arabe")
    volunteer = VolunteerProfileFactory()
    volunteer.mission_types.add(groceries, calls)
    volunteer.languages.add(french, arabic)
    for weekday, start, end in [
        (3, (14, 30), (16, 0)),
        (0, (9, 0), (12, 0)),
        (3, (9, 15), (11, 0)),
    ]:
        AvailabilitySlotFactory(
            volunteer=volunteer,
            weekday=weekday,
            start_time=datetime.time(*start),
            end_time=datetime.time(*end),
        )
    EnrolmentFactory(volunteer=volunteer, programme=programme, status=EnrolmentStatus.ACTIVE)
    EnrolmentFactory(volunteer=volunteer, programme=other_programme, status=EnrolmentStatus.PAUSED)
    bare = VolunteerProfileFactory()  # no type, language, slot nor enrolment

    snapshots = {
        data.id: data
        for data in candidates.volunteer_snapshots(
            VolunteerProfile.objects.filter(pk__in=[volunteer.pk, bare.pk])
        )
    }

    data = snapshots[volunteer.pk]
    assert data.mission_type_ids == {groceries.pk, calls.pk}
    assert data.languages == {"fr", "ar"}
    assert data.slots == (
        matching.Slot(0, datetime.time(9), datetime.time(12)),
        matching.Slot(3, datetime.time(9, 15), datetime.time(11)),
        matching.Slot(3, datetime.time(14, 30), datetime.time(16)),
    )
    assert data.programme_status == {
        programme.pk: EnrolmentStatus.ACTIVE,
        other_programme.pk: EnrolmentStatus.PAUSED,
    }
    empty = snapshots[bare.pk]
    assert (empty.mission_type_ids, empty.languages, empty.slots) == (frozenset(), frozenset(), ())
    assert empty.programme_status == {}
