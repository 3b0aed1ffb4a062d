"""The volunteers' pages: profile, my space, proposals, open calls, completion, keep in touch.

Privacy tests (a volunteer never reads a resident's phone or address before accepting, nor
any other resident) are in `test_volontaires_volunteer_privacy.py`; the calendar feed in
`test_volontaires_volunteer_ical.py`; account deletion in `..._account.py`.
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from solidaren.demo import agents_group
from solidaren.models import User
from tests.factories import (
    AssignmentFactory,
    AvailabilitySlotFactory,
    EnrolmentFactory,
    LanguageFactory,
    MissionFactory,
    MissionTypeFactory,
    ProgrammeFactory,
    QuartierFactory,
    ResidentFactory,
    UserFactory,
    VolunteerProfileFactory,
)
from volontaires import proposals
from volontaires.models import (
    Assignment,
    AssignmentStatus,
    Enrolment,
    EnrolmentStatus,
    EnrolmentStatusChange,
    KeepInTouchRequest,
    MissionStatus,
    VolunteerProfile,
)

# --- Helpers shared with the other volunteer test modules ----------------------------------


def next_weekday(weekday: int, *, after: datetime.date | None = None) -> datetime.date:
    """The first `weekday` strictly after `after` (today by default)."""
    after = after or timezone.localdate()
    return after + datetime.timedelta(days=(weekday - after.weekday() - 1) % 7 + 1)


def make_volunteer(programme, mission_types, *, email=None, **profile_fields) -> VolunteerProfile:
    """An active volunteer of `programme`, available every day from 8:00 to 20:00."""
    user = UserFactory(**({"email": email} if email else {}))
    profile = VolunteerProfileFactory(user=user, phone="06 00 00 00 00", **profile_fields)
    EnrolmentFactory(volunteer=profile, programme=programme)
    profile.mission_types.add(*mission_types)
    for weekday in range(7):
        AvailabilitySlotFactory(
            volunteer=profile,
            weekday=weekday,
            start_time=datetime.time(8),
            end_time=datetime.time(20),
        )
    return profile


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def profile_data(programme, mission_type, quartier, /, **overrides) -> dict:
    """A valid POST of the profile page, with one availability slot (Monday 9:00–12:00)."""
    data = {
        "first_name": "Léa",
        "last_name": "Martin",
        "phone": "06 12 34 56 78",
        "commune": "Rennes",
        "quartier": str(quartier.pk),
        "mission_types": [str(mission_type.pk)],
        "languages": ["fr"],
        "transport_modes": ["velo", "transports"],
        "engagement_areas": ["solidarite"],
        "max_missions_per_month": "4",
        "programmes": [str(programme.pk)],
        "accept_charter": "on",
        "accept_data_policy": "on",
        "creneaux-TOTAL_FORMS": "2",
        "creneaux-INITIAL_FORMS": "0",
        "creneaux-MIN_NUM_FORMS": "0",
        "creneaux-MAX_NUM_FORMS": "21",
        "creneaux-0-weekday": "0",
        "creneaux-0-start_time": "09:00",
        "creneaux-0-end_time": "12:00",
        "creneaux-1-weekday": "",
        "creneaux-1-start_time": "",
        "creneaux-1-end_time": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# --- Fixtures ------------------------------------------------------------------------------


@pytest.fixture
def programme(db):
    return ProgrammeFactory(
        name="Citoyennes et Citoyens Volontaires", start_date=datetime.date(2026, 1, 1)
    )


@pytest.fixture
def errands(db):
    return MissionTypeFactory(name="Portage de courses")


@pytest.fixture
def quartier(db):
    return QuartierFactory(name="Maurepas – Bellangerais")


@pytest.fixture
def french(db):
    return LanguageFactory(code="fr", name="français")


@pytest.fixture
def profile(programme, errands, quartier, french):
    """The volunteer persona of these tests, with an e-mail for the login page."""
    volunteer = make_volunteer(programme, [errands], email="lea@exemple.fr", quartier=quartier)
    volunteer.languages.add(french)
    return volunteer


@pytest.fixture
def resident_mission(programme, errands, quartier):
    resident = ResidentFactory(
        programme=programme,
        first_name="Gwenaëlle",
        last_name="Le Quéré",
        phone="02 99 11 22 33",
        address="12 rue de Fougères",
    )
    return MissionFactory(
        programme=programme,
        mission_type=errands,
        resident=resident,
        quartier=quartier,
        title="Courses du jeudi",
        description="Courses au marché, environ 5 kg.",
        place="12 rue de Fougères",
        date=next_weekday(3),
    )


@pytest.fixture
def proposal(resident_mission, profile, agent):
    return proposals.propose(resident_mission, profile, by=agent)


# --- Sign-up → profile ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_new_account_is_invited_to_complete_its_volunteer_profile(client):
    user = UserFactory()
    client.force_login(user)

    home = client.get(reverse("home")).content.decode()
    response = client.get(reverse("volontaires:my_space"))

    assert "Compléter mon profil de volontaire" in home
    assert reverse("volontaires:profile") in home
    assert response.status_code == 302
    assert response.url == reverse("volontaires:profile")
    page = client.get(reverse("volontaires:profile"))
    assert page.status_code == 200
    assert "Devenir volontaire" in page.content.decode()


def test_agents_and_anonymous_do_not_get_the_profile_page(client, agent):
    response = client.get(reverse("volontaires:profile"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))

    client.force_login(agent)
    assert client.get(reverse("volontaires:profile")).status_code == 403


def test_completing_the_profile_creates_it_enrols_and_dates_the_acceptances(
    client, programme, errands, quartier, french
):
    """GIVEN a verified account WHEN the person fills the profile THEN the profile, the slot,
    the enrolment (with its first history row) and both acceptance dates are stored."""
    user = UserFactory(first_name="", last_name="")
    client.force_login(user)

    response = client.post(
        reverse("volontaires:profile"), profile_data(programme, errands, quartier)
    )

    assert response.status_code == 302, response.content.decode()
    assert response.url == reverse("volontaires:my_space")
    profile = VolunteerProfile.objects.get(user=user)
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Léa", "Martin")
    assert profile.phone == "06 12 34 56 78"
    assert profile.quartier == quartier
    assert list(profile.mission_types.all()) == [errands]
    assert list(profile.languages.all()) == [french]
    assert profile.transport_modes == ["velo", "transports"]
    assert profile.engagement_areas == ["solidarite"]
    assert profile.charter_accepted_at is not None
    assert profile.data_policy_accepted_at is not None
    slot = profile.availability_slots.get()
    assert (slot.weekday, slot.start_time, slot.end_time) == (
        0,
        datetime.time(9),
        datetime.time(12),
    )
    enrolment = Enrolment.objects.get(volunteer=profile)
    assert enrolment.programme == programme and enrolment.status == EnrolmentStatus.ACTIVE
    assert list(enrolment.changes.values_list("status", flat=True)) == [EnrolmentStatus.ACTIVE]
    assert "Bienvenue parmi les volontaires" in " ".join(messages_of(response))
    assert client.get(reverse("volontaires:my_space")).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"accept_charter": None}, "Vous devez accepter la charte des volontaires"),
        ({"accept_data_policy": None}, "Vous devez accepter la politique de protection"),
        (
            {"creneaux-0-start_time": "14:00", "creneaux-0-end_time": "10:00"},
            "L&#x27;heure de fin doit être après l&#x27;heure de début.",
        ),
        (
            {"creneaux-0-weekday": "", "creneaux-0-start_time": "", "creneaux-0-end_time": ""},
            "Indiquez au moins un créneau de disponibilité.",
        ),
        (
            {
                "creneaux-1-weekday": "0",
                "creneaux-1-start_time": "11:00",
                "creneaux-1-end_time": "13:00",
            },
            "Deux créneaux du lundi se chevauchent",
        ),
        ({"creneaux-0-start_time": "25:99"}, "Saisissez une heure valide."),
        ({"mission_types": []}, "Choisissez au moins un type de mission."),
        ({"quartier": ""}, "Indiquez votre quartier de Rennes."),
        ({"phone": "appelez-moi"}, "Indiquez un numéro de téléphone valide"),
        ({"programmes": []}, "Choisissez le programme que vous rejoignez."),
        ({"max_missions_per_month": "40"}, "inférieure ou égale à 31"),
    ],
)
def test_profile_errors_are_in_french_and_nothing_is_written(
    client, programme, errands, quartier, french, overrides, error
):
    user = UserFactory(first_name="", last_name="")
    client.force_login(user)

    response = client.post(
        reverse("volontaires:profile"), profile_data(programme, errands, quartier, **overrides)
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert error in content
    assert "Rien n&#x27;a été enregistré" in content
    assert not VolunteerProfile.objects.filter(user=user).exists()
    user.refresh_from_db()
    assert user.first_name == ""


def test_a_commune_of_the_metropole_needs_no_quartier(client, programme, errands, quartier, french):
    user = UserFactory()
    client.force_login(user)

    response = client.post(
        reverse("volontaires:profile"),
        profile_data(programme, errands, quartier, commune="Cesson-Sévigné"),
    )

    assert response.status_code == 302
    profile = VolunteerProfile.objects.get(user=user)
    assert (profile.commune, profile.quartier) == ("Cesson-Sévigné", None)


def test_the_profile_is_edited_from_the_same_page(client, profile, programme, errands, quartier):
    """Editing keeps the first acceptance date, replaces the slots and joins no programme twice."""
    accepted_at = timezone.now() - datetime.timedelta(days=30)
    VolunteerProfile.objects.filter(pk=profile.pk).update(
        charter_accepted_at=accepted_at, data_policy_accepted_at=accepted_at
    )
    client.force_login(profile.user)
    page = client.get(reverse("volontaires:profile"))
    assert page.status_code == 200
    assert "Mon profil de volontaire" in page.content.decode()
    slots = list(profile.availability_slots.order_by("weekday"))
    data = profile_data(
        programme,
        errands,
        quartier,
        phone="07 98 76 54 32",
        programmes=[],
        max_missions_per_month="2",
        **{
            "creneaux-TOTAL_FORMS": str(len(slots) + 1),
            "creneaux-INITIAL_FORMS": str(len(slots)),
        },
    )
    for index, slot in enumerate(slots):
        data.update(
            {
                f"creneaux-{index}-id": str(slot.pk),
                f"creneaux-{index}-volunteer": str(profile.pk),
                f"creneaux-{index}-weekday": str(slot.weekday),
                f"creneaux-{index}-start_time": "08:00",
                f"creneaux-{index}-end_time": "20:00",
            }
        )
        if slot.weekday > 0:
            data[f"creneaux-{index}-DELETE"] = "on"
    data.update(
        {
            f"creneaux-{len(slots)}-weekday": "",
            f"creneaux-{len(slots)}-start_time": "",
            f"creneaux-{len(slots)}-end_time": "",
        }
    )

    response = client.post(reverse("volontaires:profile"), data)

    assert response.status_code == 302, response.content.decode()
    profile.refresh_from_db()
    assert profile.phone == "07 98 76 54 32"
    assert profile.max_missions_per_month == 2
    assert profile.charter_accepted_at == accepted_at
    assert list(profile.availability_slots.values_list("weekday", flat=True)) == [0]
    assert profile.enrolments.count() == 1
    assert "Votre profil est enregistré." in messages_of(response)


# --- Pause, resume, withdraw ---------------------------------------------------------------


def test_pause_resume_and_withdrawal_keep_their_history(client, profile):
    enrolment = profile.enrolments.get()
    client.force_login(profile.user)

    client.post(reverse("volontaires:enrolment_pause", args=[enrolment.pk]))
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.PAUSED
    client.post(reverse("volontaires:enrolment_resume", args=[enrolment.pk]))
    response = client.post(
        reverse("volontaires:enrolment_withdraw", args=[enrolment.pk]),
        {"reason": "Je déménage à Brest"},
    )

    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.WITHDRAWN
    assert enrolment.withdrawn_at is not None
    assert enrolment.withdrawal_reason == "Je déménage à Brest"
    changes = EnrolmentStatusChange.objects.filter(enrolment=enrolment).order_by("changed_at")
    assert [change.status for change in changes] == [
        EnrolmentStatus.PAUSED,
        EnrolmentStatus.ACTIVE,
        EnrolmentStatus.WITHDRAWN,
    ]
    assert all(change.changed_by == profile.user for change in changes)
    assert changes.last().note == "Je déménage à Brest"
    assert "Votre désistement" in " ".join(messages_of(response))
    page = client.get(reverse("volontaires:my_space")).content.decode()
    assert "Désisté·e" in page and "Revenir dans ce programme" in page


def test_a_volunteer_cannot_change_someone_elses_enrolment(client, profile, programme, errands):
    other = make_volunteer(programme, [errands]).enrolments.get()
    client.force_login(profile.user)

    for name in ("enrolment_pause", "enrolment_resume", "enrolment_withdraw"):
        assert client.post(reverse(f"volontaires:{name}", args=[other.pk])).status_code == 404
        assert client.get(reverse(f"volontaires:{name}", args=[other.pk])).status_code in (
            404,
            405,
        )
    other.refresh_from_db()
    assert other.status == EnrolmentStatus.ACTIVE
    assert other.changes.count() == 0


def test_a_paused_volunteer_cannot_accept_a_pending_proposal(client, proposal, profile):
    client.force_login(profile.user)
    client.post(reverse("volontaires:enrolment_pause", args=[profile.enrolments.get().pk]))

    response = client.post(reverse("volontaires:proposal_accept", args=[proposal.pk]))

    assert "A mis son engagement en pause dans ce programme." in messages_of(response)
    proposal.refresh_from_db()
    assert proposal.status == AssignmentStatus.PROPOSED


# --- My space: accept, decline, expiry -----------------------------------------------------


def test_accepting_a_proposal_from_my_space(client, proposal, profile):
    client.force_login(profile.user)
    page = client.get(reverse("volontaires:my_space")).content.decode()
    assert "Courses du jeudi" in page and "J'accepte" in page

    response = client.post(reverse("volontaires:proposal_accept", args=[proposal.pk]))

    assert response.status_code == 302
    assert response.url == reverse("volontaires:mission_detail", args=[proposal.mission_id])
    assert "Merci ! La mission « Courses du jeudi » est acceptée." in messages_of(response)
    proposal.refresh_from_db()
    assert proposal.status == AssignmentStatus.ACCEPTED
    page = client.get(reverse("volontaires:my_space")).content.decode()
    assert "Mes missions à venir" in page and "Gwenaëlle" in page


def test_declining_with_a_reason(client, proposal, profile):
    client.force_login(profile.user)

    response = client.post(
        reverse("volontaires:proposal_decline", args=[proposal.pk]),
        {"reason": "Pas disponible ce jeudi"},
    )

    proposal.refresh_from_db()
    assert proposal.status == AssignmentStatus.DECLINED
    assert proposal.decline_reason == "Pas disponible ce jeudi"
    assert any("Proposition déclinée" in message for message in messages_of(response))
    again = client.post(reverse("volontaires:proposal_accept", args=[proposal.pk]))
    assert "Cette proposition n'attend plus de réponse (déclinée)." in messages_of(again)


def test_an_expired_proposal_cannot_be_accepted(client, proposal, profile):
    Assignment.objects.filter(pk=proposal.pk).update(
        proposed_at=timezone.now() - datetime.timedelta(hours=49)
    )
    client.force_login(profile.user)

    response = client.post(reverse("volontaires:proposal_accept", args=[proposal.pk]))

    assert messages_of(response) == [
        "Cette proposition a expiré : elle a été faite à quelqu'un d'autre."
    ]
    proposal.refresh_from_db()
    assert proposal.status == AssignmentStatus.PROPOSED


def test_the_last_place_taken_meanwhile_gives_a_clear_message(
    client, proposal, profile, programme, errands
):
    Assignment.objects.filter(pk=proposal.pk).update(proposed_at=timezone.now())
    other = make_volunteer(programme, [errands])
    # An agent added a volunteer by hand on the only place meanwhile.
    AssignmentFactory(mission=proposal.mission, volunteer=other, status="acceptee")
    client.force_login(profile.user)

    response = client.post(reverse("volontaires:proposal_accept", args=[proposal.pk]))

    assert any("la dernière place de cette mission" in m for m in messages_of(response))
    proposal.refresh_from_db()
    assert proposal.status == AssignmentStatus.PROPOSED


def test_proposal_actions_need_a_post_and_the_volunteers_own_proposal(
    client, proposal, programme, errands
):
    intruder = make_volunteer(programme, [errands])
    client.force_login(intruder.user)

    for name in ("proposal_accept", "proposal_decline", "assignment_complete", "keep_in_touch"):
        assert client.post(reverse(f"volontaires:{name}", args=[proposal.pk])).status_code == 404
    client.force_login(proposal.volunteer.user)
    assert client.get(reverse("volontaires:proposal_accept", args=[proposal.pk])).status_code == 405
    proposal.refresh_from_db()
    assert proposal.status == AssignmentStatus.PROPOSED


def test_the_volunteer_pages_refuse_anonymous_and_other_roles(client, coordinator_a, proposal):
    for url in (
        reverse("volontaires:proposal_accept", args=[proposal.pk]),
        reverse("volontaires:calendar_token"),
        reverse("volontaires:account_delete"),
    ):
        response = client.post(url)
        assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    client.force_login(coordinator_a)
    assert (
        client.post(reverse("volontaires:proposal_accept", args=[proposal.pk])).status_code == 403
    )
    assert client.get(reverse("volontaires:my_space")).status_code == 403


# --- Self-service: open calls and applying -------------------------------------------------


@pytest.fixture
def food_bank(programme, association_a, quartier):
    from tests.factories import MissionTypeFactory as TypeFactory

    sorting = TypeFactory(name="Tri à la banque alimentaire", engagement_area="solidarite")
    return MissionFactory(
        programme=programme,
        mission_type=sorting,
        association=association_a,
        origin="association",
        title="Journée de tri",
        place="Halle de la banque alimentaire",
        quartier=quartier,
        date=next_weekday(5),
        places=3,
    )


def test_the_open_calls_list_shows_calls_with_places_left_only(
    client, profile, food_bank, resident_mission, programme, errands
):
    profile.mission_types.add(food_bank.mission_type)
    city = MissionFactory(
        programme=programme,
        mission_type=errands,
        title="Fête du quartier",
        # The day before the food bank's Saturday (today at the earliest): listed first.
        date=food_bank.date - datetime.timedelta(days=1),
        engagement_area="evenements",
    )
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    MissionFactory(programme=programme, title="Appel complet", status=MissionStatus.FULL)
    MissionFactory(programme=programme, title="Appel passé", date=yesterday)
    ended = ProgrammeFactory(
        start_date=datetime.date(2020, 1, 1), end_date=datetime.date(2021, 1, 1)
    )
    MissionFactory(programme=ended, title="Ancien programme", date=next_weekday(1))
    AssignmentFactory(mission=food_bank, status="acceptee")
    client.force_login(profile.user)

    response = client.get(reverse("volontaires:mission_list"))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Journée de tri" in content and "Fête du quartier" in content
    assert "2 places restantes" in content and "1 place restante" in content
    for hidden in ("Appel complet", "Appel passé", "Ancien programme", "Courses du jeudi"):
        assert hidden not in content
    assert [m.pk for m in response.context["page"]] == [city.pk, food_bank.pk]  # by date


def test_the_open_calls_filters(client, profile, food_bank, programme, errands, quartier):
    city = MissionFactory(
        programme=programme,
        mission_type=errands,
        title="Fête du quartier",
        date=next_weekday(2),
        engagement_area="evenements",
    )
    weekly = MissionFactory(
        programme=programme,
        mission_type=errands,
        title="Atelier hebdomadaire",
        date=None,
        recurrence_weekday=1,
    )
    client.force_login(profile.user)

    def titles(**params) -> set[str]:
        response = client.get(reverse("volontaires:mission_list"), params)
        assert response.status_code == 200
        return {mission.title for mission in response.context["page"]}

    assert titles() == {"Journée de tri", "Fête du quartier", "Atelier hebdomadaire"}
    assert titles(mission_type=food_bank.mission_type_id) == {"Journée de tri"}
    assert titles(quartier=quartier.pk) == {"Journée de tri"}
    assert titles(engagement_area="evenements") == {"Fête du quartier"}
    day = city.date.isoformat()
    assert titles(date_from=day, date_to=day) == {"Fête du quartier", weekly.title}
    bad = client.get(reverse("volontaires:mission_list"), {"date_from": "demain"})
    assert bad.status_code == 200
    assert "Saisissez une date valide." in bad.content.decode()


def test_applying_to_an_open_call(client, profile, food_bank):
    profile.mission_types.add(food_bank.mission_type)
    client.force_login(profile.user)
    url = reverse("volontaires:mission_apply", args=[food_bank.pk])

    response = client.post(url, {"next": reverse("volontaires:mission_list")})

    assert response.status_code == 302
    assert response.url == reverse("volontaires:mission_detail", args=[food_bank.pk])
    assert "Merci ! Vous êtes inscrit·e sur « Journée de tri »." in messages_of(response)
    assignment = Assignment.objects.get(mission=food_bank, volunteer=profile)
    assert assignment.status == AssignmentStatus.ACCEPTED
    assert assignment.source == "candidature"
    again = client.post(url, {"next": "https://ailleurs.example.com/"})
    assert again.url == reverse("volontaires:mission_list")  # no open redirect
    assert "Vous êtes déjà inscrit·e sur cette mission." in messages_of(again)
    assert "Vous êtes inscrit·e sur cette mission." in (
        client.get(reverse("volontaires:mission_list")).content.decode()
    )


def test_applying_gives_the_french_reason_when_not_eligible(client, profile, food_bank):
    client.force_login(profile.user)  # does not accept « Tri à la banque alimentaire »

    response = client.post(reverse("volontaires:mission_apply", args=[food_bank.pk]))

    assert "N'accepte pas les missions « Tri à la banque alimentaire »." in messages_of(response)
    assert not Assignment.objects.filter(mission=food_bank).exists()


def test_applying_to_a_full_call_gives_the_last_place_message(
    client, profile, food_bank, programme
):
    profile.mission_types.add(food_bank.mission_type)
    for _ in range(2):
        AssignmentFactory(mission=food_bank, status="acceptee")
    AssignmentFactory(mission=food_bank, status="proposee")  # a pending proposal holds a place
    client.force_login(profile.user)

    response = client.post(reverse("volontaires:mission_apply", args=[food_bank.pk]))

    assert any("la dernière place de cette mission" in m for m in messages_of(response))
    assert not Assignment.objects.filter(mission=food_bank, volunteer=profile).exists()


def test_a_call_filled_since_the_list_was_loaded_gives_the_last_place_message(
    client, profile, food_bank
):
    profile.mission_types.add(food_bank.mission_type)
    for _ in range(3):
        AssignmentFactory(mission=food_bank, status="acceptee")
    food_bank.status = MissionStatus.FULL
    food_bank.save()
    client.force_login(profile.user)

    response = client.post(reverse("volontaires:mission_apply", args=[food_bank.pk]))

    assert response.status_code == 302
    assert any("la dernière place de cette mission" in m for m in messages_of(response))
    with pytest.raises(ValidationError, match="dernière place"):
        proposals.apply(food_bank, profile)


def test_one_cannot_apply_to_a_residents_mission(client, profile, resident_mission):
    client.force_login(profile.user)

    response = client.post(reverse("volontaires:mission_apply", args=[resident_mission.pk]))

    assert response.status_code == 404
    assert not resident_mission.assignments.exists()


@pytest.mark.parametrize("count", [10, 100])
def test_the_open_calls_list_does_not_grow_in_queries(
    client, profile, programme, errands, association_a, quartier, count, request, settings
):
    """The same number of queries for 10 and 100 calls (checked against a 10-row baseline)."""
    # The queries of making the page: new rows change the filters' cached options.
    settings.PAGE_CACHE_SECONDS = 0

    def make_calls(number: int) -> None:
        for index in range(number):
            mission = MissionFactory(
                programme=programme,
                mission_type=errands,
                association=association_a if index % 2 else None,
                origin="association" if index % 2 else "ville",
                quartier=quartier,
                date=next_weekday(index % 7),
                places=5,
            )
            if index % 3 == 0:
                AssignmentFactory(mission=mission, status="acceptee")
            if index % 4 == 0:
                AssignmentFactory(mission=mission, volunteer=profile, status="acceptee")

    client.force_login(profile.user)
    make_calls(10)
    url = reverse("volontaires:mission_list")
    client.get(url)  # warm the session and the content types
    with CaptureQueriesContext(connection) as baseline:
        assert client.get(url).status_code == 200
    make_calls(count - 10)
    django_assert_max_num_queries = request.getfixturevalue("django_assert_max_num_queries")

    with django_assert_max_num_queries(len(baseline)):
        response = client.get(url)

    assert response.status_code == 200
    assert response.context["page"].paginator.count == count


def test_my_space_does_not_grow_in_queries(
    client, profile, programme, errands, django_assert_max_num_queries, settings
):
    settings.PAGE_CACHE_SECONDS = 0  # the queries of making the page, not of a cached copy

    def add_missions(number: int) -> None:
        for index in range(number):
            mission = MissionFactory(
                programme=programme,
                mission_type=errands,
                resident=ResidentFactory(programme=programme),
                date=next_weekday(index % 7),
            )
            status = ["proposee", "acceptee", "realisee"][index % 3]
            AssignmentFactory(
                mission=mission,
                volunteer=profile,
                status=status,
                done_on=mission.date if status == "realisee" else None,
            )

    client.force_login(profile.user)
    add_missions(3)
    url = reverse("volontaires:my_space")
    client.get(url)
    with CaptureQueriesContext(connection) as baseline:
        client.get(url)
    add_missions(30)

    with django_assert_max_num_queries(len(baseline)):
        response = client.get(url)

    assert len(response.context["assignments"]["accepted"]) == 11


# --- Mission detail, completion, keep in touch ---------------------------------------------


def test_marking_an_accepted_mission_done(client, proposal, profile, programme):
    past = timezone.localdate() - datetime.timedelta(days=2)
    proposal.mission.date = past
    proposal.mission.recurrence_weekday = None
    proposal.mission.save()
    proposals.accept(proposal, user=profile.user)
    client.force_login(profile.user)
    url = reverse("volontaires:assignment_complete", args=[proposal.pk])

    future = client.post(
        url,
        {
            "done_on": (timezone.localdate() + datetime.timedelta(days=1)).isoformat(),
            "duration_minutes": "45",
        },
    )
    too_early = client.post(
        url, {"done_on": (past - datetime.timedelta(days=1)).isoformat(), "duration_minutes": "45"}
    )
    no_duration = client.post(url, {"done_on": past.isoformat(), "duration_minutes": "0"})

    assert "La date de réalisation ne peut pas être dans le futur." in future.content.decode()
    assert "ne peut pas avoir été réalisée avant" in too_early.content.decode()
    assert "supérieure ou égale à 1" in no_duration.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == AssignmentStatus.ACCEPTED

    response = client.post(
        url,
        {"done_on": past.isoformat(), "duration_minutes": "50", "note": "Tout s'est bien passé."},
    )

    assert response.status_code == 302
    assert "Mission déclarée réalisée : merci pour votre aide !" in messages_of(response)
    proposal.refresh_from_db()
    assert (proposal.status, proposal.done_on, proposal.duration_minutes) == (
        AssignmentStatus.DONE,
        past,
        50,
    )
    assert proposal.completion_note == "Tout s'est bien passé."
    proposal.mission.refresh_from_db()
    assert proposal.mission.status == MissionStatus.DONE


def test_a_proposal_cannot_be_marked_done_before_it_is_accepted(client, proposal, profile):
    client.force_login(profile.user)

    response = client.post(
        reverse("volontaires:assignment_complete", args=[proposal.pk]),
        {"done_on": timezone.localdate().isoformat(), "duration_minutes": "30"},
    )

    assert "Seule une mission acceptée peut être déclarée réalisée." in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == AssignmentStatus.PROPOSED


def test_keep_in_touch_after_a_done_resident_mission(
    client, resident_mission, profile, association_a, agent
):
    done = AssignmentFactory(
        mission=resident_mission, volunteer=profile, status="realisee", done_on=timezone.localdate()
    )
    client.force_login(profile.user)
    page = client.get(reverse("volontaires:mission_detail", args=[resident_mission.pk]))
    assert "Demander qu'une association garde le lien" in page.content.decode()

    response = client.post(
        reverse("volontaires:keep_in_touch", args=[done.pk]), {"association": association_a.pk}
    )
    again = client.post(reverse("volontaires:keep_in_touch", args=[done.pk]), {})
    unknown = client.post(reverse("volontaires:keep_in_touch", args=[done.pk]), {"association": 0})

    request = KeepInTouchRequest.objects.get()
    assert (request.assignment, request.association, request.handled) == (
        done,
        association_a,
        False,
    )
    assert any("Demande transmise" in message for message in messages_of(response))
    assert "Votre demande a déjà été transmise aux agents du réseau." in messages_of(again)
    assert "Choisissez une association de la liste." in messages_of(unknown)
    assert KeepInTouchRequest.objects.count() == 1
    agent.groups.add(agents_group())  # the agents' permissions, as in the demo
    client.force_login(agent)
    admin = client.get(reverse("admin:volontaires_keepintouchrequest_changelist"))
    assert admin.status_code == 200 and "Courses du jeudi" in admin.content.decode()


def test_keep_in_touch_only_for_a_done_mission_of_a_resident(client, profile, food_bank, proposal):
    call = AssignmentFactory(
        mission=food_bank, volunteer=profile, status="realisee", done_on=timezone.localdate()
    )
    client.force_login(profile.user)

    for assignment in (call, proposal):
        response = client.post(reverse("volontaires:keep_in_touch", args=[assignment.pk]), {})
        assert (
            "« Garder le lien » ne concerne qu'une mission réalisée auprès d'un·e habitant·e."
            in messages_of(response)
        )
    assert not KeepInTouchRequest.objects.exists()


def test_navigation_for_volunteers_and_new_accounts(client, profile):
    client.force_login(profile.user)
    page = client.get(reverse("home")).content.decode()
    assert reverse("volontaires:mission_list") in page
    assert reverse("volontaires:my_space") in page

    newcomer = User.objects.create_user("nouveau@exemple.fr", "x")
    client.force_login(newcomer)
    assert reverse("volontaires:profile") in client.get(reverse("home")).content.decode()


def test_the_open_calls_say_to_you_whether_you_can_take_each_one_and_why_not(
    client, profile, programme, errands, french
):
    """GIVEN Léa, free every day from 8:00 to 20:00 and accepting errands, and three calls:
    one she can take, one on Saturday from 7:00 to 13:00 (outside her slots), one of a type
    she does not accept that asks for Arabic
    WHEN she opens the open missions list
    THEN each call says whether she can take it and, when not, why, addressed to her, with
    the link that changes it."""
    profile.availability_slots.filter(weekday=5).update(start_time=datetime.time(9))
    MissionFactory(
        programme=programme,
        mission_type=errands,
        title="Courses possibles",
        date=next_weekday(2),
    )
    MissionFactory(
        programme=programme,
        mission_type=errands,
        title="Samedi matin",
        date=next_weekday(5),
        start_time=datetime.time(7),
        end_time=datetime.time(13),
    )
    arabic = LanguageFactory(code="ar", name="arabe")
    MissionFactory(
        programme=programme,
        mission_type=MissionTypeFactory(name="Traduction"),
        title="Traduction",
        required_language=arabic,
        date=next_weekday(2),
    )
    client.force_login(profile.user)

    content = client.get(reverse("volontaires:mission_list")).content.decode()

    cards = {
        title: content.split(f">{title}</a>")[1].split('<li class="card')[0]
        for title in ("Courses possibles", "Samedi matin", "Traduction")
    }
    assert "Vous pouvez prendre cette mission." in cards["Courses possibles"]
    assert "Je m'inscris" in cards["Courses possibles"]
    assert (
        "Vous n&#x27;êtes pas disponible le samedi de 7 h à 13 h. — "
        f'<a href="{reverse("volontaires:profile")}#disponibilites">modifier mes disponibilités</a>'
    ) in cards["Samedi matin"]
    assert "Je m'inscris" not in cards["Samedi matin"]
    assert "Vous n&#x27;acceptez pas les missions « Traduction »." in cards["Traduction"]
    assert "Vous ne parlez pas la langue requise (arabe)." in cards["Traduction"]
    assert "modifier les missions que j&#x27;accepte" in cards["Traduction"]
