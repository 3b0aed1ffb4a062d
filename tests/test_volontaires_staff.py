"""Agents' pages of Volontaires Solidaires: residents' requests taken by phone, missions with
their ranked and explained candidates, proposals one by one or in a batch, completion and
verification; calls for volunteers by coordinators and agents; the training path.

Personas (tests/conftest.py): `agent`, `coordinator_a` / `coordinator_b`, `volunteer`.
"""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from tests.factories import (
    AssignmentFactory,
    AvailabilitySlotFactory,
    EnrolmentFactory,
    MissionFactory,
    MissionTypeFactory,
    ProgrammeFactory,
    QuartierFactory,
    ResidentFactory,
    UserFactory,
    VolunteerProfileFactory,
)
from volontaires.models import (
    Assignment,
    AssignmentSource,
    AssignmentStatus,
    BatchAssignmentRun,
    BatchRunStatus,
    Mission,
    MissionOrigin,
    MissionStatus,
    Resident,
    TrainingRegistration,
    TrainingSession,
)

# --- helpers shared with test_volontaires_staff_tasks.py ------------------------------------


def days_ahead(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def ready_volunteer(programme, mission_type, *, quartier=None, verified=False, **user):
    """Active in `programme`, accepts `mission_type`, free every day from 8:00 to 20:00."""
    profile = VolunteerProfileFactory(
        is_verified=verified,
        quartier=quartier or QuartierFactory(),
        **{f"user__{key}": value for key, value in user.items()},
    )
    profile.mission_types.add(mission_type)
    for weekday in range(7):
        AvailabilitySlotFactory(
            volunteer=profile,
            weekday=weekday,
            start_time=datetime.time(8),
            end_time=datetime.time(20),
        )
    EnrolmentFactory(volunteer=profile, programme=programme)
    return profile


def open_mission(programme, mission_type, *, days=7, **changes) -> Mission:
    """A city mission `days` ahead, 10:00–11:00, one place."""
    return MissionFactory(
        programme=programme,
        mission_type=mission_type,
        date=days_ahead(days),
        start_time=datetime.time(10),
        end_time=datetime.time(11),
        **changes,
    )


@pytest.fixture
def programme(db):
    return ProgrammeFactory(
        name="Citoyennes et Citoyens Volontaires",
        slug="ccv",
        start_date=timezone.localdate() - datetime.timedelta(days=100),
    )


@pytest.fixture
def groceries(db):
    return MissionTypeFactory(name="Portage de courses", at_residents_home=False)


@pytest.fixture
def centre(db):
    return QuartierFactory(name="Centre")


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


# --- residents' requests ------------------------------------------------------------------


def request_data(programme, mission_type, quartier, **changes) -> dict:
    data = {
        "habitant-programme": programme.pk,
        "habitant-first_name": "Odette",
        "habitant-last_name": "Le Bris",
        "habitant-phone": "02 99 12 34 56",
        "habitant-address": "3 rue de Saint-Malo",
        "habitant-commune": "Rennes",
        "habitant-quartier": quartier.pk,
        "habitant-needs": "Ne peut plus porter ses courses.",
        "habitant-referred_by": "ccas",
        "habitant-consent": "on",
        "mission-mission_type": mission_type.pk,
        "mission-description": "Courses du mardi au marché des Lices.",
        "mission-date": "",
        "mission-recurrence_weekday": "1",
        "mission-start_time": "10:00",
        "mission-end_time": "11:30",
        "mission-expected_duration_minutes": "60",
        "mission-urgency": "normale",
        "mission-required_language": "",
    }
    return {**data, **changes}


@pytest.mark.django_db
def test_an_agent_records_a_phone_request_resident_and_mission_together(
    agent_client, agent, programme, groceries, centre
):
    """GIVEN an agent on the phone WHEN they fill the request form
    THEN the resident (with consent, date and agent) and their first mission exist."""
    url = reverse("volontaires:staff_request_new")
    assert agent_client.get(url).status_code == 200

    response = agent_client.post(url, request_data(programme, groceries, centre))

    resident = Resident.objects.get()
    mission = Mission.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("volontaires:staff_mission", args=[mission.pk])
    assert resident.consent_recorded_by == agent
    assert resident.consent_recorded_at is not None
    assert (mission.resident, mission.programme, mission.origin) == (
        resident,
        programme,
        MissionOrigin.RESIDENT,
    )
    assert not mission.volunteer_calls and mission.association is None
    assert mission.quartier == centre and mission.recurrence_weekday == 1
    assert "Odette" not in mission.title and "Le Bris" not in mission.title
    assert mission.created_by == agent


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"habitant-consent": ""}, "Sans l&#x27;accord de la personne"),
        ({"habitant-phone": "appelle-moi"}, "numéro de téléphone à 10 chiffres"),
        ({"mission-recurrence_weekday": ""}, "Indiquez une date"),
        ({"mission-date": "2020-01-06"}, "pas les deux"),
        ({"mission-recurrence_weekday": "", "mission-date": "2020-01-06"}, "Cette date est passée"),
        ({"mission-end_time": "09:00"}, "L&#x27;heure de fin doit suivre"),
        ({"mission-start_time": "25:99"}, "Saisissez une heure valide"),
        ({"habitant-referred_by": "association"}, "Indiquez l&#x27;association"),
        ({"habitant-programme": "999999"}, "Sélectionnez un choix valide"),
    ],
)
@pytest.mark.django_db
def test_a_bad_request_shows_a_french_error_and_writes_nothing(
    agent_client, programme, groceries, centre, changes, message
):
    response = agent_client.post(
        reverse("volontaires:staff_request_new"),
        request_data(programme, groceries, centre, **changes),
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Resident.objects.exists() and not Mission.objects.exists()


# --- missions list ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_missions_list_filters_and_shows_open_missions_by_default(
    agent_client, programme, groceries, centre
):
    other_type = MissionTypeFactory(name="Aide informatique")
    urgent = open_mission(programme, groceries, title="Urgente au centre", urgency="urgente")
    urgent.quartier = centre
    urgent.save()
    open_mission(programme, other_type, title="Informatique ailleurs")
    open_mission(programme, groceries, title="Déjà faite", status=MissionStatus.DONE)
    url = reverse("volontaires:staff_missions")

    page = agent_client.get(url).content.decode()
    assert "Urgente au centre" in page and "Informatique ailleurs" in page
    assert "Déjà faite" not in page
    assert page.index("Urgente au centre") < page.index("Informatique ailleurs")

    for query, shown, hidden in [
        ({"mission_type": groceries.pk}, "Urgente au centre", "Informatique ailleurs"),
        ({"quartier": centre.pk}, "Urgente au centre", "Informatique ailleurs"),
        ({"urgency": "normale"}, "Informatique ailleurs", "Urgente au centre"),
        ({"status": "realisee"}, "Déjà faite", "Urgente au centre"),
        ({"status": ""}, "Déjà faite", "nothing hidden"),
        ({"programme": programme.pk, "status": ""}, "Déjà faite", "nothing hidden"),
    ]:
        page = agent_client.get(url, query).content.decode()
        assert shown in page and hidden not in page, query


