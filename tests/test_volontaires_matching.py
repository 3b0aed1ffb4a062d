"""Matching volunteers with missions: hard constraints, explained scores, batch vs greedy.

Most tests build plain `MissionData` / `VolunteerData` (no database); the last ones check
that the ORM snapshots feed the same rules with a constant number of queries.
"""

import dataclasses
import datetime
from itertools import combinations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
from volontaires.candidates import assign_batch, assign_greedy, eligibility, rank_candidates
from volontaires.matching import (
    MissionData,
    Occurrence,
    Slot,
    VolunteerData,
    ineligibility_reasons,
    rank,
    score,
    score_parts,
    solve_batch,
    solve_greedy,
    total_score,
)

TODAY = datetime.date(2026, 3, 1)
MONDAY = datetime.date(2026, 3, 2)
TUESDAY = datetime.date(2026, 3, 3)
MARCH = (2026, 3)


def at(hour: int, minute: int = 0) -> datetime.time:
    return datetime.time(hour, minute)


def a_mission(**changes) -> MissionData:
    """Monday 2 March 2026, 10:00–11:00, programme 1, type 1 ("Portage de courses")."""
    values = {
        "id": 1,
        "programme_id": 1,
        "mission_type_id": 1,
        "mission_type_name": "Portage de courses",
        "occurrence": Occurrence(0, at(10), at(11), MONDAY),
        "month": MARCH,
        "quartier_id": 1,
        "quartier_name": "Centre",
        "neighbour_quartier_ids": frozenset({2}),
        "language_names": {"ar": "arabe", "fr": "français"},
    }
    return MissionData(**{**values, **changes})


def a_volunteer(**changes) -> VolunteerData:
    """Active in programme 1, accepts type 1, free on Monday 9:00–12:00, verified."""
    values = {
        "id": 1,
        "name": "Léa",
        "mission_type_ids": frozenset({1}),
        "slots": (Slot(0, at(9), at(12)),),
        "programme_status": {1: "actif"},
        "verified": True,
        "languages": frozenset({"fr"}),
    }
    return VolunteerData(**{**values, **changes})


# --- Hard constraints ----------------------------------------------------------------------


def test_a_volunteer_meeting_every_constraint_is_eligible():
    assert ineligibility_reasons(a_mission(), a_volunteer()) == []
    assert [c.volunteer_id for c in rank(a_mission(), [a_volunteer()], today=TODAY)] == [1]


@pytest.mark.parametrize(
    ("mission_changes", "volunteer_changes", "reason"),
    [
        pytest.param(
            {},
            {"mission_type_ids": frozenset({2})},
            "N'accepte pas les missions « Portage de courses ».",
            id="type-not-accepted",
        ),
        pytest.param(
            {},
            {"slots": (Slot(1, at(9), at(12)),)},
            "N'est pas disponible le lundi de 10 h à 11 h.",
            id="no-slot-that-day",
        ),
        pytest.param(
            {"occurrence": Occurrence(0, at(11, 30), at(12, 30), MONDAY)},
            {},
            "N'est pas disponible le lundi de 11 h 30 à 12 h 30.",
            id="slot-covers-only-part-of-the-window",
        ),
        pytest.param(
            {"required_language": "ar"},
            {},
            "Ne parle pas la langue requise (arabe).",
            id="required-language",
        ),
        pytest.param(
            {},
            {"programme_status": {1: "pause"}},
            "A mis son engagement en pause dans ce programme.",
            id="paused",
        ),
        pytest.param(
            {},
            {"programme_status": {1: "desiste"}},
            "S'est désisté·e de ce programme.",
            id="withdrawn",
        ),
        pytest.param(
            {},
            {"programme_status": {2: "actif"}},
            "N'est pas inscrit·e au programme de cette mission.",
            id="not-in-the-programme",
        ),
        pytest.param(
            {},
            {"max_missions_per_month": 2, "missions_by_month": {MARCH: 2}},
            "A atteint son maximum de 2 missions pour ce mois.",
            id="monthly-maximum",
        ),
        pytest.param(
            {"at_residents_home": True},
            {"verified": False},
            "Mission au domicile d'un·e habitant·e : volontaire pas encore vérifié·e.",
            id="home-visit-needs-verification",
        ),
        pytest.param(
            {},
            {"busy": (Occurrence(0, at(10, 30), at(11, 30), MONDAY),)},
            "A déjà accepté une autre mission au même moment.",
            id="already-busy-then",
        ),
        pytest.param(
            {},
            {"busy": (Occurrence(0, at(10, 30), at(11, 30), None),)},
            "A déjà accepté une autre mission au même moment.",
            id="busy-every-monday",
        ),
        pytest.param(
            {},
            {"mission_ids": frozenset({1})},
            "A déjà été sollicité·e pour cette mission.",
            id="already-asked",
        ),
    ],
)
def test_each_hard_constraint_excludes_with_its_french_reason(
    mission_changes, volunteer_changes, reason
):
    mission = a_mission(**mission_changes)
    volunteer = a_volunteer(**volunteer_changes)

    assert ineligibility_reasons(mission, volunteer) == [reason]
    assert rank(mission, [volunteer], today=TODAY) == []
    assert solve_batch([mission], [volunteer], today=TODAY) == {1: []}
    assert solve_greedy([mission], [volunteer], today=TODAY) == {1: []}


