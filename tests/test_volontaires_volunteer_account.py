"""Deleting a volunteer's account anonymises it: no personal data left, the figures stay."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.urls import reverse

from solidaren.models import User
from tests.factories import (
    PASSWORD,
    AssignmentFactory,
    LanguageFactory,
    MembershipFactory,
    MissionFactory,
    MissionTypeFactory,
    ProgrammeFactory,
    ResidentFactory,
)
from tests.test_volontaires_volunteer import make_volunteer, messages_of, next_weekday
from volontaires import ical
from volontaires.accounts import anonymise_account
from volontaires.figures import programme_figures
from volontaires.models import (
    Assignment,
    AssignmentStatus,
    EnrolmentStatus,
    MissionStatus,
    VolunteerProfile,
)


@pytest.fixture
def history(db):
    """A volunteer with two missions done for two residents, one accepted ahead, one proposal."""
    programme = ProgrammeFactory()
    errands = MissionTypeFactory()
    volunteer = make_volunteer(programme, [errands], email="partant@exemple.fr")
    volunteer.languages.add(LanguageFactory(code="br", name="breton"))
    volunteer.transport_modes = ["velo"]
    volunteer.save()
    ical.regenerate_token(volunteer)
    for _ in range(2):
        mission = MissionFactory(
            programme=programme, mission_type=errands, resident=ResidentFactory(programme=programme)
        )
        AssignmentFactory(
            mission=mission, volunteer=volunteer, status="realisee", done_on=mission.date
        )
    ahead = MissionFactory(programme=programme, mission_type=errands, date=next_weekday(2))
    AssignmentFactory(mission=ahead, volunteer=volunteer, status="acceptee")
    ahead.status = MissionStatus.FULL
    ahead.save()
    pending = MissionFactory(
        programme=programme,
        mission_type=errands,
        resident=ResidentFactory(programme=programme),
        date=next_weekday(4),
    )
    AssignmentFactory(mission=pending, volunteer=volunteer, status="proposee")
    make_volunteer(programme, [errands])  # somebody else, untouched
    return {"programme": programme, "volunteer": volunteer, "ahead": ahead, "pending": pending}


def test_anonymising_leaves_no_personal_data_and_the_figures_unchanged(history):
    """GIVEN a volunteer with missions done WHEN their account is anonymised THEN nothing
    personal is left, their enrolment is withdrawn with its history, missions not done yet
    are released, and the programme's figures only lose one active volunteer."""
    volunteer = history["volunteer"]
    user = volunteer.user
    before = programme_figures(history["programme"])

    anonymise_account(user)

    user.refresh_from_db()
    volunteer.refresh_from_db()
    assert user.email == f"supprime-{user.pk}@anonyme.invalid"
    assert (user.first_name, user.last_name) == ("", "")
    assert not user.has_usable_password()
    assert not user.is_active
    assert not EmailAddress.objects.filter(user=user).exists()
    assert not EmailAddress.objects.filter(email="partant@exemple.fr").exists()
    assert not User.objects.filter(email="partant@exemple.fr").exists()
    assert volunteer.phone == ""
    assert not volunteer.languages.exists()
    assert not volunteer.availability_slots.exists()
    assert volunteer.transport_modes == []
    assert volunteer.ical_token is None
    enrolment = volunteer.enrolments.get()
    assert enrolment.status == EnrolmentStatus.WITHDRAWN
    assert list(enrolment.changes.values_list("status", flat=True)) == [EnrolmentStatus.WITHDRAWN]
    statuses = sorted(volunteer.assignments.values_list("status", flat=True))
    assert statuses == sorted(
        [
            AssignmentStatus.DONE,
            AssignmentStatus.DONE,
            AssignmentStatus.CANCELLED,
            AssignmentStatus.CANCELLED,
        ]
    )
    history["ahead"].refresh_from_db()
    assert history["ahead"].status == MissionStatus.OPEN  # the place opened again
    after = programme_figures(history["programme"])
    assert after == {**before, "actifs": before["actifs"] - 1}
    assert after["missions_realisees"] == 2 and after["mobilises"] == 1
    assert after["soutiens"] == 2 and after["habitants"] == 2


def test_an_anonymised_account_cannot_log_in_again(client, history):
    anonymise_account(history["volunteer"].user)

    response = client.post(
        reverse("account_login"), {"login": "partant@exemple.fr", "password": PASSWORD}
    )

    assert "_auth_user_id" not in client.session
    assert response.status_code == 200


def test_agents_and_coordinators_are_not_anonymised_from_here(db, agent, coordinator_a):
    for user in (agent, coordinator_a):
        with pytest.raises(ValidationError):
            anonymise_account(user)
        user.refresh_from_db()
        assert user.is_active


def test_the_deletion_page_asks_for_the_password(client, history):
    volunteer = history["volunteer"]
    client.force_login(volunteer.user)
    url = reverse("volontaires:account_delete")
    assert "Supprimer définitivement mon compte" in client.get(url).content.decode()

    wrong = client.post(url, {"password": "pas-le-bon"})

    assert wrong.status_code == 200
    assert "Mot de passe incorrect : le compte n&#x27;est pas supprimé." in wrong.content.decode()
    volunteer.user.refresh_from_db()
    assert volunteer.user.is_active and volunteer.user.email == "partant@exemple.fr"

    response = client.post(url, {"password": PASSWORD})

    assert response.status_code == 302 and response.url == reverse("home")
    assert "_auth_user_id" not in client.session
    assert any("Votre compte est supprimé" in message for message in messages_of(response))
    volunteer.user.refresh_from_db()
    assert not volunteer.user.is_active
    assert VolunteerProfile.objects.filter(pk=volunteer.pk).exists()  # rows stay, anonymous
    assert Assignment.objects.filter(volunteer=volunteer, status="realisee").count() == 2


def test_a_coordinator_who_volunteers_is_sent_to_the_agents(client, history, association_a):
    user = history["volunteer"].user
    MembershipFactory(user=user, association=association_a)
    client.force_login(user)

    page = client.get(reverse("volontaires:account_delete")).content.decode()
    response = client.post(reverse("volontaires:account_delete"), {"password": PASSWORD})

    assert "demandez sa suppression aux agents du réseau" in page
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.is_active
