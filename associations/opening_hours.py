"""Opening hours in the OpenStreetMap `opening_hours` format (the data·inclusion v1 format).

Expressions are parsed by `opening-hours-py` (a maintained Rust parser), which also knows the
French public holidays (`PH`, Easter-based ones included) when given the country. Instants are
read in Paris local time, the time the expressions are written in. Pure functions: no ORM.
The hours per weekday in plain French (`weekly_hours`, `dated_hours` for changed hours) are
read here too, for the service page and the pocket guide.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import opening_hours
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PARIS = ZoneInfo("Europe/Paris")
COUNTRY = "FR"
# A week without public holidays: the usual hours per weekday are read on it.
REFERENCE_MONDAY = datetime.date(2025, 1, 13)
WEEKDAYS = [
    gettext_lazy("lundi"),
    gettext_lazy("mardi"),
    gettext_lazy("mercredi"),
    gettext_lazy("jeudi"),
    gettext_lazy("vendredi"),
    gettext_lazy("samedi"),
    gettext_lazy("dimanche"),
]


@lru_cache(maxsize=2048)
def parse(expression: str) -> opening_hours.OpeningHours:
    """The parsed expression (cached: the same few expressions come back on every page)."""
    return opening_hours.OpeningHours(expression, country=COUNTRY)


def is_public_holiday(day: datetime.date) -> bool:
    """A French public holiday, as the parser counts them for `PH`."""
    return parse("PH").is_open(datetime.datetime.combine(day, datetime.time(12)))


def validate_opening_hours(value: str) -> None:
    """Model and form validator: a French message when the expression does not parse."""
    if not value:
        return
    try:
        parse(value.strip())
    except (opening_hours.ParserError, SyntaxError, ValueError) as error:
        raise ValidationError(
            _(
                "Horaires illisibles : « %(value)s » n'est pas au format OpenStreetMap "
                "opening_hours (exemple : « Mo-Fr 09:00-12:00; PH off »)."
            ),
            code="invalid_opening_hours",
            params={"value": value},
        ) from error


def local_naive(moment: datetime.datetime) -> datetime.datetime:
    """The Paris wall-clock time of an instant, as the parser expects it (naive)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(PARIS)
    return moment.replace(tzinfo=None)


def is_open_at(expression: str, moment: datetime.datetime) -> bool:
    if not expression:
        return False
    return parse(expression).is_open(local_naive(moment))


def open_intervals(
    expression: str, start: datetime.datetime, end: datetime.datetime
) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """Open intervals (Paris wall-clock, naive) between two instants."""
    if not expression:
        return []
    return [
        (begin, finish)
        for begin, finish, state, _comment in parse(expression).intervals(
            local_naive(start), local_naive(end)
        )
        if state == opening_hours.State.OPEN
    ]


@dataclass(frozen=True)
class DatedHours:
    """Hours that replace the usual ones between two dates (a closure has no hours)."""

    starts_on: datetime.date
    ends_on: datetime.date
    expression: str = ""  # empty: closed on those days

    def covers(self, day: datetime.date) -> bool:
        return self.starts_on <= day <= self.ends_on


def expressions_on(
    day: datetime.date, usual: Iterable[str], exceptions: Iterable[DatedHours]
) -> list[str]:
    """The expressions in force on a day: an exception (closure or changed hours) covering the
    day wins over the usual hours (several usual ones for an itinerant service's stops)."""
    for exception in exceptions:
        if exception.covers(day):
            return [exception.expression] if exception.expression else []
    return [expression for expression in usual if expression]


def open_at(
    moment: datetime.datetime, usual: Iterable[str], exceptions: Iterable[DatedHours]
) -> bool:
    local = local_naive(moment)
    return any(
        is_open_at(expression, local)
        for expression in expressions_on(local.date(), list(usual), list(exceptions))
    )