def test_several_reasons_are_all_given():
    volunteer = a_volunteer(mission_type_ids=frozenset(), slots=(), programme_status={})

    assert len(ineligibility_reasons(a_mission(), volunteer)) == 3


@pytest.mark.parametrize(
    "volunteer_changes",
    [
        pytest.param({"missions_by_month": {(2026, 2): 4}}, id="last-month-load-does-not-count"),
        pytest.param({"busy": (Occurrence(0, at(11), at(12), MONDAY),)}, id="back-to-back-is-fine"),
        pytest.param(
            {"busy": (Occurrence(0, at(10), at(11), datetime.date(2026, 3, 9)),)},
            id="same-time-another-monday",
        ),
        pytest.param({"verified": False}, id="verification-only-for-home-visits"),
        pytest.param({"slots": (Slot(0, at(10), at(11)),)}, id="slot-exactly-the-window"),
    ],
)
def test_near_misses_stay_eligible(volunteer_changes):
    assert ineligibility_reasons(a_mission(), a_volunteer(**volunteer_changes)) == []


def test_a_weekly_mission_needs_the_weekday_every_week():
    weekly = a_mission(occurrence=Occurrence(0, at(10), at(11), None))

    assert ineligibility_reasons(weekly, a_volunteer()) == []
    assert ineligibility_reasons(
        weekly, a_volunteer(busy=(Occurrence(0, at(10), at(11), datetime.date(2026, 4, 6)),))
    ) == ["A déjà accepté une autre mission au même moment."]


# --- The explained score -------------------------------------------------------------------


def test_the_explanation_lists_each_part_of_the_score():
    mission = a_mission(resident_id=7, resident_language="ar", urgent=True)
    volunteer = a_volunteer(
        quartier_id=1,
        languages=frozenset({"fr", "ar"}),
        helped_resident_ids=frozenset({7}),
        max_missions_per_month=5,
        missions_by_month={MARCH: 1},
        last_done_on=datetime.date(2026, 2, 19),
    )

    parts = score_parts(mission, volunteer, today=TODAY)

    assert [(part.key, part.points, part.explanation) for part in parts] == [
        ("type", 10, "Accepte les missions « Portage de courses »"),
        ("proximity", 30, "Habite le même quartier (Centre)"),
        ("availability", 3, "Disponible le lundi de 9 h à 12 h"),
        ("language", 10, "Parle la langue de l'habitant·e (arabe)"),
        ("continuity", 25, "Accompagne déjà cet·te habitant·e (continuité)"),
        ("load", 8, "1 mission(s) acceptée(s) ce mois-là sur 5 au plus"),
        ("activity", 5, "Dernière mission réalisée il y a 10 jour(s)"),
        ("urgency", 15, "Mission urgente"),
    ]
    [candidate] = rank(mission, [volunteer], today=TODAY)
    assert candidate.score == 106
    assert candidate.explanation.startswith(
        "Accepte les missions « Portage de courses » (+10) ; Habite le même quartier (Centre) (+30)"
    )


