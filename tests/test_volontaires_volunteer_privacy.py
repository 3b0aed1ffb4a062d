"""Privacy of residents on the volunteers' side.

A volunteer never reads a resident's phone or address before accepting a mission for them —
and never their last name — and never anything of any other resident: not on their pages,
not by guessing URLs (every volunteer URL of the app is tried with other residents' mission
ids), not in the back-office, not in a proposal e-mail, not in a calendar feed.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.factories import (
    AssignmentFactory,
    LanguageFactory,
    MissionFactory,
    MissionTypeFactory,
    ProgrammeFactory,
    QuartierFactory,
    ResidentFactory,
)
from tests.test_volontaires_volunteer import make_volunteer, next_weekday
from volontaires import ical, proposals
from volontaires.models import Assignment, AssignmentStatus, Mission
from volontaires.privacy import resident_details_for

# What must never leak before acceptance (the first name neither) and never at all.
FIRST_NAME = "Gwenaëlle"
LAST_NAME = "Le Quéré"
PHONE = "02 99 11 22 33"
ADDRESS = "12 rue de Fougères"
OTHERS = ["Yvonnick", "Kerbrat", "02 99 77 88 99", "5 allée des Secrets", "Ty Bihan"]


@pytest.fixture
def setting(db, agent, django_capture_on_commit_callbacks):
    programme = ProgrammeFactory()
    errands = MissionTypeFactory(name="Portage de courses")
    quartier = QuartierFactory(name="Maurepas – Bellangerais")
    LanguageFactory(code="fr", name="français")
    resident = ResidentFactory(
        programme=programme,
        first_name=FIRST_NAME,
        last_name=LAST_NAME,
        phone=PHONE,
        address=ADDRESS,
    )
    mission = MissionFactory(
        programme=programme,
        mission_type=errands,
        resident=resident,
        quartier=quartier,
        title="Courses du jeudi",
        description="Courses au marché.",
        place=ADDRESS,
        date=next_weekday(3),
    )
    other_resident = ResidentFactory(
        programme=programme,
        first_name=OTHERS[0],
        last_name=OTHERS[1],
        phone=OTHERS[2],
        address=OTHERS[3],
    )
    others = [
        MissionFactory(
            programme=programme,
            mission_type=errands,
            resident=other_resident,
            title=f"Mission confidentielle {index}",
            place=OTHERS[4],
            date=next_weekday(3),
        )
        for index in range(3)
    ]
    volunteer = make_volunteer(programme, [errands], email="lea@exemple.fr")
    colleague = make_volunteer(programme, [errands])
    # The colleague accepted the other resident's first mission: nothing of it is ours.
    AssignmentFactory(mission=others[0], volunteer=colleague, status="acceptee")
    with django_capture_on_commit_callbacks(execute=True):  # the proposal e-mail leaves
        proposal = proposals.propose(mission, volunteer, by=agent)
    return {
        "mission": mission,
        "others": others,
        "volunteer": volunteer,
        "proposal": proposal,
    }


def assert_no_secret(content: str, *, before_acceptance: bool) -> None:
    for secret in [*OTHERS, LAST_NAME]:
        assert secret not in content, secret
    if before_acceptance:
        for secret in (FIRST_NAME, PHONE, ADDRESS):
            assert secret not in content, secret


def volunteer_get_urls(mission_ids: list[int]) -> list[str]:
    """Every GET-able URL of the volontaires app, tried with each of the mission ids."""
    urls = []

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                converters = pattern.pattern.converters
                for mission_id in mission_ids:
                    kwargs = {
                        name: (mission_id if type(converter).__name__ == "IntConverter" else "x")
                        for name, converter in converters.items()
                    }
                    urls.append(reverse(f"{namespace}:{pattern.name}", kwargs=kwargs))
                    if not kwargs:
                        break

    resolver = get_resolver()
    _, app = resolver.namespace_dict["volontaires"]
    walk(app.url_patterns, "volontaires")
    return sorted(set(urls))


def test_before_acceptance_the_proposal_shows_the_mission_but_nothing_of_the_resident(
    client, setting
):
    client.force_login(setting["volunteer"].user)

    space = client.get(reverse("volontaires:my_space")).content.decode()
    detail = client.get(reverse("volontaires:mission_detail", args=[setting["mission"].pk]))

    assert detail.status_code == 200
    for page in (space, detail.content.decode()):
        assert "Courses du jeudi" in page and "Portage de courses" in page
        assert "Maurepas – Bellangerais" in page and "Courses au marché." in page
        assert_no_secret(page, before_acceptance=True)
    assert resident_details_for(setting["volunteer"].user, setting["mission"]) is None
    # The proposal e-mail neither.
    [message] = [m for m in mail.outbox if "Courses du jeudi" in m.subject]
    assert_no_secret(message.body, before_acceptance=True)


def test_after_acceptance_first_name_phone_and_address_but_never_the_last_name(client, setting):
    user = setting["volunteer"].user
    client.force_login(user)

    client.post(reverse("volontaires:proposal_accept", args=[setting["proposal"].pk]))
    space = client.get(reverse("volontaires:my_space")).content.decode()
    detail = client.get(reverse("volontaires:mission_detail", args=[setting["mission"].pk]))

    for page in (space, detail.content.decode()):
        assert FIRST_NAME in page and PHONE in page and ADDRESS in page
        assert_no_secret(page, before_acceptance=False)
    contact = resident_details_for(user, setting["mission"])
    assert (contact.first_name, contact.phone, contact.address) == (FIRST_NAME, PHONE, ADDRESS)
    assert not hasattr(contact, "last_name")


@pytest.mark.parametrize(
    "status", [AssignmentStatus.DECLINED, AssignmentStatus.EXPIRED, AssignmentStatus.CANCELLED]
)
def test_a_declined_expired_or_cancelled_proposal_never_reveals_the_resident(
    client, setting, status
):
    Assignment.objects.filter(pk=setting["proposal"].pk).update(status=status)
    client.force_login(setting["volunteer"].user)

    detail = client.get(reverse("volontaires:mission_detail", args=[setting["mission"].pk]))

    assert detail.status_code == 200  # they were asked: they may see the mission itself
    assert_no_secret(detail.content.decode(), before_acceptance=True)
    assert resident_details_for(setting["volunteer"].user, setting["mission"]) is None


def test_guessing_urls_with_other_residents_missions_reveals_nothing(client, setting):
    """Every volunteer URL of the app, with the ids of missions of another resident (one of
    them accepted by a colleague) and ids that do not exist: 404, 405, 403 or a page without
    any of their data."""
    client.force_login(setting["volunteer"].user)
    proposals.accept(setting["proposal"], user=setting["volunteer"].user)
    other_ids = [mission.pk for mission in setting["others"]]
    unknown = Mission.objects.order_by("-pk").first().pk + 1
    tried = 0

    for url in volunteer_get_urls([*other_ids, unknown]):
        response = client.get(url)
        tried += 1
        content_type = response.get("Content-Type", "")
        if response.status_code == 200 and content_type.startswith(("text", "application/json")):
            assert_no_secret(response.content.decode(), before_acceptance=False)
        else:
            assert response.status_code in (302, 403, 404, 405), (url, response.status_code)

    assert tried >= 10
    for mission_id in other_ids:
        url = reverse("volontaires:mission_detail", args=[mission_id])
        assert client.get(url).status_code == 404
        apply_url = reverse("volontaires:mission_apply", args=[mission_id])
        assert client.post(apply_url).status_code == 404
    colleague_assignment = Assignment.objects.get(mission=setting["others"][0])
    for action in ("proposal_accept", "proposal_decline", "assignment_complete", "keep_in_touch"):
        response = client.post(reverse(f"volontaires:{action}", args=[colleague_assignment.pk]))
        assert response.status_code == 404


def test_the_back_office_and_the_resident_admin_stay_closed_to_volunteers(client, setting):
    client.force_login(setting["volunteer"].user)
    resident = setting["mission"].resident

    for url in (
        reverse("admin:index"),
        reverse("admin:volontaires_resident_changelist"),
        reverse("admin:volontaires_resident_change", args=[resident.pk]),
        reverse("admin:volontaires_mission_change", args=[setting["mission"].pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("admin:login"))


def test_the_calendar_feed_holds_no_contact_details(client, setting):
    volunteer = setting["volunteer"]
    proposals.accept(setting["proposal"], user=volunteer.user)
    token = ical.regenerate_token(volunteer)

    feed = client.get(reverse("volontaires:calendar_feed", args=[token])).content.decode()

    assert "SUMMARY:Courses du jeudi" in feed
    assert "LOCATION:Maurepas – Bellangerais\\, Rennes" in feed
    assert_no_secret(feed, before_acceptance=True)  # not even after acceptance


def test_another_volunteers_calendar_needs_their_secret_token(client, setting, agent):
    colleague = Assignment.objects.get(mission=setting["others"][0]).volunteer
    token = ical.regenerate_token(colleague)
    client.force_login(setting["volunteer"].user)

    for guess in ("1", str(colleague.pk), colleague.user.email, token[:-1], token.upper()):
        url = reverse("volontaires:calendar_feed", args=[guess])
        assert client.get(url).status_code == 404, guess
    ical.regenerate_token(colleague)
    assert client.get(reverse("volontaires:calendar_feed", args=[token])).status_code == 404
