"""Loading matching data from the database: only the plausible candidates, best bound first.

`volontaires/matching.py` holds the pure rules (eligibility, explained score, batch solver) on
plain dataclasses; this module is the one place that reads the ORM for them. The hard
constraints become SQL filters (`plausible_volunteers`): active in the programme, mission type
accepted, an availability slot covering the time, the required language, verified for a
resident's home, not already asked for this mission, under the monthly maximum for dated
missions. They never exclude an eligible volunteer: the rules of `matching` still run on every
row read (clashes with accepted missions, weekly missions in the monthly count...), so results
are those of the rules on every volunteer, which tests compare on the crafted cases.

Ranking one mission reads the plausible volunteers' ids with an upper bound of their score
computed in SQL (`_score_bound`: proximity, continuity, language, load, recent activity), in
one query; snapshots and scores are then built by chunks in the order of the bounds, stopping
once the top is better than every bound left, so that a mission among 100,000 volunteers
reads a few dozen of them rather than a whole commune.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db.models import (
    Aggregate,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import (
    Cast,
    Ceil,
    Coalesce,
    Concat,
    ExtractHour,
    ExtractMinute,
)
from django.utils import timezone

from volontaires.matching import (
    POINTS_AVAILABILITY,
    POINTS_CONTINUITY,
    POINTS_LANGUAGE,
    POINTS_LOAD,
    POINTS_NEIGHBOUR_QUARTIER,
    POINTS_RECENT_ACTIVITY,
    POINTS_SAME_COMMUNE,
    POINTS_SAME_QUARTIER,
    POINTS_TYPE,
    POINTS_URGENT,
    RECENT_ACTIVITY_DAYS,
    Assignments,
    Candidate,
    MissionData,
    Occurrence,
    Slot,
    VolunteerData,
    broken_rules,
    ineligibility_reasons,
    rank,
    score,
    score_parts,
    solve_batch,
    solve_greedy,
)
from volontaires.models import (
    COMMITTED,
    PLACE_HOLDING,
    Assignment,
    AssignmentSource,
    AssignmentStatus,
    AvailabilitySlot,
    Enrolment,
    EnrolmentStatus,
    Mission,
    Quartier,
    Urgency,
    VolunteerProfile,
)

# Proposals counting in the monthly solicitation limit (staff's and the batch's).
SOLICITING_SOURCES = [AssignmentSource.STAFF, AssignmentSource.BATCH]

# Distance classes, nearest first: the order of the volunteers left out of a mission.
SAME_QUARTIER, NEIGHBOUR, SAME_COMMUNE, ELSEWHERE = range(4)


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
        queryset.select_related(
            "mission_type", "quartier", "required_language", "resident__language"
        )
        .prefetch_related(Prefetch("quartier__neighbours", queryset=Quartier.objects.only("id")))
        .annotate(held_places=Count("assignments", filter=Q(assignments__status__in=PLACE_HOLDING)))
    )
    snapshots = []
    for mission in queryset:
        # The names the reasons and the score may show: the required and the resident's.
        language_names = {
            language.code: language.name
            for language in (
                mission.required_language,
                mission.resident and mission.resident.language,
            )
            if language is not None
        }
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


def rules_snapshot(
    mission: Mission, *, today: datetime.date, language_names: dict[str, str]
) -> MissionData:
    """Plain data of a mission already read with its type, enough for the hard constraints
    (`matching.broken_rules`) but not for the score: no query (lists of missions)."""
    return MissionData(
        id=mission.pk,
        programme_id=mission.programme_id,
        mission_type_id=mission.mission_type_id,
        mission_type_name=mission.mission_type.name,
        at_residents_home=mission.mission_type.at_residents_home,
        occurrence=Occurrence(mission.weekday, mission.start_time, mission.end_time, mission.date),
        month=mission.month(today),
        commune=mission.commune,
        quartier_id=mission.quartier_id,
        required_language=mission.required_language_id,
        resident_id=mission.resident_id,
        language_names=language_names,
        urgent=mission.urgency == Urgency.URGENT,
    )


def volunteer_snapshots(
    volunteers: Iterable[VolunteerProfile] | QuerySet,
    *,
    solicitations_on: datetime.date | None = None,
) -> list[VolunteerData]:
    """Plain data of volunteers with their commitments, read in a fixed number of queries."""
    queryset = (
        volunteers
        if isinstance(volunteers, QuerySet)
        else VolunteerProfile.objects.filter(pk__in=[volunteer.pk for volunteer in volunteers])
    )
    # Plain rows, no model instances nor prefetch machinery: 8,500 volunteers of a batch in
    # well under a second instead of eleven. Types, languages, slots and enrolments come in
    # the same rows, joined as text: four round trips fewer on every page that ranks.
    profiles = list(
        queryset.annotate(
            type_ids=_joined(
                VolunteerProfile.mission_types.through, "volunteerprofile_id", "missiontype_id"
            ),
            language_codes=_joined(
                VolunteerProfile.languages.through, "volunteerprofile_id", "language_id"
            ),
            slot_rows=_joined(
                AvailabilitySlot, "volunteer_id", "weekday", "start_time", "end_time"
            ),
            enrolment_rows=_joined(Enrolment, "volunteer_id", "programme_id", "status"),
        ).values_list(
            "pk",
            "user__first_name",
            "user__last_name",
            "user__email",
            "max_missions_per_month",
            "max_solicitations_per_month",
            "is_verified",
            "commune",
            "quartier_id",
            "quartier__name",
            "type_ids",
            "language_codes",
            "slot_rows",
            "enrolment_rows",
        )
    )
    ids = [row[0] for row in profiles]
    history = _assignment_history(ids)
    used = (
        solicitations_by_volunteer(ids, today=solicitations_on)
        if solicitations_on is not None
        else {}
    )
    snapshots = []
    for (
        pk,
        first_name,
        last_name,
        email,
        max_missions,
        max_solicitations,
        verified,
        commune,
        quartier_id,
        quartier_name,
        type_ids,
        language_codes,
        slot_rows,
        enrolment_rows,
    ) in profiles:
        left = None
        if solicitations_on is not None:
            limit = (
                max_solicitations
                if max_solicitations is not None
                else settings.VOLUNTEER_MAX_SOLICITATIONS_PER_MONTH
            )
            left = max(0, limit - used.get(pk, 0))
        snapshots.append(
            VolunteerData(
                id=pk,
                name=f"{first_name} {last_name}".strip() or email,
                mission_type_ids=frozenset(int(value) for value in _split(type_ids)),
                slots=tuple(
                    sorted(
                        (
                            Slot(int(weekday), _time(start), _time(end))
                            for weekday, start, end in _split(slot_rows, fields=3)
                        ),
                        key=lambda slot: (slot.weekday, slot.start),
                    )
                ),
                programme_status={
                    int(programme_id): status
                    for programme_id, status in _split(enrolment_rows, fields=2)
                },
                max_missions_per_month=max_missions,
                verified=verified,
                languages=frozenset(_split(language_codes)),
                commune=commune,
                quartier_id=quartier_id,
                quartier_name=quartier_name or "",
                solicitations_left=left,
                **history[pk],
            )
        )
    return snapshots


# `_joined` rows: fields joined with FIELD_SEPARATOR, rows with ROW_SEPARATOR (ids, language
# codes, times and status keys never contain either).
ROW_SEPARATOR, FIELD_SEPARATOR = ";", "|"


class _JoinedText(Aggregate):
    """Text values joined with ROW_SEPARATOR: string_agg (PostgreSQL), group_concat (SQLite)."""

    function = "STRING_AGG"
    template = f"%(function)s(%(expressions)s, '{ROW_SEPARATOR}')"
    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", **extra_context)


def _joined(model, owner_field: str, *fields: str) -> Subquery:
    """The rows of `model` belonging to the outer volunteer, as one text value."""
    parts = []
    for name in fields:
        if parts:
            parts.append(Value(FIELD_SEPARATOR))
        parts.append(Cast(name, TextField()))
    value = parts[0] if len(parts) == 1 else Concat(*parts, output_field=TextField())
    rows = (
        model.objects.filter(**{owner_field: OuterRef("pk")})
        .order_by()
        .values(owner_field)
        .annotate(joined=_JoinedText(value))
        .values("joined")
    )
    return Subquery(rows, output_field=TextField())


def _split(joined: str | None, *, fields: int = 1) -> list:
    """The rows `_joined` made: values, or tuples of `fields` values."""
    if not joined:
        return []
    rows = joined.split(ROW_SEPARATOR)
    return rows if fields == 1 else [tuple(row.split(FIELD_SEPARATOR, fields - 1)) for row in rows]


def _time(text: str) -> datetime.time:
    return datetime.time.fromisoformat(text)


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


def _today(today: datetime.date | None) -> datetime.date:
    return today or timezone.localdate()


def solicitations_by_volunteer(volunteer_ids, *, today: datetime.date) -> dict[int, int]:
    """Per volunteer, the proposals made by staff or the batch this calendar month (the figure
    the monthly limit is checked against)."""
    rows = (
        Assignment.objects.filter(
            volunteer_id__in=list(volunteer_ids),
            source__in=SOLICITING_SOURCES,
            proposed_at__year=today.year,
            proposed_at__month=today.month,
        )
        .values("volunteer_id")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {row["volunteer_id"]: row["count"] for row in rows}


def _month_bounds(month: tuple[int, int]) -> tuple[datetime.date, datetime.date]:
    year, number = month
    first = datetime.date(year, number, 1)
    following = datetime.date(year + number // 12, number % 12 + 1, 1)
    return first, following


def plausible_volunteers(mission: MissionData) -> QuerySet:
    """Volunteers meeting the mission's hard constraints that SQL can check (see the module
    docstring); a superset of the eligible ones, never missing one."""
    occurrence = mission.occurrence
    accepts_type = VolunteerProfile.mission_types.through.objects.filter(
        volunteerprofile_id=OuterRef("pk"), missiontype_id=mission.mission_type_id
    )
    queryset = VolunteerProfile.objects.filter(
        Exists(
            Enrolment.objects.filter(
                volunteer_id=OuterRef("pk"),
                programme_id=mission.programme_id,
                status=EnrolmentStatus.ACTIVE,
            )
        ),
        Exists(accepts_type),
        Exists(
            AvailabilitySlot.objects.filter(
                volunteer_id=OuterRef("pk"),
                weekday=occurrence.weekday,
                start_time__lte=occurrence.start,
                end_time__gte=occurrence.end,
            )
        ),
    ).exclude(Exists(Assignment.objects.filter(mission_id=mission.id, volunteer_id=OuterRef("pk"))))
    if mission.at_residents_home:
        queryset = queryset.filter(is_verified=True)
    if mission.required_language:
        queryset = queryset.filter(
            Exists(
                VolunteerProfile.languages.through.objects.filter(
                    volunteerprofile_id=OuterRef("pk"), language_id=mission.required_language
                )
            )
        )
    # Monthly maximum: dated missions of that month only (weekly ones are counted by the
    # rules in Python), so that the filter never drops an eligible volunteer.
    first, following = _month_bounds(mission.month)
    month_load = (
        Assignment.objects.filter(
            volunteer_id=OuterRef("pk"),
            status__in=COMMITTED,
            mission__date__gte=first,
            mission__date__lt=following,
        )
        .order_by()
        .values("volunteer_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return queryset.annotate(
        month_load=Coalesce(Subquery(month_load, output_field=IntegerField()), Value(0))
    ).filter(month_load__lt=F("max_missions_per_month"))


def _distance_class(mission: MissionData, helped: set[int]) -> Case:
    whens = []
    if helped:
        whens.append(When(pk__in=helped, then=Value(SAME_QUARTIER)))
    if mission.quartier_id is not None:
        whens.append(When(quartier_id=mission.quartier_id, then=Value(SAME_QUARTIER)))
    if mission.neighbour_quartier_ids:
        whens.append(When(quartier_id__in=mission.neighbour_quartier_ids, then=Value(NEIGHBOUR)))
    whens.append(When(commune=mission.commune, then=Value(SAME_COMMUNE)))
    return Case(*whens, default=Value(ELSEWHERE), output_field=IntegerField())


def _helped_volunteer_ids(mission: MissionData) -> set[int]:
    if mission.resident_id is None:
        return set()
    return set(
        Assignment.objects.filter(
            mission__resident_id=mission.resident_id, status__in=COMMITTED
        ).values_list("volunteer_id", flat=True)
    )


def top_candidates(
    mission_data: MissionData,
    *,
    today: datetime.date,
    limit: int | None,
    solicitable_on: datetime.date | None = None,
) -> list[Candidate]:
    """The `limit` best eligible volunteers (all with None), exactly as `matching.rank` on
    every volunteer would order them, reading only as many as it takes.

    The ids of the plausible volunteers come with an upper bound of their score
    (`_score_bound`); snapshots and scores are built best bound first, until nobody left
    could still beat the current top. With `solicitable_on`, volunteers who reached their
    monthly solicitation limit that month are left out too (proposing, not showing)."""
    helped = _helped_volunteer_ids(mission_data)
    plausible = plausible_volunteers(mission_data)
    if solicitable_on is not None:
        plausible = _under_solicitation_limit(plausible, solicitable_on)
    rows = _rows_by_bound(mission_data, plausible, helped, today)
    ranked = _rank_best_first(mission_data, rows, today, limit)
    # Explanations for the volunteers shown only (the others were ranked on the bare score).
    return [
        Candidate(volunteer.id, volunteer.name, -negative, parts)
        for negative, _id, volunteer in (ranked if limit is None else ranked[:limit])
        for parts in [score_parts(mission_data, volunteer, today=today)]
    ]


# (minus the score, volunteer id, data): sorts best first, lowest id first among equals.
Scored = tuple[int, int, VolunteerData]


def _score_bound(mission: MissionData, helped: set[int], today: datetime.date):
    """An upper bound of each plausible volunteer's `matching.score`, in SQL: exact for
    proximity, continuity, language and recent activity; availability and load rounded up,
    the load counting dated missions only (weekly ones can only lower it)."""
    bound = (
        POINTS_TYPE
        + (POINTS_URGENT if mission.urgent else 0)
        + (POINTS_LANGUAGE if mission.required_language else 0)
    )
    proximity = []
    if mission.quartier_id is not None:
        proximity.append(When(quartier_id=mission.quartier_id, then=Value(POINTS_SAME_QUARTIER)))
    if mission.neighbour_quartier_ids:
        proximity.append(
            When(
                quartier_id__in=mission.neighbour_quartier_ids,
                then=Value(POINTS_NEIGHBOUR_QUARTIER),
            )
        )
    proximity.append(When(commune=mission.commune, then=Value(POINTS_SAME_COMMUNE)))
    expression = Value(bound) + Case(*proximity, default=Value(0))
    # Availability: the tighter the covering slot, the more points (`matching.score`).
    occurrence = mission.occurrence
    tightest = (
        AvailabilitySlot.objects.filter(
            volunteer_id=OuterRef("pk"),
            weekday=occurrence.weekday,
            start_time__lte=occurrence.start,
            end_time__gte=occurrence.end,
        )
        .annotate(minutes=_minutes_of("end_time") - _minutes_of("start_time"))
        .order_by("minutes")
        .values("minutes")[:1]
    )
    # Rounded up by CEIL (the subquery written once, so run once per row).
    points = Value(float(POINTS_AVAILABILITY * occurrence.minutes)) / Subquery(
        tightest, output_field=IntegerField()
    )
    expression += Cast(Ceil(points), IntegerField())
    if helped and mission.resident_id is not None:
        expression += Case(When(pk__in=helped, then=Value(POINTS_CONTINUITY)), default=Value(0))
    if mission.resident_language and not mission.required_language:
        speaks = VolunteerProfile.languages.through.objects.filter(
            volunteerprofile_id=OuterRef("pk"), language_id=mission.resident_language
        )
        expression += Case(When(Exists(speaks), then=Value(POINTS_LANGUAGE)), default=Value(0))
    maximum = F("max_missions_per_month")
    expression += (Value(POINTS_LOAD) * (maximum - F("month_load")) + maximum - 1) / maximum
    recent = Assignment.objects.filter(
        volunteer_id=OuterRef("pk"),
        status=AssignmentStatus.DONE,
        done_on__gte=today - datetime.timedelta(days=RECENT_ACTIVITY_DAYS),
        done_on__lte=today,
    )
    expression += Case(When(Exists(recent), then=Value(POINTS_RECENT_ACTIVITY)), default=Value(0))
    return ExpressionWrapper(expression, output_field=IntegerField())


def _minutes_of(field: str):
    return ExtractHour(field) * 60 + ExtractMinute(field)


def _rows_by_bound(
    mission: MissionData, plausible: QuerySet, helped: set[int], today: datetime.date
) -> list[tuple[int, int]]:
    """(volunteer id, score bound) of `plausible`, highest bound first, lowest id among equals."""
    rows = plausible.annotate(bound=_score_bound(mission, helped, today)).values_list("pk", "bound")
    return list(rows.order_by("-bound", "pk"))


def _rank_best_first(
    mission_data: MissionData,
    rows: list[tuple[int, int]],
    today: datetime.date,
    limit: int | None,
) -> list[Scored]:
    """The eligible among `rows` (`_rows_by_bound`), scored by growing chunks in the order of
    their bounds, stopping once the `limit`-th score beats every bound left: nobody unread can
    enter the top (strictly: an equal score with a lower id would)."""
    if limit is None:
        return _with(mission_data, [], [pk for pk, _bound in rows], today)
    ranked: list[Scored] = []
    start, size = 0, 3 * limit
    while start < len(rows):
        chunk = rows[start : start + size]
        start += len(chunk)
        ranked = _with(mission_data, ranked, [pk for pk, _bound in chunk], today)
        if start < len(rows) and len(ranked) >= limit and -ranked[limit - 1][0] > rows[start][1]:
            break
        size *= 2
    return ranked


def _with(
    mission_data: MissionData, ranked: list[Scored], ids: list[int], today: datetime.date
) -> list[Scored]:
    snapshots = volunteer_snapshots(VolunteerProfile.objects.filter(pk__in=ids))
    scored = [
        (-score(mission_data, volunteer, today=today), volunteer.id, volunteer)
        for volunteer in snapshots
        if not broken_rules(mission_data, volunteer)
    ]
    return sorted(ranked + scored, key=lambda item: (item[0], item[1]))


def _under_solicitation_limit(queryset: QuerySet, today: datetime.date) -> QuerySet:
    solicited = (
        Assignment.objects.filter(
            volunteer_id=OuterRef("pk"),
            source__in=SOLICITING_SOURCES,
            proposed_at__year=today.year,
            proposed_at__month=today.month,
        )
        .order_by()
        .values("volunteer_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return queryset.annotate(
        solicited=Coalesce(Subquery(solicited, output_field=IntegerField()), Value(0)),
        solicitation_limit=Coalesce(
            "max_solicitations_per_month", Value(settings.VOLUNTEER_MAX_SOLICITATIONS_PER_MONTH)
        ),
    ).filter(solicited__lt=F("solicitation_limit"))


@dataclass(frozen=True)
class Excluded:
    volunteer_id: int
    name: str
    reasons: tuple[str, ...]


def excluded_volunteers(
    mission: Mission, *, today: datetime.date | None = None, limit: int = 30
) -> tuple[list[Excluded], int]:
    """Volunteers of the mission's programme that the database rules out of its candidates,
    nearest first, each with the French reasons; at most `limit` of them, and how many in all
    (the few it lets through that the rules then refuse, e.g. a clash with an accepted
    mission, are not counted: counting them would mean reading every plausible volunteer)."""
    today = _today(today)
    [mission_data] = mission_snapshots([mission], today=today)
    enrolled = VolunteerProfile.objects.filter(
        Exists(
            Enrolment.objects.filter(
                volunteer_id=OuterRef("pk"), programme_id=mission_data.programme_id
            )
        )
    ).exclude(pk__in=plausible_volunteers(mission_data).values("pk"))
    total = enrolled.count()
    nearest = (
        enrolled.annotate(distance=_distance_class(mission_data, set()))
        .order_by("distance", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    snapshots = volunteer_snapshots(VolunteerProfile.objects.filter(pk__in=list(nearest)))
    order = {pk: position for position, pk in enumerate(nearest)}
    return (
        sorted(
            (
                Excluded(data.id, data.name, tuple(ineligibility_reasons(mission_data, data)))
                for data in snapshots
            ),
            key=lambda excluded: order[excluded.volunteer_id],
        ),
        total,
    )


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
    limit: int | None = None,
) -> list[Candidate]:
    """Eligible volunteers for `mission`, best first, each with an explained score.

    By default, among every volunteer of the mission's programme, reading the plausible
    ones only (`top_candidates`); `limit` keeps the best ones.
    """
    today = _today(today)
    [mission_data] = mission_snapshots([mission], today=today)
    if volunteers is None:
        return top_candidates(mission_data, today=today, limit=limit)
    ranked = rank(mission_data, volunteer_snapshots(volunteers), today=today)
    return ranked if limit is None else ranked[:limit]


def batch_volunteers(missions: Sequence[MissionData], *, today: datetime.date) -> QuerySet:
    """Volunteers who could take at least one of `missions` and may still be solicited this
    month: active in one of their programmes, accepting one of their types, free on one of
    their weekdays (the pair-by-pair rules then run in `matching.eligible_pairs`)."""
    programme_ids = {mission.programme_id for mission in missions}
    type_ids = {mission.mission_type_id for mission in missions}
    weekdays = {mission.occurrence.weekday for mission in missions}
    queryset = VolunteerProfile.objects.filter(
        Exists(
            Enrolment.objects.filter(
                volunteer_id=OuterRef("pk"),
                programme_id__in=programme_ids,
                status=EnrolmentStatus.ACTIVE,
            )
        ),
        Exists(
            VolunteerProfile.mission_types.through.objects.filter(
                volunteerprofile_id=OuterRef("pk"), missiontype_id__in=type_ids
            )
        ),
        Exists(AvailabilitySlot.objects.filter(volunteer_id=OuterRef("pk"), weekday__in=weekdays)),
    )
    return _under_solicitation_limit(queryset, today)


def _as_data(
    missions: Iterable[Mission | MissionData] | QuerySet,
    volunteers: Iterable[VolunteerProfile | VolunteerData] | QuerySet,
    today: datetime.date,
    solicitations_on: datetime.date | None = None,
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
        volunteer_data = volunteer_snapshots(volunteers, solicitations_on=solicitations_on)
    else:
        items = list(volunteers)
        profiles = [item for item in items if isinstance(item, VolunteerProfile)]
        by_id = (
            {
                data.id: data
                for data in volunteer_snapshots(profiles, solicitations_on=solicitations_on)
            }
            if profiles
            else {}
        )
        volunteer_data = [
            by_id[item.pk] if isinstance(item, VolunteerProfile) else item for item in items
        ]
    return mission_data, volunteer_data


def assign_batch(
    missions: Iterable[Mission | MissionData] | QuerySet,
    volunteers: Iterable[VolunteerProfile | VolunteerData] | QuerySet,
    *,
    today: datetime.date,
    solicitations_on: datetime.date | None = None,
) -> Assignments:
    """Mission id → volunteer ids maximising the total score (see `matching.solve_batch`).

    With `solicitations_on`, each volunteer's solicitations left that month bound their
    proposals inside the optimisation."""
    mission_data, volunteer_data = _as_data(missions, volunteers, today, solicitations_on)
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