@pytest.mark.django_db
def test_unknown_filter_values_are_form_errors_not_crashes(agent_client, programme):
    response = agent_client.get(
        reverse("volontaires:staff_missions"),
        {"programme": "abc", "status": "nimporte", "quartier": "999", "page": "zz"},
    )

    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in response.content.decode()


def add_missions(count: int, programme, mission_type) -> None:
    for number in range(count):
        resident = ResidentFactory(programme=programme)
        mission = open_mission(programme, mission_type, days=3 + number % 20, resident=resident)
        AssignmentFactory(mission=mission)


@pytest.mark.django_db
def test_the_missions_list_query_count_does_not_grow(
    agent_client, programme, groceries, django_assert_max_num_queries, settings
):
    # The queries of making the page: new rows change the filters' cached options.
    settings.PAGE_CACHE_SECONDS = 0
    url = reverse("volontaires:staff_missions")
    add_missions(10, programme, groceries)
    agent_client.get(url)  # warm-up: session, caches
    with CaptureQueriesContext(connection) as for_10:
        assert agent_client.get(url).status_code == 200

    add_missions(90, programme, groceries)
    with django_assert_max_num_queries(len(for_10)) as for_100:
        response = agent_client.get(url)

    assert (
        response.content.decode().count("1 en attente") == 25
    )  # the first page (MISSIONS_PER_PAGE)
    assert len(for_100.captured_queries) == len(for_10.captured_queries) <= 20