@pytest.mark.parametrize(
    ("volunteer_changes", "points", "explanation"),
    [
        ({"quartier_id": 2, "quartier_name": "Thabor"}, 20, "Habite un quartier voisin (Thabor)"),
        ({"quartier_id": 5}, 10, "Habite la même commune (Rennes)"),
        ({"quartier_id": None, "commune": "Bruz"}, 0, "Habite une autre commune (Bruz)"),
    ],
)
def test_proximity_prefers_same_then_neighbouring_quartier_then_commune(
    volunteer_changes, points, explanation
):
    parts = {
        part.key: part
        for part in score_parts(a_mission(), a_volunteer(**volunteer_changes), today=TODAY)
    }

    assert (parts["proximity"].points, parts["proximity"].explanation) == (points, explanation)


def test_ranking_puts_the_best_score_first_and_keeps_only_the_eligible():
    near = a_volunteer(id=1, quartier_id=1)
    far = a_volunteer(id=2, quartier_id=None, commune="Bruz")
    paused = a_volunteer(id=3, quartier_id=1, programme_status={1: "pause"})

    ranked = rank(a_mission(), [far, paused, near], today=TODAY)

    assert [candidate.volunteer_id for candidate in ranked] == [1, 2]
    assert ranked[0].score > ranked[1].score


# --- Batch against greedy ------------------------------------------------------------------


def test_batch_finds_the_optimum_where_greedy_does_not():
    """GIVEN mission A (Monday, Centre) then B (Tuesday, Sud-Gare), one place each; X lives
    in the Centre, can do both but only one mission a month; Y lives next door, Mondays only.
    WHEN greedy takes A first it gives it to X, its best candidate, and B stays empty;
    THEN the batch gives A to Y and B to X, the best total."""
    mission_a = a_mission(id=1)
    mission_b = a_mission(
        id=2,
        occurrence=Occurrence(1, at(10), at(11), TUESDAY),
        quartier_id=8,
        neighbour_quartier_ids=frozenset({9}),
    )
    x = a_volunteer(
        id=10,
        quartier_id=1,
        max_missions_per_month=1,
        slots=(Slot(0, at(9), at(12)), Slot(1, at(9), at(12))),
    )
    y = a_volunteer(id=20, quartier_id=2)
    missions, volunteers = [mission_a, mission_b], [x, y]
    # Each score: type 10 + availability 3 + language 0 + continuity 0 + load 10 + activity 0
    # + proximity: X-A same quartier 30, X-B same commune 10, Y-A neighbouring quartier 20.

    greedy = solve_greedy(missions, volunteers, today=TODAY)
    batch = solve_batch(missions, volunteers, today=TODAY)

    assert greedy == {1: [10], 2: []}
    assert total_score(greedy, missions, volunteers, today=TODAY) == 53
    assert batch == {1: [20], 2: [10]}
    assert total_score(batch, missions, volunteers, today=TODAY) == 43 + 33 == 76


def test_batch_fills_several_places_without_putting_anyone_twice():
    mission = a_mission(places_left=3)
    volunteers = [a_volunteer(id=number, max_missions_per_month=4) for number in (1, 2)]

    result = solve_batch([mission], volunteers, today=TODAY)

    assert sorted(result[1]) == [1, 2]


def test_batch_never_puts_a_volunteer_in_two_places_at_once():
    same_time = [a_mission(id=1), a_mission(id=2)]

    result = solve_batch(same_time, [a_volunteer()], today=TODAY)

    assert sorted(len(ids) for ids in result.values()) == [0, 1]


