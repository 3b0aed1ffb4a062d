"""Matching volunteers with missions: hard constraints, an explained score, and assignment.

A pure module: the rules work on plain frozen dataclasses (`MissionData`, `VolunteerData`),
so that they and the batch solver are tested without the database. It reads no row: the
loader `volontaires/candidates.py` asks the database for the plausible candidates only (hard
constraints as SQL filters, nearest quartiers first) and turns them into these dataclasses.
It imports from `volontaires.models` only two choice enums (labels), never a query.

Hard constraints (never broken): enrolled and neither paused nor withdrawn in the mission's
programme; mission type accepted; staff-verified for missions at a resident's home; an
availability slot covering the mission's weekday and time window; no other accepted mission
at the same time; the required language spoken; under the monthly maximum of missions.
Everything else only changes the score.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
from django.utils.translation import gettext as _
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from volontaires.models import EnrolmentStatus, Weekday

Month = tuple[int, int]

POINTS_TYPE = 10
POINTS_SAME_QUARTIER = 30
POINTS_NEIGHBOUR_QUARTIER = 20
POINTS_SAME_COMMUNE = 10
POINTS_AVAILABILITY = 10
POINTS_LANGUAGE = 10
POINTS_CONTINUITY = 25
POINTS_LOAD = 10
POINTS_RECENT_ACTIVITY = 5
RECENT_ACTIVITY_DAYS = 60
POINTS_URGENT = 15


# --- Plain data ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    """When a mission takes place: on a date, or every week (`date` is None)."""

    weekday: int
    start: datetime.time
    end: datetime.time
    date: datetime.date | None = None

    @property
    def minutes(self) -> int:
        return _minutes(self.end) - _minutes(self.start)

    def clashes_with(self, other: Occurrence) -> bool:
        if self.weekday != other.weekday:
            return False
        if not (self.start < other.end and other.start < self.end):
            return False
        # A weekly mission meets every date on its weekday.
        return self.date is None or other.date is None or self.date == other.date


@dataclass(frozen=True)
class Slot:
    """A weekly availability window of a volunteer."""

    weekday: int
    start: datetime.time
    end: datetime.time

    @property
    def minutes(self) -> int:
        return _minutes(self.end) - _minutes(self.start)

    def covers(self, occurrence: Occurrence) -> bool:
        return (
            self.weekday == occurrence.weekday
            and self.start <= occurrence.start
            and occurrence.end <= self.end
        )


@dataclass(frozen=True)
class MissionData:
    id: int
    programme_id: int
    mission_type_id: int
    occurrence: Occurrence
    month: Month
    mission_type_name: str = ""
    at_residents_home: bool = False
    places_left: int = 1
    commune: str = "Rennes"
    quartier_id: int | None = None
    quartier_name: str = ""
    neighbour_quartier_ids: frozenset[int] = frozenset()
    required_language: str | None = None
    resident_id: int | None = None
    resident_language: str | None = None
    language_names: Mapping[str, str] = field(default_factory=dict)
    urgent: bool = False


@dataclass(frozen=True)
class VolunteerData:
    id: int
    mission_type_ids: frozenset[int]
    slots: tuple[Slot, ...]
    programme_status: Mapping[int, str]
    name: str = ""
    max_missions_per_month: int = 4
    missions_by_month: Mapping[Month, int] = field(default_factory=dict)
    verified: bool = False
    languages: frozenset[str] = frozenset()
    commune: str = "Rennes"
    quartier_id: int | None = None
    quartier_name: str = ""
    busy: tuple[Occurrence, ...] = ()
    helped_resident_ids: frozenset[int] = frozenset()
    mission_ids: frozenset[int] = frozenset()
    last_done_on: datetime.date | None = None
    # How many more proposals may be made to them this calendar month (staff or batch);
    # None when not limited here (ranking one mission: the limit is shown, not applied).
    solicitations_left: int | None = None

    def capacity(self, month: Month) -> int:
        """Missions they may still accept in that calendar month."""
        return max(0, self.max_missions_per_month - self.missions_by_month.get(month, 0))


@dataclass(frozen=True)
class ScorePart:
    key: str
    points: int
    explanation: str


@dataclass(frozen=True)
class Candidate:
    volunteer_id: int
    name: str
    score: int
    parts: tuple[ScorePart, ...]

    @property
    def explanation(self) -> str:
        return " ; ".join(f"{part.explanation} ({part.points:+d})" for part in self.parts)


# --- Rules on plain data -------------------------------------------------------------------


def _minutes(time: datetime.time) -> int:
    return time.hour * 60 + time.minute


def _clock(time: datetime.time) -> str:
    return f"{time.hour} h" if time.minute == 0 else f"{time.hour} h {time.minute:02d}"


def _when(occurrence: Occurrence) -> str:
    weekday = str(Weekday(occurrence.weekday).label)
    return _("le %(day)s de %(start)s à %(end)s") % {
        "day": weekday,
        "start": _clock(occurrence.start),
        "end": _clock(occurrence.end),
    }


def _language_name(mission: MissionData, code: str) -> str:
    return mission.language_names.get(code, code)


def broken_rules(mission: MissionData, volunteer: VolunteerData) -> list[str]:
    """The keys of the hard constraints this volunteer breaks for this mission, in order."""
    broken = []
    status = volunteer.programme_status.get(mission.programme_id)
    if status is None:
        broken.append("programme")
    elif status == EnrolmentStatus.PAUSED:
        broken.append("paused")
    elif status == EnrolmentStatus.WITHDRAWN:
        broken.append("withdrawn")
    if mission.id in volunteer.mission_ids:
        broken.append("asked")
    if mission.mission_type_id not in volunteer.mission_type_ids:
        broken.append("type")
    if mission.at_residents_home and not volunteer.verified:
        broken.append("verification")
    if not any(slot.covers(mission.occurrence) for slot in volunteer.slots):
        broken.append("availability")
    if any(mission.occurrence.clashes_with(busy) for busy in volunteer.busy):
        broken.append("busy")
    if mission.required_language and mission.required_language not in volunteer.languages:
        broken.append("language")
    if volunteer.capacity(mission.month) == 0:
        broken.append("monthly")
    return broken


def _reason_values(mission: MissionData, volunteer: VolunteerData) -> dict[str, object]:
    return {
        "type": mission.mission_type_name,
        "when": _when(mission.occurrence),
        "language": _language_name(mission, mission.required_language or ""),
        "max": volunteer.max_missions_per_month,
    }


def _staff_texts() -> dict[str, str]:
    """Reasons as agents read them (third person)."""
    return {
        "programme": _("N'est pas inscrit·e au programme de cette mission."),
        "paused": _("A mis son engagement en pause dans ce programme."),
        "withdrawn": _("S'est désisté·e de ce programme."),
        "asked": _("A déjà été sollicité·e pour cette mission."),
        "type": _("N'accepte pas les missions « %(type)s »."),
        "verification": _(
            "Mission au domicile d'un·e habitant·e : volontaire pas encore vérifié·e."
        ),
        "availability": _("N'est pas disponible %(when)s."),
        "busy": _("A déjà accepté une autre mission au même moment."),
        "language": _("Ne parle pas la langue requise (%(language)s)."),
        "monthly": _("A atteint son maximum de %(max)d missions pour ce mois."),
    }


def _volunteer_texts() -> dict[str, str]:
    """Reasons as the volunteer reads them (second person)."""
    return {
        "programme": _("Vous n'êtes pas inscrit·e au programme de cette mission."),
        "paused": _("Vous avez mis votre engagement en pause dans ce programme."),
        "withdrawn": _("Vous vous êtes désisté·e de ce programme."),
        "asked": _("Vous êtes déjà sur cette mission."),
        "type": _("Vous n'acceptez pas les missions « %(type)s »."),
        "verification": _(
            "Mission au domicile d'un·e habitant·e : votre profil n'est pas encore vérifié par "
            "les agents."
        ),
        "availability": _("Vous n'êtes pas disponible %(when)s."),
        "busy": _("Vous avez déjà accepté une autre mission au même moment."),
        "language": _("Vous ne parlez pas la langue requise (%(language)s)."),
        "monthly": _("Vous avez atteint votre maximum de %(max)d missions pour ce mois."),
    }


def ineligibility_reasons(mission: MissionData, volunteer: VolunteerData) -> list[str]:
    """Why this volunteer may not take this mission, in French; empty when eligible."""
    texts, values = _staff_texts(), _reason_values(mission, volunteer)
    return [texts[key] % values for key in broken_rules(mission, volunteer)]


@dataclass(frozen=True)
class Reason:
    key: str
    text: str


def reasons_for_volunteer(mission: MissionData, volunteer: VolunteerData) -> list[Reason]:
    """Why you may not take this mission, addressed to you (the open missions list)."""
    broken = broken_rules(mission, volunteer)
    if not broken:  # most missions of a list: no text to translate
        return []
    texts, values = _volunteer_texts(), _reason_values(mission, volunteer)
    return [Reason(key, texts[key] % values) for key in broken]


def score_parts(
    mission: MissionData, volunteer: VolunteerData, *, today: datetime.date
) -> tuple[ScorePart, ...]:
    """The score of an eligible volunteer for a mission, part by part, each explained."""
    parts = [
        ScorePart(
            "type",
            POINTS_TYPE,
            _("Accepte les missions « %(type)s »") % {"type": mission.mission_type_name},
        ),
        _proximity(mission, volunteer),
        _availability(mission, volunteer),
        _language(mission, volunteer),
        _continuity(mission, volunteer),
        _load(mission, volunteer),
        _recent_activity(volunteer, today=today),
    ]
    if mission.urgent:
        parts.append(ScorePart("urgency", POINTS_URGENT, _("Mission urgente")))
    return tuple(parts)


def score(mission: MissionData, volunteer: VolunteerData, *, today: datetime.date) -> int:
    """Total score of an eligible volunteer: the sum of `score_parts`, computed without the
    explanations (the batch scores hundreds of thousands of pairs; a test keeps both equal)."""
    if mission.quartier_id is not None and volunteer.quartier_id == mission.quartier_id:
        proximity = POINTS_SAME_QUARTIER
    elif volunteer.quartier_id is not None and volunteer.quartier_id in (
        mission.neighbour_quartier_ids
    ):
        proximity = POINTS_NEIGHBOUR_QUARTIER
    elif volunteer.commune == mission.commune:
        proximity = POINTS_SAME_COMMUNE
    else:
        proximity = 0
    occurrence = mission.occurrence
    tightest = min(slot.minutes for slot in volunteer.slots if slot.covers(occurrence))
    availability = max(1, round(POINTS_AVAILABILITY * occurrence.minutes / tightest))
    if mission.required_language or (
        mission.resident_language and mission.resident_language in volunteer.languages
    ):
        language = POINTS_LANGUAGE
    else:
        language = 0
    continuity = (
        POINTS_CONTINUITY
        if mission.resident_id is not None and mission.resident_id in volunteer.helped_resident_ids
        else 0
    )
    maximum = volunteer.max_missions_per_month
    load = round(
        POINTS_LOAD * (maximum - volunteer.missions_by_month.get(mission.month, 0)) / maximum
    )
    activity = 0
    if volunteer.last_done_on is not None and (
        0 <= (today - volunteer.last_done_on).days <= RECENT_ACTIVITY_DAYS
    ):
        activity = POINTS_RECENT_ACTIVITY
    urgency = POINTS_URGENT if mission.urgent else 0
    return (
        POINTS_TYPE + proximity + availability + language + continuity + load + activity + urgency
    )


def _proximity(mission: MissionData, volunteer: VolunteerData) -> ScorePart:
    if mission.quartier_id is not None and volunteer.quartier_id == mission.quartier_id:
        return ScorePart(
            "proximity",
            POINTS_SAME_QUARTIER,
            _("Habite le même quartier (%(quartier)s)") % {"quartier": mission.quartier_name},
        )
    if volunteer.quartier_id is not None and volunteer.quartier_id in (
        mission.neighbour_quartier_ids
    ):
        return ScorePart(
            "proximity",
            POINTS_NEIGHBOUR_QUARTIER,
            _("Habite un quartier voisin (%(quartier)s)") % {"quartier": volunteer.quartier_name},
        )
    if volunteer.commune == mission.commune:
        return ScorePart(
            "proximity",
            POINTS_SAME_COMMUNE,
            _("Habite la même commune (%(commune)s)") % {"commune": mission.commune},
        )
    return ScorePart(
        "proximity", 0, _("Habite une autre commune (%(commune)s)") % {"commune": volunteer.commune}
    )


def _availability(mission: MissionData, volunteer: VolunteerData) -> ScorePart:
    # The tighter the covering slot, the better: wider availabilities stay free for others.
    slot = min(
        (slot for slot in volunteer.slots if slot.covers(mission.occurrence)),
        key=lambda slot: slot.minutes,
    )
    points = max(1, round(POINTS_AVAILABILITY * mission.occurrence.minutes / slot.minutes))
    occurrence = Occurrence(slot.weekday, slot.start, slot.end)
    return ScorePart("availability", points, _("Disponible %(when)s") % {"when": _when(occurrence)})


def _language(mission: MissionData, volunteer: VolunteerData) -> ScorePart:
    if mission.required_language:
        name = _language_name(mission, mission.required_language)
        return ScorePart(
            "language", POINTS_LANGUAGE, _("Parle %(language)s (requis)") % {"language": name}
        )
    if mission.resident_language:
        name = _language_name(mission, mission.resident_language)
        if mission.resident_language in volunteer.languages:
            return ScorePart(
                "language",
                POINTS_LANGUAGE,
                _("Parle la langue de l'habitant·e (%(language)s)") % {"language": name},
            )
        return ScorePart(
            "language",
            0,
            _("Ne parle pas la langue de l'habitant·e (%(language)s)") % {"language": name},
        )
    return ScorePart("language", 0, _("Pas de langue particulière demandée"))


def _continuity(mission: MissionData, volunteer: VolunteerData) -> ScorePart:
    if mission.resident_id is None:
        return ScorePart("continuity", 0, _("Mission sans habitant·e désigné·e"))
    if mission.resident_id in volunteer.helped_resident_ids:
        return ScorePart(
            "continuity", POINTS_CONTINUITY, _("Accompagne déjà cet·te habitant·e (continuité)")
        )
    return ScorePart("continuity", 0, _("N'accompagne pas encore cet·te habitant·e"))


def _load(mission: MissionData, volunteer: VolunteerData) -> ScorePart:
    taken = volunteer.missions_by_month.get(mission.month, 0)
    maximum = volunteer.max_missions_per_month
    points = round(POINTS_LOAD * (maximum - taken) / maximum)
    return ScorePart(
        "load",
        points,
        _("%(taken)d mission(s) acceptée(s) ce mois-là sur %(max)d au plus")
        % {"taken": taken, "max": maximum},
    )


def _recent_activity(volunteer: VolunteerData, *, today: datetime.date) -> ScorePart:
    if volunteer.last_done_on is not None:
        days = (today - volunteer.last_done_on).days
        if 0 <= days <= RECENT_ACTIVITY_DAYS:
            return ScorePart(
                "activity",
                POINTS_RECENT_ACTIVITY,
                _("Dernière mission réalisée il y a %(days)d jour(s)") % {"days": days},
            )
    return ScorePart(
        "activity",
        0,
        _("Aucune mission réalisée ces %(days)d derniers jours") % {"days": RECENT_ACTIVITY_DAYS},
    )


def rank(
    mission: MissionData, volunteers: Iterable[VolunteerData], *, today: datetime.date
) -> list[Candidate]:
    """Eligible volunteers for one mission, best first (ties: lowest id first)."""
    candidates = []
    for volunteer in volunteers:
        if broken_rules(mission, volunteer):
            continue
        parts = score_parts(mission, volunteer, today=today)
        candidates.append(
            Candidate(volunteer.id, volunteer.name, sum(part.points for part in parts), parts)
        )
    return sorted(candidates, key=lambda candidate: (-candidate.score, candidate.volunteer_id))


# --- Assigning several missions at once ----------------------------------------------------

Assignments = dict[int, list[int]]


def _could_fit(mission: MissionData, volunteer: VolunteerData) -> bool:
    return mission.mission_type_id in volunteer.mission_type_ids and any(
        slot.covers(mission.occurrence) for slot in volunteer.slots
    )


def eligible_pairs(
    missions: Sequence[MissionData], volunteers: Sequence[VolunteerData]
) -> list[tuple[MissionData, VolunteerData]]:
    """Every eligible (mission, volunteer) pair of missions with places left.

    Volunteers are first indexed by mission type and weekday, the two rules that rule out
    most pairs, so that the full rules run only on the few pairs left (269 k of 10 M at
    1,000 missions × 10,000 volunteers), never on every pair."""
    by_type_day: dict[tuple[int, int], list[VolunteerData]] = defaultdict(list)
    for volunteer in volunteers:
        for weekday in {slot.weekday for slot in volunteer.slots}:
            for type_id in volunteer.mission_type_ids:
                by_type_day[type_id, weekday].append(volunteer)
    return [
        (mission, volunteer)
        for mission in missions
        if mission.places_left > 0
        for volunteer in by_type_day.get((mission.mission_type_id, mission.occurrence.weekday), ())
        if _could_fit(mission, volunteer) and not broken_rules(mission, volunteer)
    ]


def scored_pairs(
    missions: Sequence[MissionData], volunteers: Sequence[VolunteerData], today: datetime.date
) -> list[tuple[MissionData, VolunteerData, int]]:
    return [
        (mission, volunteer, score(mission, volunteer, today=today))
        for mission, volunteer in eligible_pairs(missions, volunteers)
        if volunteer.solicitations_left is None or volunteer.solicitations_left > 0
    ]


@dataclass(frozen=True)
class BatchPlan:
    assignments: Assignments
    scores: Mapping[tuple[int, int], int]  # (mission id, volunteer id) → score, chosen pairs
    eligible: Mapping[int, int]  # mission id → number of eligible volunteers


def solve_batch(
    missions: Sequence[MissionData], volunteers: Sequence[VolunteerData], *, today: datetime.date
) -> Assignments:
    """Mission id → volunteer ids of the best assignment (see `plan_batch`)."""
    return plan_batch(missions, volunteers, today=today).assignments


def plan_batch(
    missions: Sequence[MissionData], volunteers: Sequence[VolunteerData], *, today: datetime.date
) -> BatchPlan:
    """The assignment of greatest total score under every hard constraint and capacity.

    One binary variable per eligible (mission, volunteer) pair, so nobody fills two places of
    the same mission; at most `places_left` per mission; at most the remaining capacity per
    volunteer and calendar month; at most `solicitations_left` proposals per volunteer (every
    proposal of the batch is made this month, whatever the mission's month); at most one of
    two missions of a volunteer that overlap in time. The limits are constraints of the
    optimisation, not filters applied afterwards (which loses the optimum). Without the last
    family the matrix is close to a bipartite incidence matrix and the linear relaxation is
    nearly always integral; HiGHS (scipy's `milp`) solves it exactly either way.
    """
    result: Assignments = {mission.id: [] for mission in missions}
    pairs = scored_pairs(missions, volunteers, today)
    eligible = Counter(mission.id for mission, _volunteer, _points in pairs)
    if not pairs:
        return BatchPlan(result, {}, eligible)

    rows: list[list[int]] = []
    upper: list[int] = []
    by_mission: dict[int, list[int]] = defaultdict(list)
    by_volunteer_month: dict[tuple[int, Month], list[int]] = defaultdict(list)
    by_volunteer_day: dict[tuple[int, int], list[int]] = defaultdict(list)
    by_volunteer: dict[int, list[int]] = defaultdict(list)
    volunteers_by_id: dict[int, VolunteerData] = {}
    for index, (mission, volunteer, _points) in enumerate(pairs):
        by_mission[mission.id].append(index)
        by_volunteer_month[volunteer.id, mission.month].append(index)
        by_volunteer_day[volunteer.id, mission.occurrence.weekday].append(index)
        by_volunteer[volunteer.id].append(index)
        volunteers_by_id[volunteer.id] = volunteer
    places = {mission.id: mission.places_left for mission in missions}
    for mission_id, indexes in by_mission.items():
        rows.append(indexes)
        upper.append(places[mission_id])
    for (volunteer_id, month), indexes in by_volunteer_month.items():
        capacity = volunteers_by_id[volunteer_id].capacity(month)
        if capacity < len(indexes):
            rows.append(indexes)
            upper.append(capacity)
    for volunteer_id, indexes in by_volunteer.items():
        left = volunteers_by_id[volunteer_id].solicitations_left
        if left is not None and left < len(indexes):
            rows.append(indexes)
            upper.append(left)
    for indexes in by_volunteer_day.values():  # only missions on the same weekday can clash
        for first, second in combinations(indexes, 2):
            if pairs[first][0].occurrence.clashes_with(pairs[second][0].occurrence):
                rows.append([first, second])
                upper.append(1)

    row_ids = [row for row, indexes in enumerate(rows) for _index in indexes]
    column_ids = [index for indexes in rows for index in indexes]
    matrix = sparse.csr_array(
        (np.ones(len(column_ids)), (row_ids, column_ids)), shape=(len(rows), len(pairs))
    )
    costs = -np.array([points for _m, _v, points in pairs], dtype=float)
    limits = np.array(upper, dtype=float)
    # The linear relaxation first (dual simplex, seconds at 100,000 pairs): places, monthly
    # capacities and solicitations form a network matrix, so its optimal vertex is integral
    # unless overlapping missions interfere; then the integer program settles it exactly.
    relaxed = linprog(costs, A_ub=matrix, b_ub=limits, bounds=(0, 1), method="highs-ds")
    values = relaxed.x if relaxed.success else None
    if values is None or np.any(np.minimum(values, 1 - values) > 1e-6):
        solution = milp(
            c=costs,
            constraints=LinearConstraint(matrix, -np.inf, limits),
            integrality=np.ones(len(pairs)),
            bounds=Bounds(0, 1),
        )
        if not solution.success:  # pragma: no cover - x = 0 is always feasible
            raise RuntimeError(f"Matching solver failed: {solution.message}")
        values = solution.x
    scores = {}
    for index, value in enumerate(values):
        if value > 0.5:
            mission, volunteer, points = pairs[index]
            result[mission.id].append(volunteer.id)
            scores[mission.id, volunteer.id] = points
    return BatchPlan(result, scores, eligible)


def solve_greedy(
    missions: Sequence[MissionData], volunteers: Sequence[VolunteerData], *, today: datetime.date
) -> Assignments:
    """The baseline: one mission after another, in the given order, best candidate first."""
    result: Assignments = {mission.id: [] for mission in missions}
    used: Counter[tuple[int, Month]] = Counter()
    asked: Counter[int] = Counter()
    taken: dict[int, list[Occurrence]] = defaultdict(list)
    ranked: dict[int, list[tuple[int, VolunteerData]]] = defaultdict(list)
    for mission, volunteer, points in scored_pairs(missions, volunteers, today):
        ranked[mission.id].append((points, volunteer))
    for mission in missions:
        candidates = sorted(ranked[mission.id], key=lambda pair: (-pair[0], pair[1].id))
        for _points, volunteer in candidates:
            if len(result[mission.id]) >= mission.places_left:
                break
            if used[volunteer.id, mission.month] >= volunteer.capacity(mission.month):
                continue
            if volunteer.solicitations_left is not None and (
                asked[volunteer.id] >= volunteer.solicitations_left
            ):
                continue
            if any(mission.occurrence.clashes_with(other) for other in taken[volunteer.id]):
                continue
            result[mission.id].append(volunteer.id)
            used[volunteer.id, mission.month] += 1
            asked[volunteer.id] += 1
            taken[volunteer.id].append(mission.occurrence)
    return result


def total_score(
    assignments: Mapping[int, Sequence[int]],
    missions: Sequence[MissionData],
    volunteers: Sequence[VolunteerData],
    *,
    today: datetime.date,
) -> int:
    missions_by_id = {mission.id: mission for mission in missions}
    volunteers_by_id = {volunteer.id: volunteer for volunteer in volunteers}
    return sum(
        score(missions_by_id[mission_id], volunteers_by_id[volunteer_id], today=today)
        for mission_id, volunteer_ids in assignments.items()
        for volunteer_id in volunteer_ids
    )