# --- one mission: ranked candidates, proposals, completion ---------------------------------


@pytest.mark.django_db
def test_the_mission_page_ranks_candidates_with_the_explanation_of_each_part(
    agent_client, programme, groceries, centre
):
    resident = ResidentFactory(programme=programme, quartier=centre, first_name="Odette")
    mission = open_mission(programme, groceries, resident=resident, quartier=centre)
    near = ready_volunteer(programme, groceries, quartier=centre, first_name="Léa")
    far = ready_volunteer(programme, groceries, first_name="Karim")
    ready_volunteer(programme, MissionTypeFactory(), first_name="Hors-sujet")

    page = agent_client.get(reverse("volontaires:staff_mission", args=[mission.pk]))

    content = page.content.decode()
    assert page.status_code == 200
    assert content.index(str(near)) < content.index(str(far))
    assert "Hors-sujet" not in content
    assert "Habite le même quartier (Centre)" in content
    assert "Accepte les missions « Portage de courses »" in content
    assert "+30" in content and "Disponible le" in content
    assert "Proposer aux meilleurs candidats" in content
    assert content.count("Proposer à ce volontaire") == 2
    assert resident.phone in content  # agents see the resident


@pytest.mark.django_db
def test_propose_to_the_best_candidates_then_to_one_volunteer(
    agent_client, agent, programme, groceries, centre, django_capture_on_commit_callbacks
):
    mission = open_mission(programme, groceries, quartier=centre, places=1)
    near = ready_volunteer(programme, groceries, quartier=centre)
    far = ready_volunteer(programme, groceries)

    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            reverse("volontaires:staff_mission_propose_best", args=[mission.pk]), follow=True
        )

    proposal = Assignment.objects.get()
    assert (proposal.volunteer, proposal.proposed_by, proposal.status) == (
        near,
        agent,
        AssignmentStatus.PROPOSED,
    )
    assert proposal.score is not None
    assert "Mission proposée à 1 volontaire" in response.content.decode()
    assert [message.to for message in mail.outbox] == [[near.user.email]]

    # The only place is held by the pending proposal: proposing to someone else says why.
    response = agent_client.post(
        reverse("volontaires:staff_mission_propose", args=[mission.pk, far.pk]), follow=True
    )
    assert "Toutes les places de cette mission sont déjà pourvues" in response.content.decode()
    assert Assignment.objects.count() == 1


@pytest.mark.django_db
def test_proposing_to_an_ineligible_volunteer_gives_the_french_reasons(
    agent_client, programme, groceries
):
    mission = open_mission(programme, groceries, places=2)
    unfit = ready_volunteer(programme, MissionTypeFactory(name="Aide informatique"))

    response = agent_client.post(
        reverse("volontaires:staff_mission_propose", args=[mission.pk, unfit.pk]), follow=True
    )

    assert "N&#x27;accepte pas les missions « Portage de courses »" in response.content.decode()
    assert not Assignment.objects.exists()


@pytest.mark.django_db
def test_propose_best_without_candidates_says_so(agent_client, programme, groceries):
    mission = open_mission(programme, groceries)

    response = agent_client.post(
        reverse("volontaires:staff_mission_propose_best", args=[mission.pk]), follow=True
    )

    assert "Aucune proposition faite" in response.content.decode()


