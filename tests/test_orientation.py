"""Orientation requests through the real views: an agent orients a resident (consent recorded),
the receiving coordinator answers through the private link without an account, the agent is
told; expired, replaced and other structures' links are refused; reminders, expiry and
anonymisation by the periodic task; "garder le lien" becomes an orientation request; each role
sees only its own requests."""

import datetime
import re

import pytest
import time_machine
from django.core import mail, signing
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from associations import orientation as orientations
from associations.models import OrientationRequest, OrientationStatus
from associations.tasks import orientation_upkeep
from tests.factories import (
    AssignmentFactory,
    MembershipFactory,
    MissionFactory,
    ResidentFactory,
    ServiceFactory,
    StructureFactory,
    VolunteerProfileFactory,
)


@pytest.fixture
def service_a(association_a, coordinator_a):
    structure = StructureFactory(association=association_a, name="Association A")
    return ServiceFactory(structure=structure, name="Douches et café", slug="douches")


@pytest.fixture
def service_b(association_b, coordinator_b):
    structure = StructureFactory(association=association_b, name="Association B")
    return ServiceFactory(structure=structure, name="Vestiaire", slug="vestiaire")


def link_in(message) -> str:
    return re.search(r"https?://\S+/orientations/lien/\S+/", message.body).group(0)


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


ORIENTATION = {
    "first_name": "Yasmina",
    "phone": "06 11 22 33 44",
    "reason": "A besoin d'une douche et d'un café le matin.",
    "consent_given": "on",
}


def orient_as(client, user, service, capture, **extra):
    client.force_login(user)
    with capture(execute=True):
        return client.post(
            reverse("associations:orient", args=[service.slug]), {**ORIENTATION, **extra}
        )


def test_an_orientation_walks_from_the_agent_to_the_coordinator_and_back(
    client, agent, coordinator_a, service_a, django_capture_on_commit_callbacks
):
    page = Client()
    page.force_login(agent)
    assert (
        "Orienter une personne vers ce service"
        in page.get(service_a.get_absolute_url()).content.decode()
    )

    without_consent = orient_as(
        client, agent, service_a, django_capture_on_commit_callbacks, consent_given=""
    )
    assert (
        "Recueillez d&#x27;abord l&#x27;accord de la personne." in without_consent.content.decode()
    )
    assert not OrientationRequest.objects.exists()

    response = orient_as(client, agent, service_a, django_capture_on_commit_callbacks)
    made = OrientationRequest.objects.get()
    assert response.status_code == 302 and response.url == made.get_absolute_url()
    assert (made.prescriber, made.prescriber_role, made.consent_given) == (agent, "agent", True)
    assert (
        made.consent_recorded_at == timezone.now().replace(microsecond=0)
        or made.consent_recorded_at
    )
    assert [message.to for message in mail.outbox] == [[coordinator_a.email]]
    assert "06 11 22 33 44" not in mail.outbox[0].body  # the person's details stay behind the link
    link = path_of(link_in(mail.outbox[0]))

    anonymous = Client()
    shown = anonymous.get(link)
    assert shown.status_code == 200
    assert "Yasmina" in shown.content.decode() and "06 11 22 33 44" in shown.content.decode()
    refused_without_reason = anonymous.post(link, {"decision": "refuser", "name": "Lou"})
    assert "Indiquez le motif du refus." in refused_without_reason.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        accepted = anonymous.post(
            link, {"decision": "accepter", "reason": "Venir à 9 h", "name": "Lou, accueil"}
        )
    assert accepted.status_code == 302
    made.refresh_from_db()
    assert (made.status, made.decided_by, made.decision_reason) == (
        OrientationStatus.ACCEPTED,
        "Lou, accueil",
        "Venir à 9 h",
    )
    told = mail.outbox[-1]
    assert told.to == [agent.email] and "acceptée" in told.body and "Venir à 9 h" in told.body
    again = anonymous.post(link, {"decision": "refuser", "reason": "Non", "name": "Lou"})
    assert "a déjà reçu une réponse" in again.content.decode()
    made.refresh_from_db()
    assert made.status == OrientationStatus.ACCEPTED


