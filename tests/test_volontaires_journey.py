"""The whole journey of a volunteer through the real views.

Sign up (allauth) → verify the e-mail address → log in → complete the volunteer profile →
an agent proposes a resident's mission → the volunteer sees it in their space and accepts →
marks it done → the programme's figures moved by one mission done.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from tests.factories import (
    PASSWORD,
    LanguageFactory,
    MissionFactory,
    MissionTypeFactory,
    ProgrammeFactory,
    QuartierFactory,
    ResidentFactory,
)
from tests.test_volontaires_volunteer import profile_data
from volontaires import proposals
from volontaires.figures import programme_figures
from volontaires.models import Assignment, AssignmentStatus, MissionStatus, VolunteerProfile

CONFIRMATION_LINK = re.compile(r"https?://[^/\s]+(/comptes/confirm-email/[^/\s]+/)")
EMAIL = "nouvelle.volontaire@exemple.fr"


def agent_proposes(agent, mission, profile) -> None:
    """Through the agents' view when the staff side has it, else the domain call."""
    try:
        url = reverse("volontaires:staff_mission_propose", args=[mission.pk, profile.pk])
    except NoReverseMatch:
        proposals.propose(mission, profile, by=agent)
        return
    staff = Client()
    staff.force_login(agent)
    assert staff.post(url).status_code == 302


@pytest.mark.django_db
def test_sign_up_profile_proposal_acceptance_completion_and_figures(
    client, agent, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    programme = ProgrammeFactory(slug="parcours-test", start_date=today.replace(day=1))
    errands = MissionTypeFactory(name="Portage de courses")
    quartier = QuartierFactory(name="Villejean – Beauregard")
    LanguageFactory(code="fr", name="français")
    resident = ResidentFactory(
        programme=programme,
        first_name="Gwenaëlle",
        last_name="Le Quéré",
        phone="02 99 11 22 33",
        address="12 rue de Fougères",
    )
    mission = MissionFactory(
        programme=programme,
        mission_type=errands,
        resident=resident,
        quartier=quartier,
        title="Courses de la semaine",
        date=today,
    )
    initial = programme_figures(programme)

    # 1. Sign up, then verify the address from the link in the e-mail.
    response = client.post(
        reverse("account_signup"), {"email": EMAIL, "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302
    link = CONFIRMATION_LINK.search(mail.outbox[-1].body).group(1)
    assert client.post(link).status_code == 302

    # 2. Log in: the home page invites to complete the volunteer profile.
    response = client.post(reverse("account_login"), {"login": EMAIL, "password": PASSWORD})
    assert response.status_code == 302
    assert "Compléter mon profil de volontaire" in client.get(response.url).content.decode()
    assert client.get(reverse("volontaires:my_space")).url == reverse("volontaires:profile")

    # 3. Complete the profile: available today, on the mission's hours.
    data = profile_data(
        programme,
        errands,
        quartier,
        **{
            "creneaux-0-weekday": str(today.weekday()),
            "creneaux-0-start_time": "08:00",
            "creneaux-0-end_time": "20:00",
        },
    )
    response = client.post(reverse("volontaires:profile"), data)
    assert response.status_code == 302 and response.url == reverse("volontaires:my_space")
    profile = VolunteerProfile.objects.get(user__email=EMAIL)
    signed_up = programme_figures(programme)
    assert signed_up["inscrits"] == initial["inscrits"] + 1
    assert signed_up["actifs"] == initial["actifs"] + 1

    # 4. An agent proposes the mission; the volunteer is told by e-mail.
    with django_capture_on_commit_callbacks(execute=True):
        agent_proposes(agent, mission, profile)
    proposal = Assignment.objects.get(mission=mission, volunteer=profile)
    assert proposal.status == AssignmentStatus.PROPOSED
    assert mail.outbox[-1].to == [EMAIL]
    assert "Courses de la semaine" in mail.outbox[-1].subject

    # 5. My space shows it, without the resident's contact details.
    space = client.get(reverse("volontaires:my_space")).content.decode()
    assert "Courses de la semaine" in space
    assert "02 99 11 22 33" not in space and "12 rue de Fougères" not in space

    # 6. Accept: the resident's first name, phone and address appear, not the last name.
    response = client.post(reverse("volontaires:proposal_accept", args=[proposal.pk]))
    assert response.url == reverse("volontaires:mission_detail", args=[mission.pk])
    detail = client.get(response.url).content.decode()
    assert "Gwenaëlle" in detail and "02 99 11 22 33" in detail and "12 rue de Fougères" in detail
    assert "Le Quéré" not in detail

    # 7. Mark it done.
    response = client.post(
        reverse("volontaires:assignment_complete", args=[proposal.pk]),
        {"done_on": today.isoformat(), "duration_minutes": "60", "note": "Merci Gwenaëlle !"},
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    mission.refresh_from_db()
    assert proposal.status == AssignmentStatus.DONE
    assert mission.status == MissionStatus.DONE

    # 8. The figures moved by one mission done, one volunteer mobilised, one resident helped.
    done = programme_figures(programme)
    assert done == {
        **signed_up,
        "mobilises": signed_up["mobilises"] + 1,
        "habitants": signed_up["habitants"] + 1,
        "soutiens": signed_up["soutiens"] + 1,
        "missions_realisees": signed_up["missions_realisees"] + 1,
    }
    try:
        url = reverse("volontaires:figures_json")
    except NoReverseMatch:
        return  # the public figures are not there yet
    response = client.get(url, {"programme": programme.slug})
    assert response.status_code == 200
    assert response.json()["missions_realisees"] == done["missions_realisees"]
    assert response.json()["inscrits"] == done["inscrits"]
