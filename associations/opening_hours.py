"""Opening hours in the OpenStreetMap `opening_hours` format (the data·inclusion v1 format).

Expressions are parsed by `opening-hours-py` (a maintained Rust parser), which also knows the
French public holidays (`PH`, Easter-based ones included) when given the country. Instants are
read in Paris local time, the time the expressions are written in. Pure functions: no ORM.
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

PARIS = ZoneInfo("Europe/Paris")
COUNTRY = "FR"


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