def test_expired_replaced_and_other_structures_links_are_refused(
    client, agent, service_a, service_b, django_capture_on_commit_callbacks
):
    orient_as(client, agent, service_a, django_capture_on_commit_callbacks)
    orient_as(client, agent, service_b, django_capture_on_commit_callbacks)
    to_a, to_b = OrientationRequest.objects.order_by("pk")
    link_a = path_of(link_in(mail.outbox[0]))
    anonymous = Client()

    with time_machine.travel(timezone.now() + datetime.timedelta(days=8, minutes=1)):
        expired = anonymous.get(link_a)
        assert "Ce lien a expiré" in expired.content.decode()
        assert "Yasmina" not in expired.content.decode()  # the request is not shown
        late = anonymous.post(link_a, {"decision": "accepter", "name": "Lou"})
        assert "Ce lien a expiré" in late.content.decode()
        to_a.refresh_from_db()
        assert to_a.status == OrientationStatus.PENDING
        with django_capture_on_commit_callbacks(execute=True):
            renewed = anonymous.post(
                reverse("associations:orientation_link_renew", args=[link_a.split("/")[-2]])
            )
        assert renewed.status_code == 302
    fresh = path_of(link_in(mail.outbox[-1]))
    assert fresh != link_a and anonymous.get(fresh).status_code == 200
    replaced = anonymous.get(link_a)
    assert "Un lien plus récent" in replaced.content.decode()
    assert "Yasmina" not in replaced.content.decode()

    # A link signed for structure A cannot open B's request, and a tampered one is refused.
    crossed = signing.dumps(
        {"o": to_b.pk, "s": to_a.structure_id, "v": 1}, salt=orientations.TOKEN_SALT, compress=True
    )
    response = anonymous.post(
        reverse("associations:orientation_answer", args=[crossed]),
        {"decision": "accepter", "name": "Intrus"},
    )
    assert response.status_code == 403
    assert "aucune demande de votre structure" in response.content.decode()
    tampered = anonymous.get(reverse("associations:orientation_answer", args=["abc:def:ghi"]))
    assert tampered.status_code == 403 and "n&#x27;est pas valide" in tampered.content.decode()
    to_b.refresh_from_db()
    assert to_b.status == OrientationStatus.PENDING


