"""The access log of residents' records: every read by staff writes one row (who, when, which
record, from which page — never the data); the data protection officer reads the log; agents
who are not, coordinators and volunteers cannot; nobody edits or deletes it."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse

from solidaren.access import DATA_PROTECTION_OFFICER_GROUP, is_data_protection_officer
from solidaren.demo import agents_group
from tests.factories import (
    AssignmentFactory,
    MissionFactory,
    ResidentFactory,
    UserFactory,
    give_totp,
)
from tests.test_volontaires_volunteer import make_volunteer
from volontaires.models import AssignmentStatus, ResidentAccessLog, ResidentAccessSource

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
PHONE = "02 99 55 44 33"


@pytest.fixture
def staff(agent):
    agent.groups.add(agents_group())
    return agent


@pytest.fixture
def dpo(db):
    user = UserFactory(email="dpd@ville.example.fr")
    user.groups.add(Group.objects.get(name=DATA_PROTECTION_OFFICER_GROUP))
    return user


@pytest.fixture
def record(db):
    """A resident and their mission on Monday 2 March 2026."""
    resident = ResidentFactory(first_name="Armelle", last_name="Kerjean", phone=PHONE)
    mission = MissionFactory(programme=resident.programme, resident=resident)
    return resident, mission


def log_rows():
    return list(ResidentAccessLog.objects.order_by("pk"))


@pytest.mark.parametrize(
    ("url_name", "of", "source"),
    [
        ("volontaires:staff_mission", "mission", ResidentAccessSource.STAFF_MISSION),
        ("admin:volontaires_resident_change", "resident", ResidentAccessSource.BACK_OFFICE_CHANGE),
        (
            "admin:volontaires_resident_history",
            "resident",
            ResidentAccessSource.BACK_OFFICE_HISTORY,
        ),
        ("volontaires:staff_resident_export", "resident", ResidentAccessSource.EXPORT),
        (
            "volontaires:staff_resident_erase",
            "resident",
            ResidentAccessSource.ERASURE_CONFIRMATION,
        ),
        ("volontaires:mission_detail", "mission", ResidentAccessSource.VOLUNTEER_MISSION),
    ],
)
def test_each_staff_read_of_a_record_writes_one_row(client, staff, record, url_name, of, source):
    resident, mission = record
    url = reverse(url_name, args=[mission.pk if of == "mission" else resident.pk])
    client.force_login(staff)

    before = datetime.datetime.now(datetime.UTC)
    response = client.get(url)

    assert response.status_code == 200
    [row] = log_rows()
    assert (row.user, row.resident_id, row.source, row.path) == (staff, resident.pk, source, url)
    assert row.accessed_at >= before
    for value in (row.path, row.source, str(row.resident_id)):  # never the data itself
        assert "Kerjean" not in value and PHONE not in value


def test_pages_without_a_record_write_nothing(client, staff, record):
    resident, _mission = record
    city = MissionFactory(programme=resident.programme)  # no resident
    client.force_login(staff)

    client.get(reverse("volontaires:staff_mission", args=[city.pk]))
    client.get(reverse("volontaires:staff_missions") + "?status=")
    client.get(reverse("admin:volontaires_resident_changelist"))

    assert log_rows() == []


def test_a_volunteer_reading_their_missions_contact_is_not_logged(client, record):
    resident, mission = record
    volunteer = make_volunteer(resident.programme, [mission.mission_type])
    AssignmentFactory(mission=mission, volunteer=volunteer, status=AssignmentStatus.ACCEPTED)
    client.force_login(volunteer.user)

    with time_machine.travel(datetime.datetime(2026, 3, 1, 12, tzinfo=PARIS), tick=False):
        page = client.get(reverse("volontaires:mission_detail", args=[mission.pk]))

    assert PHONE in page.content.decode()  # they may read it: it is not a staff read
    assert log_rows() == []


# --- The data protection officer's page ----------------------------------------------------


def test_the_data_protection_officer_group_exists_and_makes_the_role(db, dpo, agent):
    assert Group.objects.filter(name="Délégué·e à la protection des données").exists()
    assert is_data_protection_officer(dpo)
    assert not is_data_protection_officer(agent)
    superuser = UserFactory(is_superuser=True, is_staff=True)
    assert is_data_protection_officer(superuser)
    superuser.is_active = False
    assert not is_data_protection_officer(superuser)


def test_the_log_is_for_the_data_protection_officer_only(
    client, staff, dpo, record, coordinator_a, volunteer
):
    client.force_login(staff)
    client.get(reverse("volontaires:staff_mission", args=[record[1].pk]))
    url = reverse("volontaires:access_log")

    client.logout()
    assert client.get(url).status_code == 302
    for user in (staff, coordinator_a, volunteer):
        client.force_login(user)
        assert client.get(url).status_code == 403, user
    superuser = UserFactory(is_superuser=True, is_staff=True)
    give_totp(superuser)  # required of superusers
    for user in (dpo, superuser):
        client.force_login(user)
        page = client.get(url)
        assert page.status_code == 200
        content = page.content.decode()
        assert staff.email in content and "Page mission des agents" in content
        assert "Kerjean" not in content and PHONE not in content  # numbers, not names


def entries(staff, other, residents, count):
    rows = []
    for index in range(count):
        rows.append(
            ResidentAccessLog(
                user=staff if index % 2 else other,
                resident=residents[index % len(residents)],
                source=ResidentAccessSource.STAFF_MISSION,
                path=f"/volontaires/agents/missions/{index}/",
                accessed_at=datetime.datetime(2026, 11, 1 + index % 20, 10, tzinfo=PARIS),
            )
        )
    ResidentAccessLog.objects.bulk_create(rows)


def test_filters_by_resident_user_and_date_and_pages(client, staff, dpo, record):
    other = UserFactory(email="autre.agent@ville.example.fr", is_staff=True)
    residents = [record[0], ResidentFactory(programme=record[0].programme)]
    entries(staff, other, residents, 60)
    client.force_login(dpo)
    url = reverse("volontaires:access_log")

    def listed(query: str) -> int:
        response = client.get(url + query)
        assert response.status_code == 200
        return response.context["page"].paginator.count

    assert listed("") == 60
    assert len(client.get(url).context["page"].object_list) == 50
    assert len(client.get(url + "?page=2").context["page"].object_list) == 10
    assert listed(f"?resident={residents[1].pk}") == 30
    assert listed(f"?user={other.pk}") == 30
    assert listed("?since=2026-11-05&until=2026-11-06") == 6
    assert listed(f"?resident={residents[0].pk}&user={staff.pk}") == 0  # odd rows: resident 2


@pytest.mark.parametrize(
    "query",
    [
        "?resident=abc",
        "?resident=1.5",
        "?resident=-3",
        "?resident=99999999999999999999999999",
        "?user=abc",
        "?user=999999",
        "?since=2026-13-45",
        "?until=hier",
        "?page=zzz",
        "?page=999",
    ],
)
def test_bad_filters_are_form_errors_not_errors(client, dpo, query):
    client.force_login(dpo)

    response = client.get(reverse("volontaires:access_log") + query)

    assert response.status_code == 200


def test_a_bad_filter_says_why_in_french(client, dpo):
    client.force_login(dpo)

    response = client.get(reverse("volontaires:access_log") + "?resident=abc")

    assert "Saisissez un nombre entier." in response.content.decode()


# --- Back-office: read-only, for the data protection officer -------------------------------


@pytest.fixture
def logged(staff, record):
    return ResidentAccessLog.objects.create(
        user=staff,
        resident=record[0],
        source=ResidentAccessSource.EXPORT,
        path=f"/volontaires/agents/habitants/{record[0].pk}/donnees.json",
    )


def test_nobody_edits_or_deletes_the_log_in_the_back_office(client, logged):
    superuser = UserFactory(is_superuser=True, is_staff=True)
    give_totp(superuser)  # required of superusers
    client.force_login(superuser)
    change_url = reverse("admin:volontaires_residentaccesslog_change", args=[logged.pk])

    assert client.get(reverse("admin:volontaires_residentaccesslog_changelist")).status_code == 200
    view = client.get(change_url)
    assert view.status_code == 200 and 'name="_save"' not in view.content.decode()
    assert client.post(change_url, {"path": "/ailleurs/"}).status_code == 403
    assert client.get(reverse("admin:volontaires_residentaccesslog_add")).status_code == 403
    delete_url = reverse("admin:volontaires_residentaccesslog_delete", args=[logged.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    bulk = client.post(
        reverse("admin:volontaires_residentaccesslog_changelist"),
        {"action": "delete_selected", "_selected_action": [logged.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    logged.refresh_from_db()
    assert logged.path.endswith("/donnees.json")
    assert ResidentAccessLog.objects.count() == 1


def test_agents_who_are_not_the_officer_do_not_see_it_in_the_back_office(client, staff, logged):
    client.force_login(staff)

    assert client.get(reverse("admin:volontaires_residentaccesslog_changelist")).status_code == 403
    change_url = reverse("admin:volontaires_residentaccesslog_change", args=[logged.pk])
    assert client.get(change_url).status_code in (302, 403)
