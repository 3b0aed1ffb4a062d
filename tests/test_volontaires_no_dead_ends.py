"""The volunteer's journey without dead ends: an accepted mission can be called off (with a
reason, the team told, the place reopened and the next candidate asked), and "mark as done" is
offered only once the mission's date has come, a refusal keeping what the volunteer typed."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tests import test_volontaires_volunteer as volunteer_tests
from tests.factories import (
    AssociationFactory,
    MembershipFactory,
    MissionFactory,
    VolunteerProfileFactory,
)
from tests.test_volontaires_volunteer import make_volunteer, messages_of
from volontaires import proposals
from volontaires.models import Assignment, AssignmentStatus, MissionStatus

pytestmark = pytest.mark.django_db

# The volunteer persona and their resident's mission, from the volunteer tests.
programme = volunteer_tests.programme
errands = volunteer_tests.errands
quartier = volunteer_tests.quartier
french = volunteer_tests.french
profile = volunteer_tests.profile
resident_mission = volunteer_tests.resident_mission
proposal = volunteer_tests.proposal


def _cancel(client, assignment, reason, capture):
    with capture(execute=True):
        return client.post(
            reverse("volontaires:assignment_cancel", args=[assignment.pk]), {"reason": reason}
        )


def test_cancel_an_accepted_mission_tells_the_team_and_asks_the_next_candidate(
    client, proposal, profile, programme, errands, agent, django_capture_on_commit_callbacks
):
    """GIVEN an accepted resident's mission and another suitable volunteer WHEN the volunteer
    calls it off with a reason THEN the place reopens, the agents get the reason by e-mail and
    the mission is proposed to the other volunteer."""
    proposals.accept(proposal, user=profile.user)
    other = make_volunteer(programme, [errands], email="yann@exemple.fr")
    client.force_login(profile.user)
    page = client.get(reverse("volontaires:mission_detail", args=[proposal.mission_id]))
    assert "Annuler ma participation" in page.content.decode()
    assert 'id="realisation"' in page.content.decode()  # the notice, no completion form
    assert "Déclarer la mission réalisée</button>" not in page.content.decode()
    mail.outbox.clear()

    response = _cancel(
        client, proposal, "Hospitalisation imprévue", django_capture_on_commit_callbacks
    )

    assert response.status_code == 302
    assert response.url == reverse("volontaires:my_space")
    assert any("l'équipe est prévenue" in message for message in messages_of(response))
    proposal.refresh_from_db()
    assert proposal.status == AssignmentStatus.CANCELLED
    assert proposal.decline_reason == "Hospitalisation imprévue"
    assert proposal.cancellation_notified_at is not None
    team_mail = next(m for m in mail.outbox if m.to == [agent.email])
    assert "Désistement" in team_mail.subject
    assert "Hospitalisation imprévue" in team_mail.body
    assert str(profile) in team_mail.body
    next_one = Assignment.objects.get(mission=proposal.mission, volunteer=other)
    assert next_one.status == AssignmentStatus.PROPOSED
    assert any(m.to == ["yann@exemple.fr"] for m in mail.outbox)


def test_cancelling_an_association_call_reopens_the_place_and_tells_its_coordinators(
    client, profile, programme, errands, agent, django_capture_on_commit_callbacks
):
    association = AssociationFactory()
    coordinator = MembershipFactory(association=association, user__email="coord@a.fr").user
    call = MissionFactory(
        programme=programme,
        mission_type=errands,
        association=association,
        volunteer_calls=True,
        places=1,
        date=timezone.localdate() + datetime.timedelta(days=3),
    )
    taken = proposals.apply(call, profile)
    call.refresh_from_db()
    assert call.status == MissionStatus.FULL
    client.force_login(profile.user)
    mail.outbox.clear()

    _cancel(client, taken, "Je déménage", django_capture_on_commit_callbacks)

    call.refresh_from_db()
    assert call.status == MissionStatus.OPEN
    assert proposals.places_left(call) == 1
    assert [m.to for m in mail.outbox] == [[coordinator.email]]
    assert agent.email not in mail.outbox[0].to
    assert "Je déménage" in mail.outbox[0].body


def test_cancel_needs_a_reason_and_writes_nothing_without_one(
    client, proposal, profile, django_capture_on_commit_callbacks
):
    proposals.accept(proposal, user=profile.user)
    client.force_login(profile.user)
    mail.outbox.clear()

    response = _cancel(client, proposal, "   ", django_capture_on_commit_callbacks)

    assert response.status_code == 200
    page = response.content.decode()
    assert "data-error-summary" in page
    assert "Indiquez le motif de l&#x27;annulation" in page
    proposal.refresh_from_db()
    assert proposal.status == AssignmentStatus.ACCEPTED
    assert mail.outbox == []


def test_only_the_volunteer_can_cancel_and_only_an_accepted_mission_to_come(
    client, proposal, profile, programme, errands, django_capture_on_commit_callbacks
):
    someone_else = make_volunteer(programme, [errands], email="autre@exemple.fr")
    client.force_login(someone_else.user)
    response = _cancel(client, proposal, "Pas moi", django_capture_on_commit_callbacks)
    assert response.status_code == 404

    client.force_login(profile.user)
    response = _cancel(client, proposal, "Pas encore acceptée", django_capture_on_commit_callbacks)
    assert (
        "Seule une mission que vous avez acceptée peut être annulée." in response.content.decode()
    )

    proposals.accept(proposal, user=profile.user)
    proposal.mission.date = timezone.localdate() - datetime.timedelta(days=1)
    proposal.mission.save()
    response = _cancel(client, proposal, "Trop tard", django_capture_on_commit_callbacks)
    assert "Cette mission a déjà eu lieu" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == AssignmentStatus.ACCEPTED


def test_mark_done_refused_before_the_date_keeps_what_was_typed(client, proposal, profile):
    """GIVEN an accepted mission in three days WHEN the volunteer posts "done" anyway (an old
    tab, a crafted form) THEN it is refused on the form itself, the note, the duration and the
    date typed are still in the fields, and nothing is written."""
    proposal.mission.date = timezone.localdate() + datetime.timedelta(days=3)
    proposal.mission.save()
    proposals.accept(proposal, user=profile.user)
    client.force_login(profile.user)
    page = client.get(reverse("volontaires:mission_detail", args=[proposal.mission_id]))
    assert "Vous pourrez déclarer la mission réalisée à partir du" in page.content.decode()
    assert 'name="duration_minutes"' not in page.content.decode()
    today = timezone.localdate().isoformat()

    response = client.post(
        reverse("volontaires:assignment_complete", args=[proposal.pk]),
        {"done_on": today, "duration_minutes": "75", "note": "Courses livrées, tout va bien."},
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "data-error-summary" in page
    assert "elle ne peut pas avoir été réalisée avant" in page
    assert f'value="{today}"' in page
    assert 'value="75"' in page
    assert "Courses livrées, tout va bien.</textarea>" in page
    proposal.refresh_from_db()
    assert proposal.status == AssignmentStatus.ACCEPTED
    assert proposal.done_on is None


def test_mark_done_is_offered_once_the_date_has_come(client, proposal, profile):
    proposal.mission.date = timezone.localdate()
    proposal.mission.save()
    proposals.accept(proposal, user=profile.user)
    client.force_login(profile.user)

    page = client.get(reverse("volontaires:mission_detail", args=[proposal.mission_id]))
    space = client.get(reverse("volontaires:my_space"))

    assert 'name="duration_minutes"' in page.content.decode()
    assert "Dire que la mission est faite" in space.content.decode()


def test_staff_find_a_volunteer_to_verify_and_verify_them_from_the_portal(client, agent):
    """GIVEN a new volunteer not verified WHEN an agent opens the list of volunteers to verify
    THEN they are listed with a link to their page, whose button verifies them; once verified
    they leave the default list."""
    waiting = VolunteerProfileFactory(user__first_name="Maëlys", user__last_name="Tanguy")
    VolunteerProfileFactory(user__first_name="Déjà", is_verified=True)
    client.force_login(agent)

    listed = client.get(reverse("volontaires:staff_volunteers")).content.decode()
    assert reverse("volontaires:staff_volunteer", args=[waiting.pk]) in listed
    assert "Déjà" not in listed
    searched = client.get(reverse("volontaires:staff_volunteers"), {"q": "tangu"})
    assert "Maëlys" in searched.content.decode()

    client.post(reverse("volontaires:staff_volunteer_verify", args=[waiting.pk]), {"verifie": "1"})

    waiting.refresh_from_db()
    assert waiting.is_verified and waiting.verified_by == agent
    client.get(reverse("volontaires:staff_volunteer", args=[waiting.pk]))  # reads the message
    after = client.get(reverse("volontaires:staff_volunteers")).content.decode()
    assert reverse("volontaires:staff_volunteer", args=[waiting.pk]) not in after
    everyone = client.get(reverse("volontaires:staff_volunteers"), {"tous": "1"})
    assert "Maëlys" in everyone.content.decode()


def test_the_resident_request_form_has_an_error_summary_linking_to_the_fields(client, agent):
    client.force_login(agent)

    response = client.post(reverse("volontaires:staff_request_new"), {"habitant-first_name": ""})

    assert response.status_code == 200
    summary = re.search(
        r'<div class="error-summary"[^>]*>.*?</div>', response.content.decode(), re.DOTALL
    ).group(0)
    assert 'tabindex="-1"' in summary and "data-error-summary" in summary
    assert 'href="#id_habitant-first_name"' in summary
    assert 'href="#id_mission-mission_type"' in summary


def test_a_search_with_a_nul_character_is_a_message_not_a_server_error(client, agent):
    """PostgreSQL refuses NUL in text: the volunteers' search says so and lists everyone."""
    waiting = VolunteerProfileFactory(user__first_name="Maëlys")
    client.force_login(agent)

    response = client.get(reverse("volontaires:staff_volunteers"), {"q": "Ma\x00"}, follow=True)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Recherche ignorée" in page
    assert reverse("volontaires:staff_volunteer", args=[waiting.pk]) in page