@pytest.mark.django_db
def test_assign_all_open_missions_runs_as_a_task_and_sums_up(
    agent_client, programme, groceries, django_capture_on_commit_callbacks
):
    """GIVEN three open missions to come (one of a type nobody accepts) and a past one
    WHEN an agent assigns all open missions
    THEN the request only queues a task (a run in its own page, polled by htmx); the task
    proposes the two missions it can serve and the result says which place stays empty and
    why."""
    first = open_mission(programme, groceries, days=3)
    second = open_mission(programme, groceries, days=4)
    nobody_for_this = open_mission(programme, MissionTypeFactory(), days=5)
    past = open_mission(programme, groceries, days=-3)
    ready_volunteer(programme, groceries)
    ready_volunteer(programme, groceries)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queued = agent_client.post(
            reverse("volontaires:staff_mission_batch"), {"programme": programme.pk}
        )
    run = BatchAssignmentRun.objects.get()
    assert queued.url == reverse("volontaires:staff_batch_run", args=[run.pk])
    assert run.status == BatchRunStatus.QUEUED and not Assignment.objects.exists()
    waiting = agent_client.get(reverse("volontaires:staff_batch_run_progress", args=[run.pk]))
    assert 'hx-trigger="every 1s"' in waiting.content.decode()

    for callback in callbacks:  # the commit: the outbox sends the task (eager here)
        callback()

    page = agent_client.get(reverse("volontaires:staff_batch_run", args=[run.pk]))
    content = page.content.decode()
    run.refresh_from_db()
    assert run.status == BatchRunStatus.DONE
    assert set(Assignment.objects.values_list("mission", flat=True)) == {first.pk, second.pk}
    assert set(Assignment.objects.values_list("source", flat=True)) == {AssignmentSource.BATCH}
    assert "2 propositions faites pour 3 mission(s) ouverte(s)" in content
    for assignment in Assignment.objects.select_related("volunteer__user"):
        assert escape(str(assignment.volunteer)) in content  # who was proposed, per mission
    assert "1 place reste vide." in content
    assert "Aucun·e volontaire ne remplit toutes les conditions" in content
    assert 'hx-trigger="every 1s"' not in content
    assert not nobody_for_this.assignments.exists() and not past.assignments.exists()

    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(reverse("volontaires:staff_mission_batch"), {"programme": programme.pk})
    latest = BatchAssignmentRun.objects.first()
    assert latest.pk != run.pk and latest.result["proposals"] == 0


@pytest.mark.parametrize("programme_value", ["abc", "999999"])
@pytest.mark.django_db
def test_assign_all_with_an_unknown_programme_is_a_message(agent_client, programme_value):
    response = agent_client.post(
        reverse("volontaires:staff_mission_batch"), {"programme": programme_value}, follow=True
    )

    assert "Ce programme n&#x27;existe pas" in response.content.decode()


@pytest.mark.django_db
def test_an_agent_marks_a_mission_done_for_a_volunteer(agent_client, agent, programme, groceries):
    mission = open_mission(programme, groceries, days=-2)
    volunteer = ready_volunteer(programme, groceries)
    assignment = AssignmentFactory(mission=mission, volunteer=volunteer, status="acceptee")
    url = reverse("volontaires:staff_assignment_complete", args=[assignment.pk])
    prefix = f"realisee-{assignment.pk}"

    page = agent_client.get(reverse("volontaires:staff_mission", args=[mission.pk]))
    assert f"Marquer réalisée par {volunteer}" in page.content.decode()

    future = agent_client.post(url, {f"{prefix}-done_on": days_ahead(2).isoformat()}, follow=True)
    assert "ne peut pas être dans le futur" in future.content.decode()
    garbage = agent_client.post(url, {f"{prefix}-done_on": "hier"}, follow=True)
    assert "Mission non enregistrée" in garbage.content.decode()
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.ACCEPTED

    agent_client.post(
        url,
        {
            f"{prefix}-done_on": mission.date.isoformat(),
            f"{prefix}-duration_minutes": "75",
            f"{prefix}-note": "Tout s'est bien passé.",
        },
    )

    assignment.refresh_from_db()
    mission.refresh_from_db()
    assert (assignment.status, assignment.done_on, assignment.duration_minutes) == (
        AssignmentStatus.DONE,
        mission.date,
        75,
    )
    assert mission.status == MissionStatus.DONE