def test_batch_skips_missions_without_places_left():
    assert solve_batch([a_mission(places_left=0)], [a_volunteer()], today=TODAY) == {1: []}


# --- Property: batch never breaks a rule and is never worse than greedy ---------------------

WINDOWS = [(9, 10), (10, 12), (11, 12), (14, 16)]
DATES = [MONDAY, datetime.date(2026, 3, 9), datetime.date(2026, 4, 6), None]


@st.composite
def occurrences(draw) -> Occurrence:
    day = draw(st.sampled_from(DATES))
    start, end = draw(st.sampled_from(WINDOWS))
    weekday = day.weekday() if day else draw(st.sampled_from([0, 1]))
    return Occurrence(weekday, at(start), at(end), day)


@st.composite
def instances(draw) -> tuple[list[MissionData], list[VolunteerData]]:
    missions = []
    for index in range(draw(st.integers(1, 5))):
        occurrence = draw(occurrences())
        missions.append(
            a_mission(
                id=index + 1,
                programme_id=draw(st.sampled_from([1, 1, 2])),
                mission_type_id=draw(st.sampled_from([1, 2])),
                occurrence=occurrence,
                month=((occurrence.date or MONDAY).year, (occurrence.date or MONDAY).month),
                places_left=draw(st.sampled_from([0, 1, 1, 2, 3])),
                at_residents_home=draw(st.booleans()),
                required_language=draw(st.sampled_from([None, None, None, "ar"])),
                resident_id=draw(st.sampled_from([None, 1, 2])),
                resident_language=draw(st.sampled_from([None, "fr", "ar"])),
                quartier_id=draw(st.sampled_from([None, 1, 2, 3])),
                urgent=draw(st.booleans()),
            )
        )
    wide = [Slot(0, at(9), at(17)), Slot(1, at(9), at(17))]
    slots = [Slot(weekday, at(start), at(end)) for weekday in (0, 1) for start, end in WINDOWS]
    status = st.sampled_from(["actif", "actif", "actif", "pause", "desiste"])
    volunteers = []
    for index in range(draw(st.integers(1, 6))):
        volunteers.append(
            a_volunteer(
                id=100 + index,
                mission_type_ids=frozenset(draw(st.sets(st.sampled_from([1, 2]), min_size=1))),
                slots=tuple(
                    draw(st.lists(st.sampled_from(wide), max_size=2))
                    + draw(st.lists(st.sampled_from(slots), max_size=3))
                ),
                programme_status={1: draw(status), 2: draw(status)},
                max_missions_per_month=draw(st.integers(1, 3)),
                missions_by_month={
                    MARCH: draw(st.integers(0, 1)),
                    (2026, 4): draw(st.integers(0, 1)),
                },
                verified=draw(st.sampled_from([True, True, False])),
                languages=frozenset(draw(st.sets(st.sampled_from(["fr", "ar"])))),
                quartier_id=draw(st.sampled_from([None, 1, 2, 3])),
                busy=tuple(draw(st.lists(occurrences(), max_size=1))),
                helped_resident_ids=frozenset(draw(st.sets(st.sampled_from([1, 2])))),
                mission_ids=frozenset(draw(st.sets(st.sampled_from([1, 2, 3, 4, 5]), max_size=1))),
                last_done_on=draw(st.sampled_from([None, datetime.date(2026, 2, 20)])),
                solicitations_left=draw(st.sampled_from([None, None, None, 0, 1, 2])),
            )
        )
    return missions, volunteers


