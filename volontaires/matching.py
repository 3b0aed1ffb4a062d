"""Matching volunteers with missions: hard constraints, an explained score, and assignment.

The rules work on plain frozen dataclasses (`MissionData`, `VolunteerData`), so that they and
the batch solver are tested without the database. `mission_snapshots` and
`volunteer_snapshots` are the one place that reads the ORM, with a number of queries that
does not grow with the number of rows.

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
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from volontaires.models import (
    COMMITTED,
    PLACE_HOLDING,
    Assignment,
    AssignmentStatus,
    EnrolmentStatus,
    Language,
    Mission,
    MissionType,
    Quartier,
    Urgency,
    VolunteerProfile,
    Weekday,
)

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


def ineligibility_reasons(mission: MissionData, volunteer: VolunteerData) -> list[str]:
    """Why this volunteer may not take this mission, in French; empty when eligible."""
    reasons = []
    status = volunteer.programme_status.get(mission.programme_id)
    if status is None:
        reasons.append(_("N'est pas inscrit·e au programme de cette mission."))
    elif status == EnrolmentStatus.PAUSED:
        reasons.append(_("A mis son engagement en pause dans ce programme."))
    elif status == EnrolmentStatus.WITHDRAWN:
        reasons.append(_("S'est désisté·e de ce programme."))
    if mission.id in volunteer.mission_ids:
        reasons.append(_("A déjà été sollicité·e pour cette mission."))
    if mission.mission_type_id not in volunteer.mission_type_ids:
        reasons.append(
            _("N'accepte pas les missions « %(type)s ».") % {"type": mission.mission_type_name}
        )
    if mission.at_residents_home and not volunteer.verified:
        reasons.append(
            _("Mission au domicile d'un·e habitant·e : volontaire pas encore vérifié·e.")
        )
    if not any(slot.covers(mission.occurrence) for slot in volunteer.slots):
        reasons.append(_("N'est pas disponible %(when)s.") % {"when": _when(mission.occurrence)})
    if any(mission.occurrence.clashes_with(busy) for busy in volunteer.busy):
        reasons.append(_("A déjà accepté une autre mission au même moment."))
    if mission.required_language and mission.required_language not in volunteer.languages:
        reasons.append(
            _("Ne parle pas la langue requise (%(language)s).")
            % {"language": _language_name(mission, mission.required_language)}
        )
    if volunteer.capacity(mission.month) == 0:
        reasons.append(
            _("A atteint son maximum de %(max)d missions pour ce mois.")
            % {"max": volunteer.max_missions_per_month}
        )
    return reasons


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
    """Total score of an eligible volunteer (see `score_parts`)."""
    return sum(part.points for part in score_parts(mission, volunteer, today=today))


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
        if ineligibility_reasons(mission, volunteer):
            continue
        parts = score_parts(mission, volunteer, today=today)
        candidates.append(
            Candidate(volunteer.id, volunteer.name, sum(part.points for part in parts), parts)
        )
    return sorted(candidates, key=lambda candidate: (-candidate.score, candidate.volunteer_id))


# --- Assigning several missions at once ----------------------------------------------------

Assignments = dict[int, list[int]]


def _scored_pairs(
    missions: Sequence[MissionData], volunteers: Sequence[VolunteerData], today: datetime.date
) -> list[tuple[MissionData, VolunteerData, int]]:
    return [
        (mission, volunteer, score(mission, volunteer, today=today))
        for mission in missions
        if mission.places_left > 0
        for volunteer in volunteers
        if not ineligibility_reasons(mission, volunteer)
    ]


def solve_batch(
    missions: Sequence[MissionData], volunteers: Sequence[VolunteerData], *, today: datetime.date
) -> Assignments:
    """The assignment of greatest total score under every hard constraint and capacity.

    One binary variable per eligible (mission, volunteer) pair, so nobody fills two places of
    the same mission; at most `places_left` per mission; at most the remaining capacity per
    volunteer and calendar month; at most one of two missions of a volunteer that overlap in
    time. Without the last family the constraint matrix is the incidence matrix of a
    bipartite graph, totally unimodular, so the linear relaxation is already integral; HiGHS
    (scipy's `milp`) solves it exactly and keeps integrality when overlaps are present.
    """
    result: Assignments = {mission.id: [] for mission in missions}
    pairs = _scored_pairs(missions, volunteers, today)
    if not pairs:
        return result

    rows: list[list[int]] = []
    upper: list[int] = []
    by_mission: dict[int, list[int]] = defaultdict(list)
    by_volunteer_month: dict[tuple[int, Month], list[int]] = defaultdict(list)
    by_volunteer: dict[int, list[int]] = defaultdict(list)
    for index, (mission, volunteer, _points) in enumerate(pairs):
        by_mission[mission.id].append(index)
        by_volunteer_month[volunteer.id, mission.month].append(index)
        by_volunteer[volunteer.id].append(index)
    places = {mission.id: mission.places_left for mission in missions}
    capacity = {
        (volunteer.id, month): volunteer.capacity(month)
        for volunteer in volunteers
        for month in {mission.month for mission in missions}
    }
    for mission_id, indexes in by_mission.items():
        rows.append(indexes)
        upper.append(places[mission_id])
    for key, indexes in by_volunteer_month.items():
        rows.append(indexes)
        upper.append(capacity[key])
    for indexes in by_volunteer.values():
        for first, second in combinations(indexes, 2):
            if pairs[first][0].occurrence.clashes_with(pairs[second][0].occurrence):
                rows.append([first, second])
                upper.append(1)

    row_ids = [row for row, indexes in enumerate(rows) for _index in indexes]
    column_ids = [index for indexes in rows for index in indexes]
    matrix = sparse.csr_array(
        (np.ones(len(column_ids)), (row_ids, column_ids)), shape=(len(rows), len(pairs))
    )
    solution = milp(
        c=-np.array([points for _m, _v, points in pairs], dtype=float),
        constraints=LinearConstraint(matrix, -np.inf, np.array(upper, dtype=float)),
        integrality=np.ones(len(pairs)),
        bounds=Bounds(0, 1),
    )
    if not solution.success:  # pragma: no cover - x = 0 is always feasible
        raise RuntimeError(f"Matching solver failed: {solution.message}")
    for index, value in enumerate(solution.x):
        if value > 0.5:
            mission, volunteer, _points = pairs[index]
            result[mission.id].append(volunteer.id)
    return result


def solve_greedy(
    missions: Sequence[MissionData], volunteers: Sequence[VolunteerData], *, today: datetime.date
) -> Assignments:
    """The baseline: one mission after another, in the given order, best candidate first."""
    result: Assignments = {mission.id: [] for mission in missions}
    used: Counter[tuple[int, Month]] = Counter()
    taken: dict[int, list[Occurrence]] = defaultdict(list)
    volunteers_by_id = {volunteer.id: volunteer for volunteer in volunteers}
    for mission in missions:
        for candidate in rank(mission, volunteers, today=today):
            if len(result[mission.id]) >= mission.places_left:
                break
            volunteer = volunteers_by_id[candidate.volunteer_id]
            if used[volunteer.id, mission.month] >= volunteer.capacity(mission.month):
                continue
            if any(mission.occurrence.clashes_with(other) for other in taken[volunteer.id]):
                continue
            result[mission.id].append(volunteer.id)
            used[volunteer.id, mission.month] += 1
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


# --- From the database ---------------------------------------------------------------------


def mission_snapshots(
    missions: Iterable[Mission] | QuerySet, *, today: datetime.date
) -> list[MissionData]:
    """Plain data of missions, read in a fixed number of queries."""
    queryset = (
        missions
        if isinstance(missions, QuerySet)
        else Mission.objects.filter(pk__in=[mission.pk for mission in missions])
    )
    queryset = (
        queryset.select_related("mission_type", "quartier", "resident")
        .prefetch_related(Prefetch("quartier__neighbours", queryset=Quartier.objects.only("id")))
        .annotate(held_places=Count("assignments", filter=Q(assignments__status__in=PLACE_HOLDING)))
    )
    language_names = dict(Language.objects.values_list("code", "name"))
    snapshots = []
    for mission in queryset:
        snapshots.append(
            MissionData(
                id=mission.pk,
                programme_id=mission.programme_id,
                mission_type_id=mission.mission_type_id,
                mission_type_name=mission.mission_type.name,
                at_residents_home=mission.mission_type.at_residents_home,
                occurrence=Occurrence(
                    mission.weekday, mission.start_time, mission.end_time, mission.date
                ),
                month=mission.month(today),
                places_left=max(0, mission.places - mission.held_places),
                commune=mission.commune,
                quartier_id=mission.quartier_id,
                quartier_name=mission.quartier.name if mission.quartier else "",
                neighbour_quartier_ids=frozenset(
                    quartier.pk for quartier in mission.quartier.neighbours.all()
                )
                if mission.quartier
                else frozenset(),
                required_language=mission.required_language_id,
                resident_id=mission.resident_id,
                resident_language=mission.resident.language_id if mission.resident else None,
                language_names=language_names,
                urgent=mission.urgency == Urgency.URGENT,
            )
        )
    return snapshots


def volunteer_snapshots(
    volunteers: Iterable[VolunteerProfile] | QuerySet,
) -> list[VolunteerData]:
    """Plain data of volunteers with their commitments, read in a fixed number of queries."""
    queryset = (
        volunteers
        if isinstance(volunteers, QuerySet)
        else VolunteerProfile.objects.filter(pk__in=[volunteer.pk for volunteer in volunteers])
    )
    profiles = list(
        queryset.select_related("user", "quartier").prefetch_related(
            Prefetch("mission_types", queryset=MissionType.objects.only("id")),
            Prefetch("languages", queryset=Language.objects.only("code")),
            "availability_slots",
            "enrolments",
        )
    )
    history = _assignment_history([profile.pk for profile in profiles])
    snapshots = []
    for profile in profiles:
        past = history[profile.pk]
        snapshots.append(
            VolunteerData(
                id=profile.pk,
                name=profile.user.get_full_name() or profile.user.email,
                mission_type_ids=frozenset(kind.pk for kind in profile.mission_types.all()),
                slots=tuple(
                    Slot(slot.weekday, slot.start_time, slot.end_time)
                    for slot in profile.availability_slots.all()
                ),
                programme_status={
                    enrolment.programme_id: enrolment.status
                    for enrolment in profile.enrolments.all()
                },
                max_missions_per_month=profile.max_missions_per_month,
                verified=profile.is_verified,
                languages=frozenset(language.pk for language in profile.languages.all()),
                commune=profile.commune,
                quartier_id=profile.quartier_id,
                quartier_name=profile.quartier.name if profile.quartier else "",
                **past,
            )
        )
    return snapshots


def _assignment_history(volunteer_ids: list[int]) -> dict[int, dict]:
    """Per volunteer: monthly load, accepted time windows, residents helped, missions asked."""
    history: dict[int, dict] = {
        volunteer_id: {
            "missions_by_month": Counter(),
            "busy": [],
            "helped_resident_ids": set(),
            "mission_ids": set(),
            "last_done_on": None,
        }
        for volunteer_id in volunteer_ids
    }
    rows = Assignment.objects.filter(volunteer_id__in=volunteer_ids).values_list(
        "volunteer_id",
        "mission_id",
        "status",
        "answered_at",
        "proposed_at",
        "done_on",
        "mission__date",
        "mission__recurrence_weekday",
        "mission__start_time",
        "mission__end_time",
        "mission__resident_id",
    )
    for (
        volunteer_id,
        mission_id,
        status,
        answered_at,
        proposed_at,
        done_on,
        date,
        recurrence_weekday,
        start,
        end,
        resident_id,
    ) in rows:
        entry = history[volunteer_id]
        entry["mission_ids"].add(mission_id)
        if status not in COMMITTED:
            continue
        day = date or timezone.localdate(answered_at or proposed_at)
        entry["missions_by_month"][day.year, day.month] += 1
        if resident_id is not None:
            entry["helped_resident_ids"].add(resident_id)
        if status == AssignmentStatus.ACCEPTED:
            weekday = date.weekday() if date else recurrence_weekday
            entry["busy"].append(Occurrence(weekday, start, end, date))
        elif done_on and (entry["last_done_on"] is None or done_on > entry["last_done_on"]):
            entry["last_done_on"] = done_on
    return {
        volunteer_id: {
            "missions_by_month": dict(entry["missions_by_month"]),
            "busy": tuple(entry["busy"]),
            "helped_resident_ids": frozenset(entry["helped_resident_ids"]),
            "mission_ids": frozenset(entry["mission_ids"]),
            "last_done_on": entry["last_done_on"],
        }
        for volunteer_id, entry in history.items()
    }


def _today(today: datetime.date | None) -> datetime.date:
    return today or timezone.localdate()


def eligibility(
    mission: Mission, volunteer: VolunteerProfile, *, today: datetime.date | None = None
) -> list[str]:
    """The French reasons why `volunteer` may not take `mission`; empty when eligible."""
    [mission_data] = mission_snapshots([mission], today=_today(today))
    [volunteer_data] = volunteer_snapshots([volunteer])
    return ineligibility_reasons(mission_data, volunteer_data)


def rank_candidates(
    mission: Mission,
    volunteers: Iterable[VolunteerProfile] | QuerySet | None = None,
    *,
    today: datetime.date | None = None,
) -> list[Candidate]:
    """Eligible volunteers for `mission`, best first, each with an explained score.

    By default, every volunteer active in the mission's programme.
    """
    if volunteers is None:
        volunteers = VolunteerProfile.objects.filter(
            enrolments__programme_id=mission.programme_id,
            enrolments__status=EnrolmentStatus.ACTIVE,
        )
    [mission_data] = mission_snapshots([mission], today=_today(today))
    return rank(mission_data, volunteer_snapshots(volunteers), today=_today(today))


def _as_data(
    missions: Iterable[Mission | MissionData] | QuerySet,
    volunteers: Iterable[VolunteerProfile | VolunteerData] | QuerySet,
    today: datetime.date,
) -> tuple[list[MissionData], list[VolunteerData]]:
    """Plain data from model instances or querysets; plain data is passed through."""
    if isinstance(missions, QuerySet):
        mission_data = mission_snapshots(missions, today=today)
    else:
        items = list(missions)
        models = [item for item in items if isinstance(item, Mission)]
        by_id = {data.id: data for data in mission_snapshots(models, today=today)} if models else {}
        mission_data = [by_id[item.pk] if isinstance(item, Mission) else item for item in items]
    if isinstance(volunteers, QuerySet):
        volunteer_data = volunteer_snapshots(volunteers)
    else:
        items = list(volunteers)
        profiles = [item for item in items if isinstance(item, VolunteerProfile)]
        by_id = {data.id: data for data in volunteer_snapshots(profiles)} if profiles else {}
        volunteer_data = [
            by_id[item.pk] if isinstance(item, VolunteerProfile) else item for item in items
        ]
    return mission_data, volunteer_data


def assign_batch(
    missions: Iterable[Mission | MissionData] | QuerySet,
    volunteers: Iterable[VolunteerProfile | VolunteerData] | QuerySet,
    *,
    today: datetime.date,
) -> Assignments:
    """Mission id → volunteer ids maximising the total score (see `solve_batch`)."""
    mission_data, volunteer_data = _as_data(missions, volunteers, today)
    return solve_batch(mission_data, volunteer_data, today=today)


def assign_greedy(
    missions: Iterable[Mission | MissionData] | QuerySet,
    volunteers: Iterable[VolunteerProfile | VolunteerData] | QuerySet,
    *,
    today: datetime.date,
) -> Assignments:
    """Mission id → volunteer ids, one mission after another (the comparison baseline)."""
    mission_data, volunteer_data = _as_data(missions, volunteers, today)
    return solve_greedy(mission_data, volunteer_data, today=today)