@pytest.mark.django_db
def test_an_agent_verifies_a_volunteer_then_withdraws_it(agent_client, agent, volunteer):
    profile = volunteer.volunteer_profile
    url = reverse("volontaires:staff_volunteer", args=[profile.pk])
    assert "Marquer comme vérifié·e" in agent_client.get(url).content.decode()

    agent_client.post(reverse("volontaires:staff_volunteer_verify", args=[profile.pk]))

    profile.refresh_from_db()
    assert profile.is_verified and profile.verified_by == agent and profile.verified_at
    assert "Retirer la vérification" in agent_client.get(url).content.decode()

    agent_client.post(
        reverse("volontaires:staff_volunteer_verify", args=[profile.pk]), {"verifie": "0"}
    )
    profile.refresh_from_db()
    assert not profile.is_verified and profile.verified_by is None


@pytest.mark.django_db
def test_the_back_office_action_verifies_volunteers(client, volunteer):
    admin = UserFactory(is_staff=True, is_superuser=True)
    from tests.factories import give_totp

    give_totp(admin)  # superusers need TOTP to open any page (solidaren.two_factor)
    client.force_login(admin)

    client.post(
        reverse("admin:volontaires_volunteerprofile_changelist"),
        {"action": "mark_verified", "_selected_action": [volunteer.volunteer_profile.pk]},
    )

    profile = volunteer.volunteer_profile
    profile.refresh_from_db()
    assert profile.is_verified and profile.verified_by == admin


# --- calls for volunteers -----------------------------------------------------------------


def call_data(programme, mission_type, **changes) -> dict:
    data = {
        "programme": programme.pk,
        "mission_type": mission_type.pk,
        "title": "Journée de tri à la banque alimentaire",
        "description": "Tri des denrées de la collecte nationale.",
        "engagement_area": "solidarite",
        "commune": "Rennes",
        "place": "Entrepôt, rue de Lorient",
        "date": days_ahead(10).isoformat(),
        "start_time": "09:00",
        "end_time": "13:00",
        "expected_duration_minutes": "240",
        "places": "100",
        "urgency": "normale",
    }
    return {**data, **changes}


@pytest.mark.django_db
def test_a_coordinator_publishes_a_call_for_their_association_only(
    client, coordinator_a, association_a, association_b, programme, groceries
):
    client.force_login(coordinator_a)
    url = reverse("volontaires:call_new")
    form_page = client.get(url).content.decode()
    assert association_a.name in form_page and association_b.name not in form_page

    refused = client.post(url, call_data(programme, groceries, association=association_b.pk))
    assert refused.status_code == 200 and not Mission.objects.exists()

    response = client.post(url, call_data(programme, groceries, association=association_a.pk))

    call = Mission.objects.get()
    assert response["Location"] == reverse("volontaires:call", args=[call.pk])
    assert (call.origin, call.association, call.volunteer_calls, call.resident) == (
        MissionOrigin.ASSOCIATION,
        association_a,
        True,
        None,
    )
    assert call.places == 100 and call.created_by == coordinator_a


@pytest.mark.django_db
def test_an_agent_publishes_a_city_event(agent_client, programme, groceries):
    response = agent_client.post(
        reverse("volontaires:call_new"), call_data(programme, groceries, title="Fête du quartier")
    )

    event = Mission.objects.get()
    assert response.status_code == 302
    assert (event.origin, event.association, event.volunteer_calls) == (
        MissionOrigin.CITY,
        None,
        True,
    )


