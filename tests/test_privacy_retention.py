"""The retention job (`volontaires.apply_retention`, daily): residents anonymised 24 months
after their requests' last activity; volunteers warned by e-mail one month before their
account is anonymised for 24 months without activity, once, and any activity (a login...)
starts the clock again; the access log's rows go after 12 months. On the demo (2020–2021
campaign) the old residents are anonymised and the figures do not move."""

from __future__ import annotations

import datetime
import socket
import zoneinfo
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from solidaren.demo import DEMO_EMAIL_DOMAIN
from solidaren.models import User
from tests.factories import (
    AssignmentFactory,
    EnrolmentFactory,
    MembershipFactory,
    MissionFactory,
    MissionTypeFactory,
    ProgrammeFactory,
    ResidentFactory,
)
from tests.test_privacy_resident import rows_containing
from tests.test_volontaires_figures import SOURCE_FIGURES
from tests.test_volontaires_volunteer import make_volunteer
from volontaires import tasks
from volontaires.accounts import anonymise_account
from volontaires.enrolments import change_enrolment_status
from volontaires.figures import programme_figures
from volontaires.models import (
    AssignmentStatus,
    EnrolmentStatus,
    MissionStatus,
    Programme,
    Resident,
    ResidentAccessLog,
    ResidentAccessSource,
    VolunteerProfile,
)
from volontaires.retention import add_months, apply_retention

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@pytest.fixture
def unused_tcp_port() -> int:
    """A local port nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def on(day: datetime.date, hour: int = 4):
    """The job runs at night (beat, 3:30)."""
    return time_machine.travel(
        datetime.datetime.combine(day, datetime.time(hour), PARIS), tick=False
    )


def run_on(day: datetime.date):
    with on(day):
        return apply_retention()


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (datetime.date(2024, 1, 31), 1, datetime.date(2024, 2, 29)),
        (datetime.date(2026, 3, 31), -1, datetime.date(2026, 2, 28)),
        (datetime.date(2026, 12, 15), 1, datetime.date(2027, 1, 15)),
        (datetime.date(2026, 1, 15), -13, datetime.date(2024, 12, 15)),
        (datetime.date(2024, 11, 5), 24, datetime.date(2026, 11, 5)),
    ],
)
def test_months_are_calendar_months(day, months, expected):
    assert add_months(day, months) == expected


def test_the_job_runs_daily_under_its_name():
    [entry] = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "volontaires.apply_retention"
    ]
    assert entry["schedule"].hour == {3} and entry["schedule"].minute == {30}
    assert tasks.apply_retention.name == "volontaires.apply_retention"


# --- Residents -----------------------------------------------------------------------------


@pytest.fixture
def helped(db):
    """A resident who called on 10 January 2024, helped on 5 November 2024 (last activity)."""
    programme = ProgrammeFactory(start_date=datetime.date(2024, 1, 1))
    errands = MissionTypeFactory()
    with on(datetime.date(2024, 1, 10), hour=11):
        resident = ResidentFactory(
            programme=programme, first_name="Ronan", last_name="Quémeneur", phone="02 99 31 31 31"
        )
        volunteer = make_volunteer(programme, [errands])
    mission = MissionFactory(
        programme=programme,
        mission_type=errands,
        resident=resident,
        date=datetime.date(2024, 11, 5),
        status=MissionStatus.DONE,
    )
    AssignmentFactory(
        mission=mission,
        volunteer=volunteer,
        status=AssignmentStatus.DONE,
        proposed_at=datetime.datetime(2024, 10, 30, 9, tzinfo=PARIS),
        answered_at=datetime.datetime(2024, 10, 30, 18, tzinfo=PARIS),
        done_on=datetime.date(2024, 11, 5),
    )
    return {"programme": programme, "resident": resident, "errands": errands}


def test_a_resident_is_anonymised_24_months_after_the_last_activity(helped):
    resident = helped["resident"]

    kept = run_on(datetime.date(2026, 11, 4))
    resident.refresh_from_db()
    assert kept.residents_anonymised == 0 and resident.anonymised_at is None

    erased = run_on(datetime.date(2026, 11, 5))
    resident.refresh_from_db()
    assert erased.residents_anonymised == 1
    assert resident.anonymised_at is not None and resident.phone == ""
    assert rows_containing("Quémeneur") == [] and rows_containing("02 99 31 31 31") == []
    assert resident.missions.get().status == MissionStatus.DONE  # still counted

    assert run_on(datetime.date(2026, 11, 6)).residents_anonymised == 0  # once


def test_a_new_mission_starts_the_residents_clock_again(helped):
    resident = helped["resident"]
    MissionFactory(
        programme=helped["programme"],
        mission_type=helped["errands"],
        resident=resident,
        date=datetime.date(2026, 10, 20),
    )

    run_on(datetime.date(2026, 11, 5))
    resident.refresh_from_db()
    assert resident.anonymised_at is None

    run_on(datetime.date(2028, 10, 20))
    resident.refresh_from_db()
    assert resident.anonymised_at is not None


def test_a_running_weekly_mission_keeps_the_resident(helped):
    resident = helped["resident"]
    MissionFactory(
        programme=helped["programme"],
        mission_type=helped["errands"],
        resident=resident,
        date=None,
        recurrence_weekday=2,
        status=MissionStatus.FULL,
    )

    run_on(datetime.date(2029, 1, 10))
    resident.refresh_from_db()
    assert resident.anonymised_at is None


# --- Volunteers ----------------------------------------------------------------------------


@pytest.fixture
def quiet(db, django_capture_on_commit_callbacks):
    """A volunteer of a running programme who signed up on 1 June 2024 and last logged in on
    1 December 2024, 10:00; their account was once changed in the back-office."""
    programme = ProgrammeFactory(start_date=datetime.date(2024, 1, 1))
    with on(datetime.date(2024, 6, 1), hour=10):
        profile = make_volunteer(
            programme, [MissionTypeFactory()], email="maiwenn.quiet@exemple.fr"
        )
        profile.user.first_name, profile.user.last_name = "Maïwenn", "Le Bihan-Quiet"
        profile.user.date_joined = datetime.datetime(2024, 6, 1, 10, tzinfo=PARIS)
        profile.user.save()
    User.objects.filter(pk=profile.user_id).update(
        last_login=datetime.datetime(2024, 12, 1, 10, tzinfo=PARIS)
    )
    LogEntry.objects.log_actions(
        MembershipFactory().user_id, [profile.user], CHANGE, change_message=[]
    )
    return profile


def warnings_to(address: str) -> list:
    return [message for message in mail.outbox if message.to == [address]]


def test_the_volunteer_is_warned_once_a_month_before_then_anonymised(quiet):
    """GIVEN a volunteer last seen on 1 December 2024 WHEN the job runs every day THEN they are
    warned on 1 November 2026 (once), kept until 30 November and anonymised on 1 December."""
    address = "maiwenn.quiet@exemple.fr"

    assert run_on(datetime.date(2026, 10, 31)).volunteers_warned == 0
    assert warnings_to(address) == []

    assert run_on(datetime.date(2026, 11, 1)).volunteers_warned == 1
    [warning] = warnings_to(address)
    assert "1 décembre 2026" in warning.subject
    assert "Bonjour Maïwenn" in warning.body and "1 décembre 2024" in warning.body
    assert settings.SITE_URL + reverse("account_login") in warning.body
    quiet.refresh_from_db()
    assert timezone_day(quiet.retention_warned_at) == datetime.date(2026, 11, 1)

    for day in (datetime.date(2026, 11, 2), datetime.date(2026, 11, 30)):
        report = run_on(day)
        assert (report.volunteers_warned, report.volunteers_anonymised) == (0, 0), day
    assert len(warnings_to(address)) == 1
    assert User.objects.get(pk=quiet.user_id).is_active

    assert run_on(datetime.date(2026, 12, 1)).volunteers_anonymised == 1
    user = User.objects.get(pk=quiet.user_id)
    assert (user.email, user.first_name, user.is_active) == (
        f"supprime-{user.pk}@anonyme.invalid",
        "",
        False,
    )
    assert quiet.enrolments.get().status == EnrolmentStatus.WITHDRAWN  # a running programme
    assert rows_containing("Le Bihan-Quiet") == []  # back-office history included
    assert rows_containing("maiwenn.quiet@") == []
    assert run_on(datetime.date(2026, 12, 2)).volunteers_anonymised == 0


def timezone_day(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(PARIS).date()


def test_logging_in_after_the_warning_keeps_the_account_and_restarts_the_clock(client, quiet):
    run_on(datetime.date(2026, 11, 1))
    with on(datetime.date(2026, 11, 15), hour=19):
        client.force_login(quiet.user)  # a real login: it updates last_login

    report = run_on(datetime.date(2026, 12, 1))

    assert report.volunteers_anonymised == 0
    assert User.objects.get(pk=quiet.user_id).is_active
    assert run_on(datetime.date(2028, 10, 14)).volunteers_warned == 0
    assert run_on(datetime.date(2028, 10, 15)).volunteers_warned == 1  # warned again, once
    assert len(warnings_to("maiwenn.quiet@exemple.fr")) == 2


def test_a_withdrawal_is_the_last_activity_and_starts_the_clock(quiet):
    with on(datetime.date(2025, 9, 3), hour=16):
        [enrolment] = quiet.enrolments.all()
        change_enrolment_status(enrolment, EnrolmentStatus.WITHDRAWN, by=quiet.user)

    assert run_on(datetime.date(2026, 11, 1)).volunteers_warned == 0
    assert run_on(datetime.date(2027, 8, 2)).volunteers_warned == 0
    assert run_on(datetime.date(2027, 8, 3)).volunteers_warned == 1
    assert run_on(datetime.date(2027, 9, 2)).volunteers_anonymised == 0
    assert run_on(datetime.date(2027, 9, 3)).volunteers_anonymised == 1


def test_a_mission_done_is_activity_but_a_proposal_received_is_not(quiet):
    mission = MissionFactory(date=datetime.date(2025, 5, 10))
    AssignmentFactory(
        mission=mission,
        volunteer=quiet,
        status=AssignmentStatus.DONE,
        proposed_at=datetime.datetime(2025, 5, 1, 9, tzinfo=PARIS),
        answered_at=datetime.datetime(2025, 5, 1, 12, tzinfo=PARIS),
        done_on=datetime.date(2025, 5, 10),
    )
    AssignmentFactory(  # staff keep proposing; the volunteer never answers
        mission=MissionFactory(date=datetime.date(2027, 4, 20)),
        volunteer=quiet,
        status=AssignmentStatus.EXPIRED,
        proposed_at=datetime.datetime(2027, 4, 1, 9, tzinfo=PARIS),
    )

    assert run_on(datetime.date(2027, 4, 9)).volunteers_warned == 0
    assert run_on(datetime.date(2027, 4, 10)).volunteers_warned == 1
    assert run_on(datetime.date(2027, 5, 10)).volunteers_anonymised == 1


def test_a_long_inactive_volunteer_gets_a_full_month_of_notice(quiet):
    User.objects.filter(pk=quiet.user_id).update(last_login=None)
    User.objects.filter(pk=quiet.user_id).update(
        date_joined=datetime.datetime(2020, 11, 2, tzinfo=PARIS)
    )
    quiet.enrolments.update(
        signed_up_at=datetime.datetime(2020, 11, 2, tzinfo=PARIS),
        status_changed_at=datetime.datetime(2020, 11, 2, tzinfo=PARIS),
    )

    assert run_on(datetime.date(2026, 12, 2)).volunteers_warned == 1
    [warning] = warnings_to("maiwenn.quiet@exemple.fr")
    assert "2 janvier 2027" in warning.subject
    assert run_on(datetime.date(2027, 1, 1)).volunteers_anonymised == 0
    assert run_on(datetime.date(2027, 1, 2)).volunteers_anonymised == 1


def test_an_unreachable_mail_server_postpones_the_warning_and_the_anonymisation(
    quiet, settings, unused_tcp_port
):
    """GIVEN the SMTP server down on the warning day WHEN the job runs THEN nothing is recorded
    (no exception), and the volunteer is warned once it answers, with a full month left."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", unused_tcp_port
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 2

    report = run_on(datetime.date(2026, 11, 1))

    assert report.volunteers_warned == 0
    quiet.refresh_from_db()
    assert quiet.retention_warned_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert run_on(datetime.date(2026, 11, 20)).volunteers_warned == 1
    assert run_on(datetime.date(2026, 12, 19)).volunteers_anonymised == 0
    assert run_on(datetime.date(2026, 12, 20)).volunteers_anonymised == 1


