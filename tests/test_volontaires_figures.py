"""The programmes' figures come from the rows; the demo campaign reproduces the source figures."""

import datetime
from collections import Counter
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.db.models import Q

from solidaren.demo import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD
from solidaren.models import User
from tests.factories import AssignmentFactory, MissionFactory, ResidentFactory
from volontaires.figures import programme_figures
from volontaires.models import (
    Assignment,
    AssignmentStatus,
    Enrolment,
    EnrolmentStatus,
    Programme,
    VolunteerProfile,
)

SOURCE_FIGURES = {
    "inscrits": 509,
    "actifs": 405,
    "mobilises": 292,
    "habitants": 171,
    "soutiens": 227,
    "missions_realisees": 398,
}


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=StringIO())
    return Programme.objects.get(slug="volontaires-solidaires")


def test_the_demo_campaign_gives_exactly_the_source_figures(demo):
    assert (demo.start_date, demo.end_date) == (
        datetime.date(2020, 10, 26),
        datetime.date(2021, 8, 31),
    )
    assert programme_figures(demo) == SOURCE_FIGURES


def test_the_newer_programme_counts_its_own_53_sign_ups(demo):
    successor = Programme.objects.get(slug="citoyennes-et-citoyens-volontaires")

    figures = programme_figures(successor)

    assert figures["inscrits"] == 53
    assert figures["missions_realisees"] == 0
    returning = VolunteerProfile.objects.filter(programmes=demo).filter(programmes=successor)
    assert returning.exists(), "some volunteers of 2020–2021 joined the new programme too"
    assert programme_figures(demo)["inscrits"] == 509


def test_a_second_load_changes_no_figure(demo):
    call_command("load_demo", stdout=StringIO())

    assert programme_figures(demo) == SOURCE_FIGURES


def test_figures_follow_the_rows(demo):
    """GIVEN the demo campaign WHEN missions are done, proposed or a volunteer withdraws
    THEN only the figures that depend on those rows move."""
    volunteer = (
        VolunteerProfile.objects.filter(
            enrolments__programme=demo, enrolments__status=EnrolmentStatus.ACTIVE
        )
        .exclude(assignments__status=AssignmentStatus.DONE)
        .first()
    )
    resident = ResidentFactory(programme=demo)
    mission = MissionFactory(programme=demo, resident=resident, date=datetime.date(2021, 5, 3))

    AssignmentFactory(mission=mission, volunteer=volunteer, status="acceptee")
    assert programme_figures(demo) == SOURCE_FIGURES

    Assignment.objects.filter(mission=mission).update(
        status=AssignmentStatus.DONE, done_on=mission.date
    )
    assert programme_figures(demo) == {
        **SOURCE_FIGURES,
        "mobilises": 293,
        "habitants": 172,
        "soutiens": 228,
        "missions_realisees": 399,
    }

    again = MissionFactory(programme=demo, resident=resident, date=datetime.date(2021, 5, 10))
    AssignmentFactory(mission=again, volunteer=volunteer, status="realisee", done_on=again.date)
    assert programme_figures(demo)["soutiens"] == 228
    assert programme_figures(demo)["missions_realisees"] == 400

    Enrolment.objects.filter(volunteer=volunteer, programme=demo).update(
        status=EnrolmentStatus.WITHDRAWN, withdrawn_at=again.created_at
    )
    assert programme_figures(demo)["actifs"] == 404
    assert programme_figures(demo)["inscrits"] == 509


def test_generated_volunteers_cannot_log_in_but_the_named_accounts_can(demo, client):
    generated = User.objects.get(email=f"volontaire-0001@{DEMO_EMAIL_DOMAIN}")

    assert not generated.has_usable_password()
    assert not EmailAddress.objects.filter(user=generated).exists()
    assert hasattr(generated, "volunteer_profile")
    for name in ["lea", "karim", "jeanne", "thomas"]:
        assert client.login(email=f"volontaire.{name}@{DEMO_EMAIL_DOMAIN}", password=DEMO_PASSWORD)


def test_the_demo_history_respects_the_matching_rules(demo):
    """Every mission done in the demo fits its volunteer: type accepted, verified for home
    visits, required language spoken, monthly maximum, no two missions the same day."""
    done = (
        Assignment.objects.filter(status=AssignmentStatus.DONE, mission__programme=demo)
        .select_related("mission__mission_type", "mission__programme", "volunteer")
        .prefetch_related("volunteer__mission_types", "volunteer__languages")
    )
    per_month = Counter()
    per_day = Counter()
    for assignment in done:
        mission, volunteer = assignment.mission, assignment.volunteer
        assert mission.mission_type in volunteer.mission_types.all()
        assert volunteer.is_verified or not mission.mission_type.at_residents_home
        if mission.required_language_id:
            assert mission.required_language_id in {lang.pk for lang in volunteer.languages.all()}
        per_month[volunteer.pk, mission.date.year, mission.date.month] += 1
        per_day[volunteer.pk, mission.date] += 1
        assert mission.programme.start_date <= mission.date <= mission.programme.end_date
    maxima = dict(VolunteerProfile.objects.values_list("pk", "max_missions_per_month"))
    assert all(count <= maxima[key[0]] for key, count in per_month.items())
    assert max(per_day.values()) == 1
    assert not Assignment.objects.filter(
        Q(status=AssignmentStatus.DONE) & Q(volunteer__enrolments__status="desiste")
    ).exists()