def open_between(
    start: datetime.datetime,
    end: datetime.datetime,
    usual: Iterable[str],
    exceptions: Iterable[DatedHours],
) -> bool:
    """Open at some moment between two instants, day by day (exceptions are per day)."""
    usual, exceptions = list(usual), list(exceptions)
    start, end = local_naive(start), local_naive(end)
    day = start.date()
    while day <= end.date():
        day_start = max(start, datetime.datetime.combine(day, datetime.time()))
        day_end = min(
            end, datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
        )
        for expression in expressions_on(day, usual, exceptions):
            if day_start < day_end and open_intervals(expression, day_start, day_end):
                return True
        day += datetime.timedelta(days=1)
    return False


def hours_of_day(
    day: datetime.date, usual: Iterable[str], exceptions: Iterable[DatedHours]
) -> list[tuple[datetime.time, datetime.time]]:
    """The opening slots of one day, e.g. for "aujourd'hui : 09:00–12:00"."""
    start = datetime.datetime.combine(day, datetime.time())
    end = start + datetime.timedelta(days=1)
    slots = set()
    for expression in expressions_on(day, list(usual), list(exceptions)):
        for begin, finish in open_intervals(expression, start, end):
            slots.add((begin.time(), finish.time() if finish < end else datetime.time(23, 59)))
    return sorted(slots)


# --- in plain French (service page, pocket guide) -----------------------------------------------


def _reading_days(period: tuple[datetime.date, datetime.date] | None) -> list:
    """The day each weekday (Monday first) is read on: the reference week; for dated hours, the
    first day of that weekday in the period that is not a public holiday (a holiday if it has
    only those; None when the weekday is not in the period)."""
    if period is None:
        return [REFERENCE_MONDAY + datetime.timedelta(days=offset) for offset in range(7)]
    starts_on, ends_on = period
    usual: dict[int, datetime.date] = {}
    holidays: dict[int, datetime.date] = {}
    day = starts_on
    # Five weeks: no weekday is a public holiday five weeks running.
    while day <= min(ends_on, starts_on + datetime.timedelta(days=34)):
        if is_public_holiday(day):
            holidays.setdefault(day.weekday(), day)
        else:
            usual.setdefault(day.weekday(), day)
        day += datetime.timedelta(days=1)
    return [usual.get(weekday, holidays.get(weekday)) for weekday in range(7)]


def _slots_per_weekday(
    expressions: list[str], period: tuple[datetime.date, datetime.date] | None
) -> list[tuple[int, str]]:
    """(weekday number, "09:00–12:00, 14:00–17:00") for the weekdays it opens."""
    lines = []
    for weekday, day in enumerate(_reading_days(period)):
        slots = hours_of_day(day, expressions, []) if day else []
        if slots:
            lines.append((weekday, ", ".join(f"{begin:%H:%M}–{end:%H:%M}" for begin, end in slots)))
    return lines


def weekly_hours(expressions: list[str]) -> list[tuple[str, str]]:
    """(weekday, "09:00–12:00, 14:00–17:00") for the days it opens, in a usual week."""
    return [(WEEKDAYS[weekday], slots) for weekday, slots in _slots_per_weekday(expressions, None)]


def dated_hours(
    expression: str, starts_on: datetime.date, ends_on: datetime.date
) -> list[tuple[str, str]]:
    """Changed hours, in the words of a sentence: read on the period's own days, consecutive
    weekdays with the same slots together ("du lundi au vendredi", "samedi et dimanche")."""
    groups: list[list] = []  # [first weekday, last weekday, slots]
    for weekday, slots in _slots_per_weekday([expression], (starts_on, ends_on)):
        if groups and groups[-1][2] == slots and groups[-1][1] == weekday - 1:
            groups[-1][1] = weekday
        else:
            groups.append([weekday, weekday, slots])
    return [(_days(first, last), slots) for first, last, slots in groups]


def _days(first: int, last: int) -> str:
    names = {"first": WEEKDAYS[first], "last": WEEKDAYS[last]}
    if first == last:
        return str(WEEKDAYS[first])
    if last == first + 1:
        return _("%(first)s et %(last)s") % names
    return _("du %(first)s au %(last)s") % names