def test_agents_and_coordinators_are_never_warned_nor_anonymised(quiet, agent):
    MembershipFactory(user=quiet.user)  # the volunteer now coordinates an association
    with on(datetime.date(2020, 1, 1)):
        staff_profile = make_volunteer(ProgrammeFactory(), [])
    User.objects.filter(pk=staff_profile.user_id).update(is_staff=True)

    report = run_on(datetime.date(2027, 6, 1))

    assert (report.volunteers_warned, report.volunteers_anonymised) == (0, 0)
    assert mail.outbox == []


# --- Access log ----------------------------------------------------------------------------


def test_access_log_rows_go_after_12_months(agent):
    resident = ResidentFactory()
    for moment in (
        datetime.datetime(2025, 12, 1, 23, tzinfo=PARIS),
        datetime.datetime(2025, 12, 2, 8, tzinfo=PARIS),
    ):
        ResidentAccessLog.objects.create(
            resident=resident,
            user=agent,
            source=ResidentAccessSource.STAFF_MISSION,
            path="/volontaires/agents/missions/1/",
            accessed_at=moment,
        )

    report = run_on(datetime.date(2026, 12, 2))

    assert report.access_log_entries_deleted == 1
    assert [
        entry.accessed_at.astimezone(PARIS).day for entry in ResidentAccessLog.objects.all()
    ] == [2]