@pytest.mark.django_db
def test_a_coordinator_sees_first_names_and_initials_and_cannot_go_below_them(
    client, coordinator_a, association_a, programme, groceries
):
    call = open_mission(programme, groceries, association=association_a, origin="association")
    call.places = 3
    call.save()
    lea = ready_volunteer(programme, groceries, first_name="Léa", last_name="Kerguelen")
    lea.phone = "06 11 22 33 44"
    lea.save()
    AssignmentFactory(mission=call, volunteer=lea, status="acceptee")
    AssignmentFactory(
        mission=call, volunteer=ready_volunteer(programme, groceries), status="refusee"
    )
    client.force_login(coordinator_a)

    listing = client.get(reverse("volontaires:calls")).content.decode()
    page = client.get(reverse("volontaires:call", args=[call.pk])).content.decode()

    assert "1 / 3" in listing
    assert "Léa K." in page and "Kerguelen" not in page
    assert lea.user.email not in page and lea.phone not in page

    data = call_data(programme, groceries, title="Tri (modifié)", places="0")
    data["programme"] = ""  # disabled field: ignored
    refused = client.post(reverse("volontaires:call", args=[call.pk]), data)
    assert "ne peut pas descendre en dessous" in refused.content.decode()
    accepted = client.post(reverse("volontaires:call", args=[call.pk]), {**data, "places": "1"})
    call.refresh_from_db()
    assert accepted.status_code == 302
    assert (call.title, call.places, call.status) == ("Tri (modifié)", 1, MissionStatus.FULL)


@pytest.mark.django_db
def test_a_coordinator_of_b_gets_404_on_the_calls_of_a(
    client, coordinator_b, association_a, programme, groceries
):
    call = open_mission(programme, groceries, association=association_a, origin="association")
    resident_mission = open_mission(
        programme, groceries, resident=ResidentFactory(programme=programme)
    )
    client.force_login(coordinator_b)

    assert client.get(reverse("volontaires:call", args=[call.pk])).status_code == 404
    assert client.post(reverse("volontaires:call", args=[call.pk]), {}).status_code == 404
    assert call.title not in client.get(reverse("volontaires:calls")).content.decode()
    assert client.get(reverse("volontaires:call", args=[resident_mission.pk])).status_code == 404


# --- training path ------------------------------------------------------------------------


def a_session(programme, *, days=5, capacity=2) -> TrainingSession:
    starts = timezone.now() + datetime.timedelta(days=days)
    return TrainingSession.objects.create(
        programme=programme,
        title="Premiers secours citoyens",
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=3),
        place="Maison de quartier",
        capacity=capacity,
    )


@pytest.mark.django_db
def test_volunteers_register_within_the_capacity_and_unregister(client, programme, groceries):
    session = a_session(programme, capacity=1)
    first = ready_volunteer(programme, groceries)
    second = ready_volunteer(programme, groceries)
    register = reverse("volontaires:training_register", args=[session.pk])

    client.force_login(first.user)
    assert (
        "Premiers secours citoyens" in client.get(reverse("volontaires:training")).content.decode()
    )
    client.post(register)
    again = client.post(register, follow=True)
    assert "déjà inscrit·e" in again.content.decode()

    client.force_login(second.user)
    full = client.post(register, follow=True)
    assert "cette session est complète" in full.content.decode()
    assert list(session.registrations.values_list("volunteer", flat=True)) == [first.pk]

    client.force_login(first.user)
    client.post(reverse("volontaires:training_unregister", args=[session.pk]))
    client.force_login(second.user)
    client.post(register)
    assert list(session.registrations.values_list("volunteer", flat=True)) == [second.pk]


