"""The private calendar feed of a volunteer's accepted and done missions (RFC 5545)."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    AssignmentFactory,
    MissionFactory,
    MissionTypeFactory,
    ProgrammeFactory,
    QuartierFactory,
)
from tests.test_volontaires_volunteer import make_volunteer, messages_of, next_weekday
from volontaires import ical


def unfold(text: str) -> list[str]:
    """The content lines of a feed (RFC 5545 §3.1 unfolding)."""
    return text.replace("\r\n ", "").split("\r\n")


@pytest.fixture
def programme(db):
    return ProgrammeFactory(
        start_date=datetime.date(2026, 1, 1), end_date=datetime.date(2027, 6, 30)
    )


@pytest.fixture
def sorting(db):
    return MissionTypeFactory(name="Tri, rangement; accueil")


@pytest.fixture
def volunteer(programme, sorting):
    return make_volunteer(programme, [sorting])


@pytest.fixture
def missions(programme, sorting, volunteer):
    """An accepted dated call, a done one, an accepted weekly one and a mere proposal."""
    quartier = QuartierFactory(name="Le Blosne")
    dated = MissionFactory(
        programme=programme,
        mission_type=sorting,
        title="Journée de tri, banque alimentaire; équipe du matin",
        place="Halle Sud",
        quartier=quartier,
        date=next_weekday(5),
        start_time=datetime.time(9, 30),
        end_time=datetime.time(12),
    )
    done = MissionFactory(programme=programme, mission_type=sorting, title="Fête de la soupe")
    weekly = MissionFactory(
        programme=programme,
        mission_type=sorting,
        title="Atelier du mardi",
        date=None,
        recurrence_weekday=1,
        start_time=datetime.time(18),
        end_time=datetime.time(19, 30),
    )
    proposed = MissionFactory(programme=programme, mission_type=sorting, title="Pas encore")
    AssignmentFactory(mission=dated, volunteer=volunteer, status="acceptee")
    AssignmentFactory(
        mission=done, volunteer=volunteer, status="realisee", done_on=datetime.date(2026, 3, 2)
    )
    AssignmentFactory(
        mission=weekly,
        volunteer=volunteer,
        status="acceptee",
        answered_at=timezone.make_aware(datetime.datetime(2026, 11, 5, 12)),  # a Thursday
    )
    AssignmentFactory(mission=proposed, volunteer=volunteer, status="proposee")
    return {"dated": dated, "done": done, "weekly": weekly}


def test_the_volunteer_gets_a_secret_address_and_can_replace_it(client, volunteer):
    client.force_login(volunteer.user)
    page = client.get(reverse("volontaires:my_space")).content.decode()
    assert "Obtenir mon adresse d&#x27;agenda" in page or "Obtenir mon adresse d'agenda" in page

    response = client.post(reverse("volontaires:calendar_token"))

    volunteer.refresh_from_db()
    first = volunteer.ical_token
    assert len(first) >= 40
    assert response.url == reverse("volontaires:my_space") + "#agenda"
    assert "Votre adresse d'agenda est prête : copiez-la ci-dessous." in messages_of(response)
    page = client.get(reverse("volontaires:my_space")).content.decode()
    assert f"{settings.SITE_URL}/volontaires/calendrier/{first}.ics" in page

    response = client.post(reverse("volontaires:calendar_token"))

    volunteer.refresh_from_db()
    assert volunteer.ical_token != first
    client.logout()
    assert client.get(reverse("volontaires:calendar_feed", args=[first])).status_code == 404
    feed = client.get(reverse("volontaires:calendar_feed", args=[volunteer.ical_token]))
    assert feed.status_code == 200  # calendar applications have no session


def test_the_feed_lists_accepted_and_done_missions(client, volunteer, missions):
    token = ical.regenerate_token(volunteer)

    response = client.get(reverse("volontaires:calendar_feed", args=[token]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    text = response.content.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")  # CRLF only
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    lines = unfold(text)
    assert lines.count("BEGIN:VEVENT") == 3
    assert "BEGIN:VTIMEZONE" in lines and "TZID:Europe/Paris" in lines
    summaries = [line for line in lines if line.startswith("SUMMARY:")]
    assert summaries == [
        "SUMMARY:Fête de la soupe",
        "SUMMARY:Journée de tri\\, banque alimentaire\\; équipe du matin",
        "SUMMARY:Atelier du mardi",
    ]
    assert "Pas encore" not in text
    day = missions["dated"].date.strftime("%Y%m%d")
    assert f"DTSTART;TZID=Europe/Paris:{day}T093000" in lines
    assert f"DTEND;TZID=Europe/Paris:{day}T120000" in lines
    assert "LOCATION:Halle Sud\\, Le Blosne\\, Rennes" in lines
    assert "CATEGORIES:Tri\\, rangement\\; accueil" in lines
    assert "DESCRIPTION:Type : Tri\\, rangement\\; accueil" in lines


def test_a_weekly_mission_is_a_weekly_rule(client, volunteer, missions):
    token = ical.regenerate_token(volunteer)

    lines = unfold(client.get(reverse("volontaires:calendar_feed", args=[token])).content.decode())

    # First Tuesday after the acceptance (Thursday 5 November 2026), until the programme ends
    # (30 June 2027, end of day in Paris = 21:59:59 UTC in summer).
    assert "DTSTART;TZID=Europe/Paris:20261110T180000" in lines
    assert "DTEND;TZID=Europe/Paris:20261110T193000" in lines
    assert "RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20270630T215959Z" in lines


def test_wrong_tokens_and_closed_accounts_get_a_404(client, volunteer, missions):
    token = ical.regenerate_token(volunteer)

    assert client.get(reverse("volontaires:calendar_feed", args=["inconnu"])).status_code == 404
    volunteer.user.is_active = False
    volunteer.user.save()
    assert client.get(reverse("volontaires:calendar_feed", args=[token])).status_code == 404


def test_text_escaping_and_folding():
    assert ical.escape_text('a\\b;c,d\r\ne\nf"') == 'a\\\\b\\;c\\,d\\ne\\nf"'
    line = "SUMMARY:" + "é" * 60 + "x" * 30
    folded = ical.fold(line)
    parts = folded.split("\r\n")
    assert len(parts) > 1
    assert all(len(part.encode()) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert folded.replace("\r\n ", "") == line
    for part in parts:
        part.encode().decode()  # never cut inside a UTF-8 character