def broken_rules(result, missions, volunteers) -> list[str]:
    missions_by_id = {mission.id: mission for mission in missions}
    volunteers_by_id = {volunteer.id: volunteer for volunteer in volunteers}
    broken = []
    per_volunteer_month: dict = {}
    per_volunteer: dict = {}
    for mission_id, volunteer_ids in result.items():
        mission = missions_by_id[mission_id]
        if len(volunteer_ids) > mission.places_left:
            broken.append(f"mission {mission_id}: more volunteers than places")
        if len(set(volunteer_ids)) != len(volunteer_ids):
            broken.append(f"mission {mission_id}: a volunteer twice")
        for volunteer_id in volunteer_ids:
            volunteer = volunteers_by_id[volunteer_id]
            if ineligibility_reasons(mission, volunteer):
                broken.append(f"{volunteer_id} not eligible for {mission_id}")
            key = (volunteer_id, mission.month)
            per_volunteer_month[key] = per_volunteer_month.get(key, 0) + 1
            per_volunteer.setdefault(volunteer_id, []).append(mission)
    for (volunteer_id, month), count in per_volunteer_month.items():
        if count > volunteers_by_id[volunteer_id].capacity(month):
            broken.append(f"{volunteer_id} over capacity in {month}")
    for volunteer_id, taken in per_volunteer.items():
        left = volunteers_by_id[volunteer_id].solicitations_left
        if left is not None and len(taken) > left:
            broken.append(f"{volunteer_id} solicited beyond the monthly limit")
    for volunteer_id, taken in per_volunteer.items():
        for first, second in combinations(taken, 2):
            if first.occurrence.clashes_with(second.occurrence):
                broken.append(f"{volunteer_id} in two places at once")
    return broken


def brute_force_optimum(missions, volunteers) -> int | None:
    """The best total by trying every subset of eligible pairs (small instances only)."""
    pairs = [
        (mission, volunteer)
        for mission in missions
        for volunteer in volunteers
        if mission.places_left and not ineligibility_reasons(mission, volunteer)
    ]
    if len(pairs) > 12:
        return None
    best = 0
    for mask in range(1 << len(pairs)):
        chosen = [pair for bit, pair in enumerate(pairs) if mask >> bit & 1]
        result: dict[int, list[int]] = {mission.id: [] for mission in missions}
        for mission, volunteer in chosen:
            result[mission.id].append(volunteer.id)
        if not broken_rules(result, missions, volunteers):
            best = max(best, total_score(result, missions, volunteers, today=TODAY))
    return best


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_batch_respects_every_constraint_and_capacity_and_beats_greedy(instance):
    missions, volunteers = instance

    batch = solve_batch(missions, volunteers, today=TODAY)
    greedy = solve_greedy(missions, volunteers, today=TODAY)

    assert broken_rules(batch, missions, volunteers) == []
    assert broken_rules(greedy, missions, volunteers) == []
    batch_total = total_score(batch, missions, volunteers, today=TODAY)
    assert batch_total >= total_score(greedy, missions, volunteers, today=TODAY)
    optimum = brute_force_optimum(missions, volunteers)
    if optimum is not None:
        assert batch_total == optimum


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_the_fast_score_is_the_sum_of_the_explained_parts(instance):
    """The batch scores pairs with `score` (no explanations); it must equal the page's sum."""
    missions, volunteers = instance
    for mission in missions:
        for volunteer in volunteers:
            if not ineligibility_reasons(mission, volunteer):
                parts = score_parts(mission, volunteer, today=TODAY)
                assert score(mission, volunteer, today=TODAY) == sum(p.points for p in parts)


# --- The monthly solicitation limit inside the optimisation --------------------------------


def cap_applied_afterwards(missions, volunteers) -> dict[int, list[int]]:
    """The former way: optimise without the solicitation limit, then drop each volunteer's
    proposals beyond it (in mission order) and give the freed places to the next best
    candidates still under their limit."""
    plan = solve_batch(
        missions,
        [dataclasses.replace(volunteer, solicitations_left=None) for volunteer in volunteers],
        today=TODAY,
    )
    left = {volunteer.id: volunteer.solicitations_left for volunteer in volunteers}
    result: dict[int, list[int]] = {mission.id: [] for mission in missions}
    freed = []
    for mission in missions:
        for volunteer_id in plan[mission.id]:
            if left[volunteer_id] > 0:
                result[mission.id].append(volunteer_id)
                left[volunteer_id] -= 1
            else:
                freed.append(mission)
    for mission in freed:
        for candidate in rank(mission, volunteers, today=TODAY):
            if (
                left[candidate.volunteer_id] > 0
                and candidate.volunteer_id not in result[mission.id]
            ):
                result[mission.id].append(candidate.volunteer_id)
                left[candidate.volunteer_id] -= 1
                break
    return result