def test_reminders_expiry_and_anonymisation_by_the_periodic_task(
    client, agent, coordinator_a, service_a, django_capture_on_commit_callbacks
):
    orient_as(client, agent, service_a, django_capture_on_commit_callbacks)
    made = OrientationRequest.objects.get()
    start = timezone.now()

    def run_at(days: int) -> dict:
        with (
            time_machine.travel(start + datetime.timedelta(days=days), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return orientation_upkeep.delay().get()

    assert run_at(9) == {"relances": 0, "expirees": 0, "anonymisees": 0}
    assert run_at(10)["relances"] == 1
    reminder = mail.outbox[-1]
    assert reminder.to == [coordinator_a.email] and "attend toujours" in reminder.body
    assert run_at(15)["relances"] == 0
    assert run_at(20)["relances"] == 1
    assert run_at(30) == {"relances": 1, "expirees": 1, "anonymisees": 0}
    made.refresh_from_db()
    assert made.status == OrientationStatus.EXPIRED
    assert mail.outbox[-1].to == [agent.email] and "a expiré" in mail.outbox[-1].body

    with override_settings(ORIENTATION_RETENTION_MONTHS=24):
        assert run_at(30 + 700)["anonymisees"] == 0
        assert run_at(30 + 732)["anonymisees"] == 1
    made.refresh_from_db()
    assert (made.first_name, made.phone, made.reason) == ("Personne anonymisée", "", "")
    assert made.anonymised_at is not None and made.status == OrientationStatus.EXPIRED


def test_keep_in_touch_becomes_an_orientation_the_coordinator_answers(
    client, coordinator_a, association_a, django_capture_on_commit_callbacks
):
    profile = VolunteerProfileFactory(user__email="lea@exemple.fr")
    resident = ResidentFactory(first_name="Gwenaëlle", phone="02 99 11 22 33")
    mission = MissionFactory(
        programme=resident.programme, resident=resident, date=timezone.localdate()
    )
    done = AssignmentFactory(
        mission=mission, volunteer=profile, status="realisee", done_on=timezone.localdate()
    )
    client.force_login(profile.user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("volontaires:keep_in_touch", args=[done.pk]), {"association": association_a.pk}
        )
    handover = OrientationRequest.objects.get()
    assert (handover.structure.association, handover.prescriber, handover.assignment) == (
        association_a,
        profile.user,
        done,
    )
    assert handover.first_name == "Gwenaëlle" and handover.last_name == ""
    assert handover.consent_recorded_at == resident.consent_recorded_at
    assert mail.outbox[-1].to == [coordinator_a.email]

    coordinator = Client()
    coordinator.force_login(coordinator_a)
    listed = coordinator.get(reverse("associations:orientations"))
    assert "Gwenaëlle" in listed.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        answered = coordinator.post(
            reverse("associations:orientation_reply", args=[handover.pk]),
            {"decision": "accepter", "reason": "Nous l'appelons lundi", "name": "Annick"},
        )
    assert answered.status_code == 302
    handover.refresh_from_db()
    assert handover.status == OrientationStatus.ACCEPTED
    assert mail.outbox[-1].to == [profile.user.email]
    page = client.get(reverse("volontaires:mission_detail", args=[mission.pk]))
    assert "Transmise à" in page.content.decode() and "Acceptée" in page.content.decode()


def test_each_role_sees_only_its_own_requests(
    client, agent, coordinator_a, coordinator_b, service_a, service_b,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    volunteer = VolunteerProfileFactory(user__email="v1@exemple.fr")
    other = VolunteerProfileFactory(user__email="v2@exemple.fr")
    mission = MissionFactory(date=timezone.localdate())
    mine = AssignmentFactory(mission=mission, volunteer=volunteer, status="acceptee")
    orient_as(
        client, volunteer.user, service_b, django_capture_on_commit_callbacks, assignment=mine.pk
    )
    orient_as(client, agent, service_a, django_capture_on_commit_callbacks)
    by_volunteer, by_agent = OrientationRequest.objects.order_by("pk")
    assert by_volunteer.prescriber_role == "volontaire" and by_volunteer.assignment == mine

    def visible(user) -> set[int]:
        return set(OrientationRequest.objects.visible_to(user).values_list("pk", flat=True))

    assert visible(volunteer.user) == {by_volunteer.pk}
    assert visible(other.user) == set()
    assert visible(coordinator_a) == {by_agent.pk}
    assert visible(coordinator_b) == {by_volunteer.pk}
    assert visible(agent) == {by_volunteer.pk, by_agent.pk}
    from django.contrib.auth.models import AnonymousUser

    assert visible(AnonymousUser()) == set()
    for user, pk, status in [
        (other.user, by_volunteer.pk, 404),
        (coordinator_a, by_volunteer.pk, 404),
        (coordinator_b, by_volunteer.pk, 200),
        (volunteer.user, by_agent.pk, 404),
    ]:
        client.force_login(user)
        assert client.get(reverse("associations:orientation", args=[pk])).status_code == status
    # The volunteer who made it may not answer it; the other structure's coordinator neither.
    client.force_login(volunteer.user)
    assert (
        client.post(
            reverse("associations:orientation_reply", args=[by_volunteer.pk]),
            {"decision": "accepter", "name": "Moi"},
        ).status_code
        == 403
    )
    client.logout()
    response = client.get(reverse("associations:orientation", args=[by_volunteer.pk]))
    assert response.status_code == 302 and "/login/" in response.url


def test_a_volunteer_orients_only_during_one_of_their_missions(
    client, service_a, django_capture_on_commit_callbacks
):
    volunteer = VolunteerProfileFactory(user__email="v1@exemple.fr")
    someone_elses = AssignmentFactory(
        mission=MissionFactory(date=timezone.localdate()), status="acceptee"
    )
    response = orient_as(
        client,
        volunteer.user,
        service_a,
        django_capture_on_commit_callbacks,
        assignment=someone_elses.pk,
    )
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert not OrientationRequest.objects.exists()


def test_a_structure_without_any_address_cannot_receive_a_request(
    client, agent, django_capture_on_commit_callbacks
):
    lonely = ServiceFactory(structure=StructureFactory(email=""), slug="seul")
    response = orient_as(client, agent, lonely, django_capture_on_commit_callbacks)
    assert "appelez-la directement" in response.content.decode()
    assert not OrientationRequest.objects.exists()


def test_coordinators_are_the_recipients(service_a, association_a, coordinator_a):
    second = MembershipFactory(association=association_a, user__email="autre@a.example.fr").user
    assert orientations.recipients(service_a.structure) == sorted(
        [coordinator_a.email, second.email]
    )


def test_the_beat_schedule_runs_the_directory_tasks(settings):
    from solidaren.celery import app

    for key, task in [
        ("orientation-upkeep", "associations.orientation_upkeep"),
        ("directory-freshness-reminders", "associations.freshness_reminders"),
    ]:
        assert settings.CELERY_BEAT_SCHEDULE[key]["task"] == task
        assert task in app.tasks
    assert settings.ORIENTATION_RETENTION_MONTHS == 24


def test_the_volunteer_no_longer_reads_the_person_once_the_mission_is_over(
    client, coordinator_a, association_a, django_capture_on_commit_callbacks
):
    """The resident's rule (`volontaires.privacy`) on the requests a volunteer made: the
    handover's first name and phone only while the mission's contact is theirs; afterwards the
    state and the structure, a neutral text instead of the person, nothing in the e-mails."""
    profile = VolunteerProfileFactory(user__email="lea@exemple.fr")
    resident = ResidentFactory(first_name="Gwenaëlle", phone="02 99 11 22 33")
    day = timezone.localdate() + datetime.timedelta(days=3)
    mission = MissionFactory(programme=resident.programme, resident=resident, date=day)
    assignment = AssignmentFactory(mission=mission, volunteer=profile, status="acceptee")
    with django_capture_on_commit_callbacks(execute=True):
        handover = orientations.keep_in_touch(
            assignment=assignment, association=association_a, volunteer=profile.user
        )
    detail = reverse("associations:orientation", args=[handover.pk])
    secrets = ("Gwenaëlle", "02 99 11 22 33", "Garder le lien")
    client.force_login(profile.user)
    during = (
        client.get(detail).content.decode()
        + client.get(reverse("associations:orientations")).content.decode()
    )
    assert all(secret in during for secret in secrets[:2])

    coordinator = Client()
    coordinator.force_login(coordinator_a)
    with time_machine.travel(day + datetime.timedelta(days=1)):
        after = client.get(detail).content.decode()
        listed = client.get(reverse("associations:orientations")).content.decode()
        assert "Association A" in after and "En attente de réponse" in after
        assert "ne vous sont plus communiquées" in after
        assert "Non communiquée (mission terminée)" in listed
        for secret in secrets:
            assert secret not in after and secret not in listed, secret
        # The receiving coordinator answers: they still read the person, the volunteer's
        # e-mail says the answer only.
        assert "Gwenaëlle" in coordinator.get(detail).content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            coordinator.post(
                reverse("associations:orientation_reply", args=[handover.pk]),
                {"decision": "accepter", "reason": "Nous appelons lundi", "name": "Annick"},
            )
        told = mail.outbox[-1]
        assert told.to == [profile.user.email] and "acceptée" in told.body
        for secret in secrets:
            assert secret not in told.subject + told.body, secret
        assert "Acceptée" in client.get(detail).content.decode()

    # A mission marked done (even before its date) ends the contact too.
    mission.status = "realisee"
    mission.save(update_fields=["status"])
    assert "Gwenaëlle" not in client.get(detail).content.decode()
