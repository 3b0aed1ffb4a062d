"""A volunteer's private calendar feed (iCalendar, RFC 5545) of their accepted and done missions.

The feed is read by calendar applications without a session, through a secret token in the
URL (`VolunteerProfile.ical_token`). Calendars are often synced to third parties: an event
holds only the title, the type and the public place of the mission — for a resident's
mission, the quartier and commune, never the resident's address or phone.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from volontaires.models import Assignment, AssignmentStatus, Mission, VolunteerProfile

TZID = "Europe/Paris"
# The European summer-time rules, so that weekly events keep their local hour all year.
VTIMEZONE = [
    "BEGIN:VTIMEZONE",
    f"TZID:{TZID}",
    "BEGIN:DAYLIGHT",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "TZNAME:CEST",
    "DTSTART:19700329T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "BEGIN:STANDARD",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "TZNAME:CET",
    "DTSTART:19701025T030000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "END:VTIMEZONE",
]
ICAL_WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
IN_CALENDAR = [AssignmentStatus.ACCEPTED, AssignmentStatus.DONE]
LINE_OCTETS = 75


# --- Token ---------------------------------------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def regenerate_token(profile: VolunteerProfile) -> str:
    """A new secret: the previous address of the feed stops working."""
    profile.ical_token = new_token()
    profile.save(update_fields=["ical_token"])
    return profile.ical_token


def feed_path(profile: VolunteerProfile) -> str | None:
    if not profile.ical_token:
        return None
    return reverse("volontaires:calendar_feed", kwargs={"token": profile.ical_token})


# --- Text format ---------------------------------------------------------------------------


def escape_text(value: str) -> str:
    """TEXT value escaping (RFC 5545 §3.3.11)."""
    return (
        str(value)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Splits a content line into lines of at most 75 octets (RFC 5545 §3.1), never inside
    a UTF-8 character; continuation lines start with a space."""
    parts: list[str] = []
    current, size, limit = "", 0, LINE_OCTETS
    for char in line:
        octets = len(char.encode())
        if size + octets > limit:
            parts.append(current)
            current, size, limit = "", 0, LINE_OCTETS - 1  # the leading space counts
        current += char
        size += octets
    parts.append(current)
    return "\r\n ".join(parts)


def _local(value: datetime.datetime | datetime.date, time: datetime.time | None = None) -> str:
    if time is not None:
        value = datetime.datetime.combine(value, time)
    return value.strftime("%Y%m%dT%H%M%S")


def _utc(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


# --- Events --------------------------------------------------------------------------------


def calendar_assignments(profile: VolunteerProfile) -> QuerySet:
    return (
        Assignment.objects.filter(volunteer=profile, status__in=IN_CALENDAR)
        .select_related("mission__mission_type", "mission__quartier", "mission__programme")
        .order_by(F("mission__date").asc(nulls_last=True), "mission__start_time", "pk")
    )


def public_place(mission: Mission) -> str:
    """Where the mission takes place, as far as a calendar may say."""
    quartier = mission.quartier.name if mission.quartier else ""
    if mission.resident_id is not None:
        # `place` of a resident's mission may be their address: quartier and commune only.
        parts = [quartier, mission.commune]
    else:
        parts = [mission.place, quartier, mission.commune]
    return ", ".join(part for part in parts if part)


def _first_weekly_date(assignment: Assignment, weekday: int) -> datetime.date:
    start = timezone.localdate(assignment.answered_at or assignment.proposed_at)
    start = max(start, assignment.mission.programme.start_date)
    return start + datetime.timedelta(days=(weekday - start.weekday()) % 7)


def _weekly_until(assignment: Assignment) -> datetime.date | None:
    if assignment.status == AssignmentStatus.DONE and assignment.done_on:
        return assignment.done_on
    return assignment.mission.programme.end_date


def event_lines(assignment: Assignment, *, stamp: datetime.datetime) -> list[str]:
    mission = assignment.mission
    host = urlsplit(settings.SITE_URL).hostname or "solidaren"
    url = settings.SITE_URL + reverse("volontaires:mission_detail", kwargs={"pk": mission.pk})
    description = _("Type : %(type)s") % {"type": mission.mission_type.name}
    lines = [
        "BEGIN:VEVENT",
        f"UID:solidaren-affectation-{assignment.pk}@{host}",
        f"DTSTAMP:{_utc(stamp)}",
    ]
    if mission.date is not None:
        day = mission.date
        lines.append(f"DTSTART;TZID={TZID}:{_local(day, mission.start_time)}")
        lines.append(f"DTEND;TZID={TZID}:{_local(day, mission.end_time)}")
    else:
        day = _first_weekly_date(assignment, mission.recurrence_weekday)
        lines.append(f"DTSTART;TZID={TZID}:{_local(day, mission.start_time)}")
        lines.append(f"DTEND;TZID={TZID}:{_local(day, mission.end_time)}")
        rule = f"RRULE:FREQ=WEEKLY;BYDAY={ICAL_WEEKDAYS[mission.recurrence_weekday]}"
        until = _weekly_until(assignment)
        if until is not None:
            # With a TZID start, UNTIL is given in UTC (RFC 5545 §3.3.10): end of that day.
            last_moment = timezone.make_aware(
                datetime.datetime.combine(until, datetime.time(23, 59, 59))
            )
            rule += f";UNTIL={_utc(last_moment)}"
        lines.append(rule)
    lines += [
        f"SUMMARY:{escape_text(mission.title)}",
        f"DESCRIPTION:{escape_text(description)}",
        f"CATEGORIES:{escape_text(mission.mission_type.name)}",
        f"LOCATION:{escape_text(public_place(mission))}",
        f"URL:{url}",
        "STATUS:CONFIRMED",
        "TRANSP:OPAQUE",
        "END:VEVENT",
    ]
    return lines


def render_calendar(
    assignments: Iterable[Assignment], *, stamp: datetime.datetime | None = None
) -> str:
    """The whole feed, CRLF line endings, folded lines."""
    stamp = stamp or timezone.now()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//SolidaRen//Volontaires Solidaires//FR",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(_('Mes missions de volontaire'))}",
        f"X-WR-TIMEZONE:{TZID}",
        *VTIMEZONE,
    ]
    for assignment in assignments:
        lines += event_lines(assignment, stamp=stamp)
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def calendar_for(profile: VolunteerProfile) -> str:
    return render_calendar(calendar_assignments(profile))