def test_the_solicitation_limit_is_a_constraint_of_the_optimisation():
    """GIVEN missions A (Monday) and B (Tuesday), one place each; X, next door to both, may
    be solicited once more this month; Y, farther away, can do A only;
    WHEN the limit is applied after an optimisation that ignores it, X keeps A (first) and
    nobody else can do B: one place stays empty;
    THEN inside the optimisation X goes to B and Y to A: the optimum, both places filled."""
    mission_a = a_mission(id=1)
    mission_b = a_mission(
        id=2, occurrence=Occurrence(1, at(10), at(11), TUESDAY), neighbour_quartier_ids=frozenset()
    )
    x = a_volunteer(
        id=10,
        quartier_id=1,
        solicitations_left=1,
        slots=(Slot(0, at(9), at(12)), Slot(1, at(9), at(12))),
    )
    y = a_volunteer(id=20, quartier_id=2, solicitations_left=2)
    missions, volunteers = [mission_a, mission_b], [x, y]

    afterwards = cap_applied_afterwards(missions, volunteers)
    inside = solve_batch(missions, volunteers, today=TODAY)

    assert afterwards == {1: [10], 2: []}
    assert inside == {1: [20], 2: [10]}
    assert broken_rules(inside, missions, volunteers) == []
    assert total_score(afterwards, missions, volunteers, today=TODAY) == 53
    assert total_score(inside, missions, volunteers, today=TODAY) == 43 + 53 == 96
    assert brute_force_optimum(missions, volunteers) == 96
    # Greedy honours the limit too (never solicits X twice), but is no better here.
    assert solve_greedy(missions, volunteers, today=TODAY) == {1: [10], 2: []}


# --- From the database ---------------------------------------------------------------------


@pytest.fixture
def programme(db):
    return ProgrammeFactory(slug="volontaires-test")


@pytest.fixture
def groceries(db):
    return MissionTypeFactory(name="Portage de courses", at_residents_home=True)


def active_volunteer(programme, groceries, **profile):
    """A verified volunteer of `programme`, accepting groceries, free on Mondays 9:00–12:00."""
    volunteer = VolunteerProfileFactory(is_verified=True, **profile)
    volunteer.mission_types.add(groceries)
    volunteer.languages.add(LanguageFactory(code="fr"))
    AvailabilitySlotFactory(volunteer=volunteer, weekday=0)
    EnrolmentFactory(volunteer=volunteer, programme=programme)
    return volunteer


@pytest.mark.django_db
def test_eligibility_reads_the_rules_from_the_database(programme, groceries):
    arabic = LanguageFactory(code="ar", name="arabe")
    resident = ResidentFactory(programme=programme, language=arabic)
    mission = MissionFactory(programme=programme, mission_type=groceries, resident=resident)
    volunteer = active_volunteer(programme, groceries)

    assert eligibility(mission, volunteer, today=TODAY) == []

    volunteer.is_verified = False
    volunteer.save()
    mission.required_language = arabic
    mission.save()
    volunteer.enrolments.update(status="pause")

    assert eligibility(mission, volunteer, today=TODAY) == [
        "A mis son engagement en pause dans ce programme.",
        "Mission au domicile d'un·e habitant·e : volontaire pas encore vérifié·e.",
        "Ne parle pas la langue requise (arabe).",
    ]


