"""End of a resident's contact for the volunteer: once the mission is done, cancelled or its
date has passed, the volunteer no longer reads the resident's first name, phone or address —
not on the mission page, not in their space, not in their data export, not in an e-mail."""

from __future__ import annotations

import datetime
import json
import zoneinfo

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from tests.factories import (
    AssignmentFactory,
    MissionFactory,
    MissionTypeFactory,
    ProgrammeFactory,
    QuartierFactory,
    ResidentFactory,
)
from tests.test_volontaires_volunteer import make_volunteer
from volontaires import proposals, tasks
from volontaires.models import AssignmentStatus, MissionStatus
from volontaires.privacy import contact_for_assignment, resident_details_for

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
# Wednesday 2 December 2026, 10:00 in Rennes; the mission is on Thursday 3 December.
NOW = datetime.datetime(2026, 12, 2, 10, 0, tzinfo=PARIS)
MISSION_DAY = datetime.date(2026, 12, 3)
FIRST_NAME, PHONE, ADDRESS = "Nolwenn", "02 99 44 55 66", "8 rue de la Visibilité"


def at(day: datetime.date, hour: int = 10):
    return time_machine.travel(
        datetime.datetime.combine(day, datetime.time(hour), PARIS), tick=False
    )


@pytest.fixture
def accepted(db):
    """A volunteer who accepted, on 2 December, Thursday's mission at a resident's home."""
    with time_machine.travel(NOW, tick=False):
        programme = ProgrammeFactory()
        errands = MissionTypeFactory(name="Portage de courses")
        resident = ResidentFactory(
            programme=programme, first_name=FIRST_NAME, phone=PHONE, address=ADDRESS
        )
        mission = MissionFactory(
            programme=programme,
            mission_type=errands,
            resident=resident,
            quartier=QuartierFactory(name="Le Blosne"),
            title="Courses du jeudi",
            place=ADDRESS,
            date=MISSION_DAY,
        )
        volunteer = make_volunteer(programme, [errands], email="nina@exemple.fr")
        assignment = AssignmentFactory(
            mission=mission, volunteer=volunteer, status=AssignmentStatus.ACCEPTED
        )
        mission.status = MissionStatus.FULL
        mission.save()
    return assignment


def pages(client, assignment) -> dict[str, str]:
    client.force_login(assignment.volunteer.user)
    return {
        "mission page": client.get(
            reverse("volontaires:mission_detail", args=[assignment.mission_id])
        ).content.decode(),
        "my space": client.get(reverse("volontaires:my_space")).content.decode(),
        "data export": json.dumps(
            json.loads(client.get(reverse("volontaires:account_export")).content),
            ensure_ascii=False,
        ),
    }


def test_before_the_mission_the_accepted_volunteer_reads_the_contact(client, accepted):
    with at(MISSION_DAY - datetime.timedelta(days=1)):
        for name, page in pages(client, accepted).items():
            assert FIRST_NAME in page and PHONE in page and ADDRESS in page, name


def test_on_the_day_of_the_mission_the_contact_is_still_there(client, accepted):
    with at(MISSION_DAY, hour=23):
        for name, page in pages(client, accepted).items():
            assert PHONE in page and ADDRESS in page, name


def test_once_the_date_has_passed_the_contact_and_the_home_address_are_gone(client, accepted):
    """GIVEN an accepted mission not declared done WHEN its date has passed THEN nothing of
    the resident is shown any more (the volunteer still sees and may declare the mission)."""
    with at(MISSION_DAY + datetime.timedelta(days=1), hour=0):
        shown = pages(client, accepted)
        assert resident_details_for(accepted.volunteer.user, accepted.mission) is None

    assert "Courses du jeudi" in shown["mission page"] and "Courses du jeudi" in shown["my space"]
    for name, page in shown.items():
        for secret in (FIRST_NAME, PHONE, ADDRESS):
            assert secret not in page, (name, secret)


def test_once_the_mission_is_done_the_contact_is_gone_the_same_day(client, accepted):
    with at(MISSION_DAY, hour=18):
        proposals.complete(
            accepted, by=accepted.volunteer.user, done_on=MISSION_DAY, duration_minutes=60
        )
        accepted.refresh_from_db()
        assert accepted.status == AssignmentStatus.DONE
        shown = pages(client, accepted)

    for name, page in shown.items():
        for secret in (FIRST_NAME, PHONE, ADDRESS):
            assert secret not in page, (name, secret)


def test_a_cancelled_mission_gives_no_contact(client, accepted):
    accepted.mission.status = MissionStatus.CANCELLED
    accepted.mission.save()

    with at(MISSION_DAY - datetime.timedelta(days=1)):
        assert contact_for_assignment(accepted) is None
        assert PHONE not in pages(client, accepted)["mission page"]


def test_a_weekly_mission_keeps_the_contact_while_it_runs(accepted):
    mission = accepted.mission
    mission.date, mission.recurrence_weekday = None, 3
    mission.save()

    with at(datetime.date(2027, 6, 1)):
        assert contact_for_assignment(accepted).phone == PHONE
        mission.status = MissionStatus.DONE
        mission.save()
        assert contact_for_assignment(accepted) is None


def test_the_reminder_the_day_before_gives_the_place_and_not_after(accepted):
    with at(MISSION_DAY - datetime.timedelta(days=1), hour=9):
        assert tasks.send_mission_reminders() == 1
    [reminder] = mail.outbox
    assert ADDRESS in reminder.body
    assert "8 rue" not in reminder.subject

    # A reminder rendered after the date (e.g. a task run late) no longer writes the address.
    with at(MISSION_DAY + datetime.timedelta(days=1), hour=9):
        tasks._send(accepted, "volontaires/email/reminder.txt", "[SolidaRen] Rappel")
    assert ADDRESS not in mail.outbox[-1].body