@pytest.mark.django_db
def test_training_sessions_of_another_programme_or_started_are_refused(
    client, programme, groceries
):
    volunteer = ready_volunteer(programme, groceries)
    elsewhere = a_session(ProgrammeFactory())
    started = a_session(programme, days=-1)
    client.force_login(volunteer.user)

    page = client.get(reverse("volontaires:training")).content.decode()
    assert "Aucune session" in page
    response = client.post(
        reverse("volontaires:training_register", args=[elsewhere.pk]), follow=True
    )
    assert "réservée aux volontaires du programme" in response.content.decode()
    response = client.post(reverse("volontaires:training_register", args=[started.pk]), follow=True)
    assert "a déjà commencé" in response.content.decode()
    assert not TrainingRegistration.objects.exists()
    response = client.post(
        reverse("volontaires:training_unregister", args=[started.pk]), follow=True
    )
    assert "a déjà commencé" in response.content.decode()
    assert client.post(reverse("volontaires:training_register", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_agents_record_attendance_once_the_session_has_started(agent_client, programme, groceries):
    upcoming = a_session(programme)
    done = a_session(programme, days=-1)
    present, absent = ready_volunteer(programme, groceries), ready_volunteer(programme, groceries)
    registrations = [
        TrainingRegistration.objects.create(session=done, volunteer=volunteer)
        for volunteer in (present, absent)
    ]
    early = TrainingRegistration.objects.create(session=upcoming, volunteer=present)

    response = agent_client.post(
        reverse("volontaires:staff_training_session", args=[upcoming.pk]),
        {f"presence_{early.pk}": "1"},
        follow=True,
    )
    assert "pas encore commencé" in response.content.decode()
    early.refresh_from_db()
    assert early.attended is None

    url = reverse("volontaires:staff_training_session", args=[done.pk])
    assert str(present) in agent_client.get(url).content.decode()
    bad = agent_client.post(url, {f"presence_{registrations[0].pk}": "peut-être"})
    assert bad.status_code == 200 and "Sélectionnez un choix valide" in bad.content.decode()
    agent_client.post(
        url, {f"presence_{registrations[0].pk}": "1", f"presence_{registrations[1].pk}": "0"}
    )

    assert [
        registration.attended
        for registration in TrainingRegistration.objects.filter(session=done).order_by("pk")
    ] == [True, False]
    listing = agent_client.get(reverse("volontaires:staff_training")).content.decode()
    assert "2 / 2" in listing


# --- who may see what ---------------------------------------------------------------------


@pytest.fixture
def pages(db, programme, groceries, association_a):
    """Every page of this module (name, args, method), with the objects they need."""
    mission = open_mission(programme, groceries, resident=ResidentFactory(programme=programme))
    call = open_mission(programme, groceries, association=association_a, origin="association")
    volunteer = ready_volunteer(programme, groceries)
    assignment = AssignmentFactory(mission=mission, volunteer=volunteer, status="acceptee")
    session = a_session(programme)
    return {
        "agent_only": [
            ("staff_request_new", [], "get"),
            ("staff_missions", [], "get"),
            ("staff_mission_batch", [], "post"),
            ("staff_mission", [mission.pk], "get"),
            ("staff_mission_propose_best", [mission.pk], "post"),
            ("staff_mission_propose", [mission.pk, volunteer.pk], "post"),
            ("staff_assignment_complete", [assignment.pk], "post"),
            ("staff_volunteer", [volunteer.pk], "get"),
            ("staff_volunteer_verify", [volunteer.pk], "post"),
            ("staff_training", [], "get"),
            ("staff_training_session", [session.pk], "get"),
            ("staff_figures", [], "get"),
        ],
        "agent_or_coordinator": [
            ("calls", [], "get"),
            ("call_new", [], "get"),
            ("call", [call.pk], "get"),
        ],
        "volunteer_only": [
            ("training", [], "get"),
            ("training_register", [session.pk], "post"),
            ("training_unregister", [session.pk], "post"),
        ],
    }


def _call(client, name, args, method):
    return getattr(client, method)(reverse(f"volontaires:{name}", args=args))


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_login_page(client, pages):
    for name, args, method in [page for group in pages.values() for page in group]:
        response = _call(client, name, args, method)
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("account_login")), name


@pytest.mark.django_db
def test_volunteers_and_coordinators_are_forbidden_the_agents_pages(
    client, pages, volunteer, coordinator_a
):
    for user in (volunteer, coordinator_a):
        client.force_login(user)
        for name, args, method in pages["agent_only"]:
            assert _call(client, name, args, method).status_code == 403, (user, name)
    client.force_login(volunteer)
    for name, args, method in pages["agent_or_coordinator"]:
        assert _call(client, name, args, method).status_code == 403, name
    for user in (UserFactory(is_staff=True), coordinator_a):
        client.force_login(user)
        for name, args, method in pages["volunteer_only"]:
            assert _call(client, name, args, method).status_code == 403, (user, name)
    assert not Assignment.objects.filter(status=AssignmentStatus.PROPOSED).exists()


@pytest.mark.django_db
def test_allowed_users_open_the_pages(client, pages, agent, coordinator_a, volunteer, programme):
    EnrolmentFactory(volunteer=volunteer.volunteer_profile, programme=programme)
    for user, group in [
        (agent, "agent_only"),
        (agent, "agent_or_coordinator"),
        (coordinator_a, "agent_or_coordinator"),
        (volunteer, "volunteer_only"),
    ]:
        client.force_login(user)
        for name, args, method in pages[group]:
            status = _call(client, name, args, method).status_code
            assert status == (200 if method == "get" else 302), (user, name)


@pytest.mark.django_db
def test_the_navigation_shows_each_role_its_entries(client, agent, coordinator_a, volunteer):
    expectations = [
        (agent, ["Demandes et missions", "Bilan des volontaires"], ["Appels à volontaires"]),
        (coordinator_a, ["Appels à volontaires"], ["Demandes et missions"]),
        (volunteer, ["Parcours citoyen"], ["Demandes et missions", "Appels à volontaires"]),
    ]
    for user, shown, hidden in expectations:
        client.force_login(user)
        nav = client.get("/").content.decode().split("</nav>")[0]
        assert all(label in nav for label in shown), user
        assert not any(label in nav for label in hidden), user
    client.logout()
    assert reverse("volontaires:figures") in client.get("/").content.decode()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL row locks (DATABASE_URL)"
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_never_exceed_a_sessions_capacity():
    """GIVEN a session with 3 places WHEN 10 volunteers register at the same moment, each in
    its own connection THEN exactly 3 get a place, the others the French 'complete' message."""
    import threading

    from django.core.exceptions import ValidationError
    from django.db import connections

    from volontaires import training

    programme = ProgrammeFactory()
    mission_type = MissionTypeFactory()
    session = a_session(programme, capacity=3)
    volunteers = [ready_volunteer(programme, mission_type) for _ in range(10)]
    barrier = threading.Barrier(len(volunteers))
    outcomes: list[str] = []

    def register(volunteer) -> None:
        try:
            barrier.wait()
            training.register(session, volunteer)
            outcomes.append("inscrit")
        except ValidationError as error:
            outcomes.append(" ".join(error.messages))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=register, args=(v,)) for v in volunteers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("inscrit") == 3
    assert all("complète" in outcome for outcome in outcomes if outcome != "inscrit")
    assert session.registrations.count() == 3