@pytest.mark.django_db
def test_accepted_missions_of_the_month_fill_the_quota_and_block_the_time(programme, groceries):
    volunteer = active_volunteer(programme, groceries, max_missions_per_month=2)
    mission = MissionFactory(programme=programme, mission_type=groceries)
    AssignmentFactory(
        volunteer=volunteer,
        status="realisee",
        done_on=datetime.date(2026, 3, 5),
        mission=MissionFactory(programme=programme, date=datetime.date(2026, 3, 5)),
    )
    AssignmentFactory(
        volunteer=volunteer,
        status="acceptee",
        mission=MissionFactory(programme=programme, date=datetime.date(2026, 2, 23)),
    )
    AssignmentFactory(
        volunteer=volunteer,
        status="refusee",
        mission=MissionFactory(programme=programme, date=datetime.date(2026, 3, 9)),
    )

    assert eligibility(mission, volunteer, today=TODAY) == []

    AssignmentFactory(
        volunteer=volunteer,
        status="acceptee",
        mission=MissionFactory(
            programme=programme, start_time=datetime.time(10, 30), end_time=datetime.time(12)
        ),
    )

    assert eligibility(mission, volunteer, today=TODAY) == [
        "A déjà accepté une autre mission au même moment.",
        "A atteint son maximum de 2 missions pour ce mois.",
    ]


@pytest.mark.django_db
def test_rank_candidates_rewards_continuity_with_the_same_resident(programme, groceries):
    quartier = QuartierFactory()
    resident = ResidentFactory(programme=programme, quartier=quartier)
    already_helping = active_volunteer(programme, groceries, quartier=quartier)
    newcomer = active_volunteer(programme, groceries, quartier=quartier)
    paused = active_volunteer(programme, groceries, quartier=quartier)
    paused.enrolments.update(status="pause")
    AssignmentFactory(
        volunteer=already_helping,
        status="realisee",
        done_on=datetime.date(2026, 2, 16),
        mission=MissionFactory(
            programme=programme, resident=resident, date=datetime.date(2026, 2, 16)
        ),
    )
    mission = MissionFactory(
        programme=programme, mission_type=groceries, resident=resident, quartier=quartier
    )

    ranked = rank_candidates(mission, today=TODAY)

    assert [candidate.volunteer_id for candidate in ranked] == [already_helping.pk, newcomer.pk]
    parts = {part.key: part.points for part in ranked[0].parts}
    assert parts["continuity"] == 25 and parts["proximity"] == 30 and parts["activity"] == 5


@pytest.mark.django_db
def test_snapshots_take_a_constant_number_of_queries(
    programme, groceries, django_assert_max_num_queries
):
    mission = MissionFactory(programme=programme, mission_type=groceries)
    active_volunteer(programme, groceries)
    with django_assert_max_num_queries(20) as few:
        rank_candidates(mission, today=TODAY)
    for _ in range(8):
        volunteer = active_volunteer(programme, groceries)
        AssignmentFactory(volunteer=volunteer, status="refusee", mission=MissionFactory())

    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(rank_candidates(mission, today=TODAY)) == 9


@pytest.mark.django_db
def test_assign_batch_and_greedy_accept_querysets(programme, groceries):
    from volontaires.models import Mission, VolunteerProfile

    volunteers = [active_volunteer(programme, groceries) for _ in range(3)]
    MissionFactory(programme=programme, mission_type=groceries, places=2)
    AssignmentFactory(volunteer=volunteers[0], status="proposee", mission=Mission.objects.get())

    batch = assign_batch(Mission.objects.all(), VolunteerProfile.objects.all(), today=TODAY)
    greedy = assign_greedy(list(Mission.objects.all()), VolunteerProfile.objects.all(), today=TODAY)

    [(mission_id, chosen)] = batch.items()
    assert len(chosen) == 1 and volunteers[0].pk not in chosen
    assert len(greedy[mission_id]) == 1


def test_plain_data_is_passed_through_unchanged():
    mission, volunteer = a_mission(), a_volunteer()

    assert assign_batch([mission], [volunteer], today=TODAY) == {1: [1]}
    assert assign_greedy([mission], [volunteer], today=TODAY) == {1: [1]}