# --- The demo campaign ---------------------------------------------------------------------


@pytest.mark.django_db
def test_on_the_demo_the_old_residents_are_anonymised_and_the_figures_stay(client):
    """GIVEN the demo loaded on 2 December 2026 WHEN the job runs THEN the 2020–2021 campaign's
    residents are anonymised, this year's requests are kept, the old volunteers are warned and
    anonymised a month later, and bilan.json still gives 509/405/292/171/227/398."""
    with on(datetime.date(2026, 12, 2), hour=2):
        call_command("load_demo", stdout=StringIO())
    campaign = Programme.objects.get(slug="volontaires-solidaires")
    successor = Programme.objects.get(slug="citoyennes-et-citoyens-volontaires")
    figures_url = reverse("volontaires:figures_json")
    assert client.get(figures_url).json() == SOURCE_FIGURES
    successor_sign_ups = client.get(figures_url + f"?programme={successor.slug}").json()["inscrits"]
    old_phones = list(Resident.objects.filter(programme=campaign).values_list("phone", flat=True))
    assert len(old_phones) == 171 and all(old_phones)

    with on(datetime.date(2026, 12, 2)):
        report = tasks.apply_retention.delay().get()

    assert report["residents_anonymised"] == 171
    assert not Resident.objects.filter(programme=campaign, anonymised_at__isnull=True).exists()
    assert not Resident.objects.filter(programme=campaign).exclude(phone="").exists()
    for phone in old_phones[:20]:
        assert rows_containing(phone) == [], phone
    kept = Resident.objects.filter(programme=successor, anonymised_at__isnull=True)
    assert sorted(kept.values_list("first_name", flat=True)) == ["Madeleine", "Youssef"]
    assert client.get(figures_url).json() == SOURCE_FIGURES
    assert report["volunteers_warned"] > 500  # the generated 2020–2021 volunteers
    named = VolunteerProfile.objects.filter(user__email__endswith=f"@{DEMO_EMAIL_DOMAIN}")
    assert named.filter(user__email__startswith="volontaire.", retention_warned_at=None).exists()

    with on(datetime.date(2027, 1, 3)):
        later = tasks.apply_retention.delay().get()

    assert later["volunteers_anonymised"] == report["volunteers_warned"]
    assert client.get(figures_url).json() == SOURCE_FIGURES  # ended campaign: history stays
    after = client.get(figures_url + f"?programme={successor.slug}").json()
    assert after["inscrits"] == successor_sign_ups


def test_anonymising_leaves_an_ended_programmes_figures_alone(db):
    """An enrolment in a finished campaign is history: anonymising the account (on request or
    by the retention job) withdraws it only from the programmes still running."""
    ended = ProgrammeFactory(
        start_date=datetime.date(2020, 10, 26), end_date=datetime.date(2021, 8, 31)
    )
    running = ProgrammeFactory(start_date=datetime.date(2021, 9, 1))
    with on(datetime.date(2020, 11, 2)):
        profile = make_volunteer(ended, [])
    EnrolmentFactory(volunteer=profile, programme=running)
    before = programme_figures(ended)

    with on(datetime.date(2026, 12, 2)):
        anonymise_account(profile.user)

    assert programme_figures(ended) == before
    statuses = dict(profile.enrolments.values_list("programme_id", "status"))
    assert statuses == {ended.pk: EnrolmentStatus.ACTIVE, running.pk: EnrolmentStatus.WITHDRAWN}