# --- the ranked candidates page at scale: the best 20, the excluded on demand ---------------


@pytest.mark.django_db
def test_the_candidates_page_shows_the_best_20_then_more_and_the_excluded_on_demand(
    agent_client, programme, groceries, centre
):
    """GIVEN 23 eligible volunteers and 2 of the programme who do not accept the type
    WHEN an agent opens the mission
    THEN the 20 best are shown with a link to more; the excluded volunteers come with their
    reason only when the collapsed block is opened (htmx, or the link without JavaScript)."""
    mission = open_mission(programme, groceries, quartier=centre)
    near = [ready_volunteer(programme, groceries, quartier=centre) for _ in range(3)]
    for _ in range(20):
        ready_volunteer(programme, groceries)
    refusing = [ready_volunteer(programme, MissionTypeFactory()) for _ in range(2)]
    url = reverse("volontaires:staff_mission", args=[mission.pk])

    page = agent_client.get(url).content.decode()
    assert page.count("Proposer à ce volontaire") == 20
    assert all(escape(str(volunteer)) in page for volunteer in near)  # nearest first
    assert "?candidats=40" in page
    assert "Volontaires écarté·es et pourquoi" in page
    assert escape(str(refusing[0])) not in page  # not computed until asked

    more = agent_client.get(url, {"candidats": "40"}).content.decode()
    assert more.count("Proposer à ce volontaire") == 23 and "?candidats=60" not in more

    block = agent_client.get(url, {"ecartes": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in block
    assert "2 volontaires du programme ne remplissent pas les conditions" in block
    for volunteer in refusing:
        assert escape(str(volunteer)) in block
    assert block.count("N&#x27;accepte pas les missions") == 2

    without_js = agent_client.get(url, {"ecartes": "1"}).content.decode()
    assert '<details class="staff-excluded" open>' in without_js
    assert escape(str(refusing[1])) in without_js
