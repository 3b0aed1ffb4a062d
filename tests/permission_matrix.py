"""The permission matrix: every URL pattern of Django's resolver × every role.

`MATRIX` (at the end) says, for each URL name (or route, for a pattern without a name), how to
fill its arguments from the world built here and what each role gets for a GET and, where the
view accepts it, a POST (with the data written, or not, as the role may). A new URL is one more
line there; a pattern missing from it fails tests/test_permission_matrix.py.

The back-office follows rules (anonymous and non-staff are sent to its login page; agents get
what their group's permissions allow; some areas are for superusers only), applied to every
registered ModelAdmin. The world — one object of each kind, each with its owner — is built
once per test module inside a transaction rolled back at the end (fixture `world`), and every
request of a cell runs in a savepoint rolled back after it. tests/test_fuzz_forms.py reuses
the world and the POST entries.
"""

from __future__ import annotations

import datetime
import importlib.util
import io
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from http.cookies import SimpleCookie
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_celery_results.models import GroupResult, TaskResult
from pypdf import PdfWriter

from associations.models import (
    FieldOfAction,
    OrientationRequest,
    Premises,
    Service,
    ServiceChange,
)
from conventions.models import (
    ArticleTemplate,
    Convention,
    ConventionStatus,
    DocumentBatch,
    DocumentKind,
    DocumentStatus,
    GeneratedDocument,
    InKindSupport,
    NetworkPriority,
    Payment,
    ReportAttachment,
    ReportStatus,
    RequestAmount,
    RequestAttachment,
    RequestStatus,
    SubsidyRequest,
    YearlyReport,
)
from solidaren.roles import agents_group
from tests.conftest import make_data_protection_officer, suite_now
from tests.factories import (
    PASSWORD,
    AssignmentFactory,
    AssociationFactory,
    AvailabilitySlotFactory,
    CommitmentFactory,
    ConventionFactory,
    EnrolmentFactory,
    FunderFactory,
    LanguageFactory,
    MembershipFactory,
    MissionFactory,
    MissionTypeFactory,
    ProgrammeFactory,
    QuartierFactory,
    ResidentFactory,
    ServiceFactory,
    StructureFactory,
    SubsidyFactory,
    UserFactory,
    VolunteerProfileFactory,
    YearlyReportFactory,
    give_totp,
)
from volontaires.models import (
    Assignment,
    BatchAssignmentRun,
    Enrolment,
    KeepInTouchRequest,
    Mission,
    Resident,
    ResidentAccessLog,
    ResidentAccessSource,
    TrainingRegistration,
    TrainingSession,
    VolunteerProfile,
)

# --- roles ------------------------------------------------------------------------------------

ANONYMOUS = "anonymous"
VOLUNTEER = "volunteer"
OTHER_VOLUNTEER = "other_volunteer"
COORDINATOR_A = "coordinator_a"
COORDINATOR_B = "coordinator_b"
AGENT = "agent"
DATA_PROTECTION_OFFICER = "data_protection_officer"
SUPERUSER = "superuser"
ROLES = (
    ANONYMOUS,
    VOLUNTEER,
    OTHER_VOLUNTEER,
    COORDINATOR_A,
    COORDINATOR_B,
    AGENT,
    DATA_PROTECTION_OFFICER,
    SUPERUSER,
)
# Names usable in `expect(...)` for several roles at once.
ROLE_GROUPS = {
    "everyone": ROLES,
    "signed_in": ROLES[1:],
    "volunteers": (VOLUNTEER, OTHER_VOLUNTEER),
    "coordinators": (COORDINATOR_A, COORDINATOR_B),
    "staff": (AGENT, SUPERUSER),
    "non_staff": (
        VOLUNTEER,
        OTHER_VOLUNTEER,
        COORDINATOR_A,
        COORDINATOR_B,
        DATA_PROTECTION_OFFICER,
    ),
    # Signed in, but neither volunteer, coordinator nor agent: the data protection officer
    # (who reads the access log of residents' records and nothing else).
    "no_role": (DATA_PROTECTION_OFFICER,),
}


# --- outcomes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a role gets: a status, for a redirect where it leads, and whether data changed."""

    status: int
    to: str = ""  # "login", "admin_login", "elsewhere" (a redirect that is not to a login page)
    writes: bool = False

    def __str__(self) -> str:
        return (
            f"{self.status}{f' → {self.to}' if self.to else ''}{' (writes)' if self.writes else ''}"
        )


OK = Outcome(200)
LOGIN = Outcome(302, "login")
ADMIN_LOGIN = Outcome(302, "admin_login")
REDIRECT = Outcome(302, "elsewhere")
SAVED = Outcome(302, "elsewhere", writes=True)
MOVED = Outcome(301, "elsewhere")
FORBIDDEN = Outcome(403)
NOT_FOUND = Outcome(404)
NOT_ALLOWED = Outcome(405)

Expectations = Mapping[str, Outcome]


def expect(default: Outcome, **by_role: Outcome) -> dict[str, Outcome]:
    """Every role gets `default` except those named (a role or a group of `ROLE_GROUPS`);
    later names win, so write groups first and single roles after."""
    result = dict.fromkeys(ROLES, default)
    for name, outcome in by_role.items():
        for role in ROLE_GROUPS.get(name, (name,)):
            if role not in result:
                raise ValueError(f"unknown role or group of roles: {name}")
            result[role] = outcome
    return result


@dataclass(frozen=True)
class Case:
    """One way of calling a URL pattern, and what each role gets for GET (and POST).

    `kwargs` / `args` fill the pattern from the world (or `path` builds the whole path, for
    patterns without a name); `changed` reads the data a POST may write, so that a refused
    POST is shown to write nothing and an accepted one to write.
    """

    get: Expectations | Callable[[SimpleNamespace], Expectations]
    post: Expectations | Callable[[SimpleNamespace], Expectations] | None = None
    kwargs: Callable[[SimpleNamespace], dict[str, Any]] | None = None
    args: Callable[[SimpleNamespace], tuple] | None = None
    path: Callable[[SimpleNamespace], str] | None = None
    query: str | Callable[[SimpleNamespace], str] = ""
    data: Callable[[SimpleNamespace], dict[str, Any]] | None = None
    changed: Callable[[SimpleNamespace], Any] | None = None
    label: str = ""
    # Why this case does not hold yet (the work that will make it hold): reported as an expected
    # failure while it fails, as an error once it passes (then remove the mark).
    pending: str = ""

    def url(self, key: str, world: SimpleNamespace) -> str:
        if self.path is not None:
            path = self.path(world)
        else:
            path = reverse(
                key,
                args=self.args(world) if self.args else None,
                kwargs=self.kwargs(world) if self.kwargs else None,
            )
        return path + (self.query(world) if callable(self.query) else self.query)

    def expectations(self, world: SimpleNamespace) -> list[tuple[str, Expectations]]:
        """(method, expectations) pairs; expectations may depend on the world (the agents'
        group's permissions)."""
        pairs = [("GET", self.get), ("POST", self.post)]
        return [
            (method, each(world) if callable(each) else each)
            for method, each in pairs
            if each is not None
        ]


def cases_of(entry: Case | tuple[Case, ...]) -> tuple[Case, ...]:
    return entry if isinstance(entry, tuple) else (entry,)


# --- the resolver -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    key: str  # "namespace:name", or the route itself for a pattern without a name
    route: str


def resolver_patterns(resolver: URLResolver | None = None) -> list[Pattern]:
    """Every URL pattern, recursively through the includes (back-office and allauth too)."""
    return list(_walk((resolver or get_resolver()).url_patterns, "", ""))


def _walk(patterns, prefix: str, namespace: str) -> Iterator[Pattern]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            if pattern.name:
                key = f"{namespace}:{pattern.name}" if namespace else pattern.name
            else:
                key = route
            yield Pattern(key, route)


def missing_from(matrix: Mapping[str, Any], patterns: list[Pattern]) -> list[Pattern]:
    return [pattern for pattern in patterns if pattern.key not in matrix]


def assert_every_pattern_listed(matrix: Mapping[str, Any], patterns: list[Pattern]) -> None:
    missing = missing_from(matrix, patterns)
    assert not missing, (
        f"{len(missing)} URL pattern(s) missing from the permission matrix "
        "(MATRIX in tests/permission_matrix.py): say who may open each one:\n"
        + "\n".join(f"  {pattern.key!r}  (/{pattern.route})" for pattern in missing)
    )


# --- the world --------------------------------------------------------------------------------


def blank_pdf() -> bytes:
    """A real one-page PDF: uploads are parsed (solidaren/uploads.py)."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    content = io.BytesIO()
    writer.write(content)
    return content.getvalue()


PDF_BYTES = blank_pdf()


def build_world() -> SimpleNamespace:
    """One object of each kind, each with its owner: association A's convention, reports,
    document and attachment; the volunteer's enrolment, proposals, missions and calendar
    token; a resident; one row of every model of the back-office."""
    w = SimpleNamespace()
    now = datetime.datetime.now(datetime.UTC)

    _people(w, now)
    _conventions(w, now)
    _volontaires(w, now)
    _directory(w, now)
    _back_office_rows(w)
    return w


def _people(w: SimpleNamespace, now: datetime.datetime) -> None:
    """The personas of the eight roles; the volunteers with what matching needs."""
    w.association_a = AssociationFactory(name="Association A", short_name="A", slug="asso-a")
    w.association_b = AssociationFactory(name="Association B", short_name="B", slug="asso-b")
    users = {
        COORDINATOR_A: MembershipFactory(
            association=w.association_a, user__email="coordination@a.example.fr"
        ).user,
        COORDINATOR_B: MembershipFactory(
            association=w.association_b, user__email="coordination@b.example.fr"
        ).user,
        AGENT: UserFactory(email="agent@ville.example.fr", is_staff=True),
        DATA_PROTECTION_OFFICER: make_data_protection_officer(email="dpd@ville.example.fr"),
        SUPERUSER: UserFactory(email="admin@ville.example.fr", is_staff=True, is_superuser=True),
    }
    give_totp(users[SUPERUSER])  # a superuser opens no page before activating TOTP
    users[AGENT].groups.add(agents_group())
    w.quartier = QuartierFactory()
    w.mission_type = MissionTypeFactory()
    w.language = LanguageFactory()
    w.programme = ProgrammeFactory(start_date=datetime.date(2026, 1, 1))
    for role, email in [
        (VOLUNTEER, "volontaire@exemple.fr"),
        (OTHER_VOLUNTEER, "autre.volontaire@exemple.fr"),
    ]:
        profile = VolunteerProfileFactory(
            user__email=email, quartier=w.quartier, is_verified=True, charter_accepted_at=now
        )
        profile.mission_types.add(w.mission_type)
        for weekday in range(7):
            AvailabilitySlotFactory(
                volunteer=profile,
                weekday=weekday,
                start_time=datetime.time(8),
                end_time=datetime.time(20),
            )
        enrolment = EnrolmentFactory(volunteer=profile, programme=w.programme)
        users[role] = profile.user
        setattr(w, f"{role}_profile", profile)
        setattr(w, f"{role}_enrolment", enrolment)
    w.users = users
    w.volunteer_profile.ical_token = "jeton-secret-du-calendrier-de-la-volontaire"
    w.volunteer_profile.save(update_fields=["ical_token"])


def _conventions(w: SimpleNamespace, now: datetime.datetime) -> None:
    """Association A's convention with its amounts, reports, attachment and document."""
    w.field_of_action = FieldOfAction.objects.create(name="Aide alimentaire", slug="aide-alim")
    w.premises = Premises.objects.create(
        association=w.association_a, label="Local de distribution", address="1 rue de Brest"
    )
    w.funder = FunderFactory(name="Ville de Test")
    w.convention_a = ConventionFactory(association=w.association_a, funders=[w.funder])
    w.convention_b = ConventionFactory(association=w.association_b, funders=[w.funder])
    w.convention_a.signed_scan.save("scan.pdf", ContentFile(PDF_BYTES), save=True)
    # The signature workflow's pages: a draft (its "prête" form) and one out for signature.
    w.convention_draft = ConventionFactory(
        association=w.association_a,
        funders=[w.funder],
        status=ConventionStatus.DRAFT,
        start_date=datetime.date(2027, 1, 1),
        end_date=datetime.date(2030, 12, 31),
        association_signed_on=None,
    )
    for year in w.convention_draft.years:
        CommitmentFactory(convention=w.convention_draft, funder=w.funder, year=year)
    w.convention_signing = ConventionFactory(
        association=w.association_a,
        funders=[w.funder],
        status=ConventionStatus.OUT_FOR_SIGNATURE,
        start_date=datetime.date(2031, 1, 1),
        end_date=datetime.date(2034, 12, 31),
        association_signed_on=None,
    )
    w.convention_signing.parties.update(signed_on=None)  # nobody has signed yet
    w.commitment = CommitmentFactory(convention=w.convention_a, funder=w.funder, year=2025)
    w.payment = Payment.objects.create(
        convention=w.convention_a, funder=w.funder, year=2025, amount=Decimal("1000.00")
    )
    w.in_kind_support = InKindSupport.objects.create(
        convention=w.convention_a,
        funder=w.funder,
        premises=w.premises,
        yearly_value=Decimal("3000.00"),
    )
    w.subsidy = SubsidyFactory(association=w.association_a, funder=w.funder, year=2025)
    w.priority = NetworkPriority.objects.create(position=90, title="Aller vers")
    w.article = ArticleTemplate.objects.create(
        position=90, title="Article de test", body="La convention {{ reference }}."
    )
    w.report_draft = YearlyReportFactory(convention=w.convention_a, year=2025)
    w.report_submitted = YearlyReportFactory(
        convention=w.convention_a,
        year=2024,
        status=ReportStatus.SUBMITTED,
        submitted_at=now,
        submitted_by=w.users[COORDINATOR_A],
    )
    w.attachment = ReportAttachment.objects.create(
        report=w.report_draft, title="Comptes 2025", file=ContentFile(PDF_BYTES, "comptes.pdf")
    )
    # A first request (a renewal one would protect convention_a from its delete page).
    w.subsidy_request = SubsidyRequest.objects.create(
        association=w.association_a,
        first_year=2027,
        last_year=2030,
        created_by=w.users[COORDINATOR_A],
    )
    RequestAmount.objects.create(
        request=w.subsidy_request, funder=w.funder, year=2027, asked=Decimal("1000.00")
    )
    w.request_attachment = RequestAttachment.objects.create(
        request=w.subsidy_request,
        kind=RequestAttachment.Kind.STATUTES,
        title="Statuts",
        file=ContentFile(PDF_BYTES, "statuts.pdf"),
    )
    w.submitted_request = SubsidyRequest.objects.create(
        association=w.association_a,
        first_year=2027,
        last_year=2027,
        duration=SubsidyRequest.Duration.ANNUAL,
        status=RequestStatus.SUBMITTED,
    )
    w.batch = DocumentBatch.objects.create(label="Lot de A", created_by=w.users[COORDINATOR_A])
    w.document = GeneratedDocument.objects.create(
        kind=DocumentKind.CONVENTION,
        subject_key=f"convention:{w.convention_a.pk}",
        convention=w.convention_a,
        association=w.association_a,
        year=2023,
        batch=w.batch,
        status=DocumentStatus.DONE,
        file=ContentFile(PDF_BYTES, "convention.pdf"),
        page_count=1,
        finished_at=now,
    )


def _volontaires(w: SimpleNamespace, now: datetime.datetime) -> None:
    """Calls, a resident and their missions, the volunteer's proposal, accepted and done
    missions, enrolments and training sessions."""
    today = timezone.localdate(now)

    def days(offset: int) -> datetime.date:
        return today + datetime.timedelta(days=offset)

    w.resident = ResidentFactory(programme=w.programme, quartier=w.quartier)
    common = {"programme": w.programme, "mission_type": w.mission_type, "quartier": w.quartier}
    w.city_call = MissionFactory(**common, title="Appel de la ville", date=days(14), places=5)
    w.batch_run = BatchAssignmentRun.objects.create(
        status="terminee",
        created_by=w.users[AGENT],
        result={
            "missions": [],
            "mission_count": 0,
            "proposals": 0,
            "empty_places": 0,
            "seconds": 0.1,
        },
    )
    w.association_call = MissionFactory(
        **common,
        title="Appel de A",
        origin="association",
        association=w.association_a,
        date=days(15),
        places=5,
    )
    w.proposal_mission = MissionFactory(
        **common,
        title="Mission proposée",
        volunteer_calls=False,
        date=days(7),
        places=2,
    )
    w.resident_mission = MissionFactory(
        **common, title="Courses", resident=w.resident, date=days(-2)
    )
    w.done_mission = MissionFactory(
        **common, title="Courses faites", resident=w.resident, date=days(-16)
    )
    w.proposal = AssignmentFactory(
        mission=w.proposal_mission, volunteer=w.volunteer_profile, proposed_at=now
    )
    w.accepted = AssignmentFactory(
        mission=w.resident_mission,
        volunteer=w.volunteer_profile,
        status="acceptee",
        answered_at=now,
    )
    w.done = AssignmentFactory(
        mission=w.done_mission,
        volunteer=w.volunteer_profile,
        status="realisee",
        answered_at=now,
        done_on=days(-16),
        duration_minutes=60,
    )
    w.keep_in_touch = KeepInTouchRequest.objects.create(
        assignment=AssignmentFactory(
            mission=w.done_mission,
            volunteer=w.other_volunteer_profile,
            status="realisee",
            answered_at=now,
            done_on=days(-16),
        )
    )
    w.paused_enrolment = EnrolmentFactory(
        volunteer=w.volunteer_profile,
        programme=ProgrammeFactory(start_date=datetime.date(2026, 6, 1)),
        status="pause",
    )
    sessions = [
        TrainingSession.objects.create(
            programme=w.programme,
            title=title,
            starts_at=datetime.datetime.combine(days(offset), datetime.time(14), datetime.UTC),
            ends_at=datetime.datetime.combine(days(offset), datetime.time(17), datetime.UTC),
        )
        for title, offset in [("Premiers secours", 10), ("Accueillir", 17), ("Écouter", -1)]
    ]
    w.training, w.training_with_volunteer, w.past_training = sessions
    TrainingRegistration.objects.create(session=sessions[1], volunteer=w.volunteer_profile)
    w.attendance = TrainingRegistration.objects.create(
        session=w.past_training, volunteer=w.other_volunteer_profile
    )
    # An accepted mission still to come: the volunteer can call it off.
    w.accepted_to_come = AssignmentFactory(
        mission=MissionFactory(**common, title="Visite à venir", resident=w.resident, date=days(5)),
        volunteer=w.volunteer_profile,
        status="acceptee",
        answered_at=now,
    )


def _directory(w: SimpleNamespace, now: datetime.datetime) -> None:
    """The services of A and B, and two orientation requests: the volunteer's to B's service,
    an agent's to A's service."""
    w.structure_a = StructureFactory(association=w.association_a, name="Association A")
    w.structure_b = StructureFactory(association=w.association_b, name="Association B")
    w.service_a = ServiceFactory(structure=w.structure_a, slug="repas-a", quartier=w.quartier)
    # B's service is past its update frequency (a campaign asks B about it).
    w.service_b = ServiceFactory(
        structure=w.structure_b,
        slug="vestiaire-b",
        updated_on=timezone.localdate(now) - datetime.timedelta(days=400),
    )
    common = {"consent_given": True, "consent_recorded_at": now, "reason": "Besoin urgent"}
    w.orientation_by_volunteer = OrientationRequest.objects.create(
        structure=w.structure_b,
        service=w.service_b,
        prescriber=w.users[VOLUNTEER],
        prescriber_role="volontaire",
        assignment=w.done,
        first_name="Camille",
        **common,
    )
    w.orientation_by_agent = OrientationRequest.objects.create(
        structure=w.structure_a,
        service=w.service_a,
        prescriber=w.users[AGENT],
        prescriber_role="agent",
        first_name="Dominique",
        **common,
    )


def _back_office_rows(w: SimpleNamespace) -> None:
    """One row of every model of the back-office (most are made above)."""
    w.group = Group.objects.create(name="Groupe de test")
    w.task_result = TaskResult.objects.create(task_id="tache-de-test", status="SUCCESS")
    w.group_result = GroupResult.objects.create(group_id="groupe-de-test")
    w.access_log_entry = ResidentAccessLog.objects.create(
        resident=w.resident,
        user=w.users[AGENT],
        source=ResidentAccessSource.STAFF_MISSION,
        path="/volontaires/agents/missions/1/",
    )
    w.access_attempt = AccessAttempt.objects.create(
        username="inconnu@exemple.fr", ip_address="192.0.2.1", failures_since_start=1
    )
    w.access_record = AccessLog.objects.create(
        username="inconnu@exemple.fr", ip_address="192.0.2.1"
    )
    w.access_failure = AccessFailureLog.objects.create(
        username="inconnu@exemple.fr", ip_address="192.0.2.1"
    )
    w.admin_objects = {
        "auth.group": w.group,
        "account.emailaddress": EmailAddress.objects.get(user=w.users[OTHER_VOLUNTEER]),
        "django_celery_results.taskresult": w.task_result,
        "django_celery_results.groupresult": w.group_result,
        "solidaren.user": w.users[OTHER_VOLUNTEER],
        "associations.fieldofaction": w.field_of_action,
        "associations.association": w.association_a,
        "associations.premises": w.premises,
        "associations.structure": w.structure_a,
        "associations.service": w.service_a,
        "associations.orientationrequest": w.orientation_by_agent,
        "conventions.funder": w.funder,
        "conventions.networkpriority": w.priority,
        "conventions.convention": w.convention_a,
        "conventions.commitment": w.commitment,
        "conventions.payment": w.payment,
        "conventions.inkindsupport": w.in_kind_support,
        "conventions.subsidy": w.subsidy,
        "conventions.subsidyrequest": w.subsidy_request,
        "conventions.yearlyreport": w.report_draft,
        "conventions.articletemplate": w.article,
        "conventions.generateddocument": w.document,
        "conventions.documentbatch": w.batch,
        "volontaires.quartier": w.quartier,
        "volontaires.missiontype": w.mission_type,
        "volontaires.language": w.language,
        "volontaires.programme": w.programme,
        "volontaires.volunteerprofile": w.other_volunteer_profile,
        "volontaires.enrolment": w.other_volunteer_enrolment,
        "volontaires.resident": w.resident,
        "volontaires.mission": w.city_call,
        "volontaires.assignment": Assignment.objects.get(pk=w.proposal.pk),
        "volontaires.trainingsession": w.training,
        "volontaires.keepintouchrequest": w.keep_in_touch,
        "volontaires.residentaccesslog": w.access_log_entry,
        "mfa.authenticator": Authenticator.objects.get(user=w.users[SUPERUSER]),
        "axes.accessattempt": w.access_attempt,
        "axes.accesslog": w.access_record,
        "axes.accessfailurelog": w.access_failure,
    }


# --- checking ---------------------------------------------------------------------------------


@dataclass
class Counter:
    """URL × role cells checked in this run, printed in the terminal summary."""

    cells: int = 0
    patterns: set[str] = field(default_factory=set)


COUNTER = Counter()


class Clients:
    """One test client per role, signed in once; each request starts from the same session."""

    def __init__(self, users: Mapping[str, Any]):
        self._sessions: dict[str, str | None] = {ANONYMOUS: None}
        self._client = Client(raise_request_exception=False)
        for role, user in users.items():
            client = Client()
            client.force_login(user)
            self._sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value

    def as_role(self, role: str) -> Client:
        cookies = SimpleCookie()
        if self._sessions[role]:
            cookies[settings.SESSION_COOKIE_NAME] = self._sessions[role]
        self._client.cookies = cookies
        return self._client


def _describe(response) -> str:
    location = response.get("Location", "")
    return f"{response.status_code}{f' → {location}' if location else ''}"


def _matches(response, outcome: Outcome) -> bool:
    if response.status_code != outcome.status:
        return False
    location = response.get("Location", "")
    login, admin_login = reverse("account_login"), reverse("admin:login")
    if outcome.to == "login":
        return location.startswith(login + "?")
    if outcome.to == "admin_login":
        return location.startswith(admin_login + "?")
    if outcome.to == "elsewhere":
        return bool(location) and not location.startswith((login + "?", admin_login + "?"))
    return True


def check_case(key: str, case: Case, world: SimpleNamespace, clients: Clients) -> list[str]:
    """Every role through GET (and POST); the differences from the matrix, in words.

    Each request runs in a savepoint rolled back afterwards, so that a POST of one cell does
    not change what the next cell sees."""
    url = case.url(key, world)
    failures = []
    for method, expectations in case.expectations(world):
        for role, outcome in expectations.items():
            if outcome.writes and case.changed is None:
                failures.append(f"{method} {url} as {role}: a write is expected, give `changed`")
                continue
            with transaction.atomic():
                before = case.changed(world) if case.changed else None
                client = clients.as_role(role)
                if method == "GET":
                    response = client.get(url)
                else:
                    response = client.post(url, case.data(world) if case.data else {})
                after = case.changed(world) if case.changed else None
                transaction.set_rollback(True)
            COUNTER.cells += 1
            if not _matches(response, outcome):
                failures.append(
                    f"{method} {url} as {role}: expected {outcome}, got {_describe(response)}"
                )
            elif case.changed is not None and (before != after) != outcome.writes:
                failures.append(
                    f"{method} {url} as {role}: "
                    + ("nothing was written" if outcome.writes else "data changed")
                )
    COUNTER.patterns.add(key)
    return failures


def terminal_summary(terminalreporter) -> None:
    if COUNTER.cells:
        terminalreporter.write_sep(
            "=",
            f"permission matrix: {COUNTER.cells} URL × role cells checked "
            f"(URL patterns: {len(COUNTER.patterns)}, roles: {len(ROLES)}, GET and POST)",
        )


# === the matrix ===============================================================================

# The world is built at the suite's clock (tests/conftest.py), where its cells then run.
NOW = suite_now()

# Shapes that recur: who may open a page of each family of views.
PUBLIC = expect(OK)
SIGNED_IN = expect(OK, anonymous=LOGIN)
STAFF_ONLY = expect(FORBIDDEN, anonymous=LOGIN, staff=OK)
STAFF_AND_COORDINATORS = expect(FORBIDDEN, anonymous=LOGIN, staff=OK, coordinators=OK)
VOLUNTEERS_ONLY = expect(FORBIDDEN, anonymous=LOGIN, volunteers=OK)
# A GET on a POST-only view: the role is checked first, then the method.
POST_ONLY_FOR_STAFF_AND_COORDINATORS = expect(
    FORBIDDEN, anonymous=LOGIN, staff=NOT_ALLOWED, coordinators=NOT_ALLOWED
)
POST_ONLY_FOR_VOLUNTEERS = expect(FORBIDDEN, anonymous=LOGIN, volunteers=NOT_ALLOWED)
POST_ONLY = expect(NOT_ALLOWED)  # the method is checked before the role
# Staff decide on an object of association A (review, instruction): its coordinators see it but
# may not decide, association B's coordinators do not see it.
STAFF_DECIDE_ON_ASSOCIATION_A = expect(
    FORBIDDEN, anonymous=LOGIN, staff=SAVED, coordinator_a=FORBIDDEN, coordinator_b=NOT_FOUND
)


def pk(name):
    return lambda w: {"pk": getattr(w, name).pk}


def freshness_token(service) -> str:
    from associations.freshness import confirm_token

    return confirm_token(service)


def answer_token(orientation) -> str:
    from associations.orientation import make_token

    return make_token(orientation)


def expired_answer_token(orientation) -> str:
    """A link sent 9 days before the world's instant (valid 8): always the same string."""
    from associations.orientation import make_token

    with time_machine.travel(NOW - datetime.timedelta(days=9), tick=False):
        return make_token(orientation)


def row(model, name, *fields):
    """What a POST may change on the world's object `name` (re-read from the database)."""
    return lambda w: tuple(model.objects.filter(pk=getattr(w, name).pk).values_list(*fields))


def count(model, **lookup):
    return lambda w: model.objects.filter(**lookup).count()


# --- the portal -------------------------------------------------------------------------------

PORTAL = {
    "home": Case(get=PUBLIC, post=POST_ONLY),
    "personal_data": Case(get=PUBLIC, post=POST_ONLY),
    "accessibility": Case(get=PUBLIC, post=POST_ONLY),
    "legal_notices": Case(get=PUBLIC, post=POST_ONLY),
    "healthz": Case(get=PUBLIC, post=POST_ONLY),
    # GET only redirects; POST sets the language cookie (no data).
    "set_language": Case(
        get=expect(REDIRECT), post=expect(REDIRECT), data=lambda w: {"language": "en", "next": "/"}
    ),
    # associations/
    "associations:list": Case(get=PUBLIC, post=POST_ONLY),
    "associations:detail": Case(
        get=PUBLIC, post=POST_ONLY, kwargs=lambda w: {"slug": w.association_a.slug}
    ),
    "associations:mine": Case(
        get=expect(FORBIDDEN, anonymous=LOGIN, coordinators=OK), post=POST_ONLY
    ),
    # The directory of services is public (no account needed).
    "associations:services": Case(get=PUBLIC, post=POST_ONLY),
    "associations:service": Case(
        get=PUBLIC, post=POST_ONLY, kwargs=lambda w: {"slug": w.service_a.slug}
    ),
    "associations:data_inclusion_structures": Case(get=PUBLIC, post=POST_ONLY),
    # Freshness: the one-click confirmation link needs no account; coordinators edit their
    # association's services; staff see the stalest first and launch a campaign.
    "associations:service_confirm": (
        Case(
            label="the e-mailed link",
            kwargs=lambda w: {"token": freshness_token(w.service_a)},
            get=PUBLIC,
            post=expect(SAVED),
            changed=row(Service, "service_a", "updated_on"),
        ),
        Case(
            label="a forged link",
            kwargs=lambda w: {"token": "eyJzIjoxfQ:forge:forge"},
            get=expect(FORBIDDEN),
            post=expect(FORBIDDEN),
            changed=row(Service, "service_a", "updated_on"),
        ),
    ),
    "associations:service_edit": Case(
        kwargs=lambda w: {"slug": w.service_a.slug},
        get=expect(FORBIDDEN, anonymous=LOGIN, staff=OK, coordinator_a=OK),
        post=expect(FORBIDDEN, anonymous=LOGIN, staff=SAVED, coordinator_a=SAVED),
        data=lambda w: {
            "service-name": "Repas chaud du soir",
            "service-description": "Un repas chaud et un accueil.",
            "service-thematiques": ["equipement-et-alimentation--alimentation"],
            "service-publics": ["tous-publics"],
            "service-opening_hours": "Mo-Fr 18:00-20:00; PH off",
            "service-welcome": "inconditionnel",
            "service-update_frequency": "3",
        },
        changed=row(Service, "service_a", "name"),
    ),
    "associations:service_change_add": Case(
        kwargs=lambda w: {"slug": w.service_a.slug},
        get=POST_ONLY,
        post=expect(FORBIDDEN, anonymous=LOGIN, staff=SAVED, coordinator_a=SAVED),
        data=lambda w: {
            "change-starts_on": "2026-12-24",
            "change-ends_on": "2027-01-02",
            "change-reason": "Vacances",
        },
        changed=count(ServiceChange),
    ),
    "associations:staff_services": Case(get=STAFF_ONLY, post=POST_ONLY),
    "associations:staff_update_campaign": Case(
        get=POST_ONLY,
        post=expect(FORBIDDEN, anonymous=LOGIN, staff=SAVED),
        changed=row(Service, "service_b", "freshness_reminded_on"),
    ),
    # The pocket guide PDF of a quartier or a thématique (queued when missing): public.
    "associations:pocket_guide": Case(
        get=PUBLIC, post=POST_ONLY, kwargs=lambda w: {"kind": "quartier", "value": w.quartier.slug}
    ),
    "associations:data_inclusion_services": Case(get=PUBLIC, post=POST_ONLY),
    # Orientation requests: agents, coordinators and volunteers (during one of their missions)
    # orient; each sees the requests they made and those addressed to their associations.
    "associations:orient": Case(
        kwargs=lambda w: {"slug": w.service_a.slug},
        get=expect(FORBIDDEN, anonymous=LOGIN, volunteers=OK, coordinators=OK, staff=OK),
        post=expect(
            FORBIDDEN,
            anonymous=LOGIN,
            volunteer=SAVED,
            other_volunteer=OK,  # w.done is not one of their missions: a form error
            coordinators=SAVED,
            staff=SAVED,
        ),
        data=lambda w: {
            "first_name": "Camille",
            "phone": "06 00 00 00 00",
            "reason": "Besoin d'un repas",
            "consent_given": "on",
            "assignment": w.done.pk,
        },
        changed=count(OrientationRequest),
    ),
    "associations:orientations": Case(
        get=expect(FORBIDDEN, anonymous=LOGIN, volunteers=OK, coordinators=OK, staff=OK),
        post=POST_ONLY,
    ),
    "associations:orientation": Case(
        kwargs=pk("orientation_by_volunteer"),
        get=expect(
            NOT_FOUND,
            anonymous=LOGIN,
            data_protection_officer=FORBIDDEN,
            volunteer=OK,
            coordinator_b=OK,
            staff=OK,
        ),
        post=POST_ONLY,
    ),
    "associations:orientation_reply": Case(
        kwargs=pk("orientation_by_volunteer"),
        get=POST_ONLY,
        post=expect(
            NOT_FOUND,
            anonymous=LOGIN,
            data_protection_officer=FORBIDDEN,
            volunteer=FORBIDDEN,  # the prescriber reads it, the receiving structure answers
            coordinator_b=SAVED,
            staff=SAVED,
        ),
        data=lambda w: {"decision": "accepter", "name": "Accueil B"},
        changed=row(OrientationRequest, "orientation_by_volunteer", "status"),
    ),
    "associations:orientation_renew": Case(
        kwargs=pk("orientation_by_volunteer"),
        get=POST_ONLY,
        post=expect(
            NOT_FOUND,
            anonymous=LOGIN,
            data_protection_officer=FORBIDDEN,
            volunteer=SAVED,
            coordinator_b=SAVED,
            staff=SAVED,
        ),
        changed=row(OrientationRequest, "orientation_by_volunteer", "link_version"),
    ),
    # The receiving structure's private link works without an account; a forged one never.
    "associations:orientation_answer": (
        Case(
            label="the structure's link",
            kwargs=lambda w: {"token": answer_token(w.orientation_by_volunteer)},
            get=PUBLIC,
            post=expect(SAVED),
            data=lambda w: {"decision": "refuser", "reason": "Complet", "name": "Accueil B"},
            changed=row(OrientationRequest, "orientation_by_volunteer", "status"),
        ),
        Case(
            label="an expired link: a page offering a new one, nothing answered",
            kwargs=lambda w: {"token": expired_answer_token(w.orientation_by_volunteer)},
            get=PUBLIC,
            post=PUBLIC,
            data=lambda w: {"decision": "accepter", "name": "Accueil B"},
            changed=row(OrientationRequest, "orientation_by_volunteer", "status"),
        ),
        Case(
            label="a forged link",
            kwargs=lambda w: {"token": "eyJvIjoxfQ:forge:forge"},
            get=expect(FORBIDDEN),
            post=expect(FORBIDDEN),
            data=lambda w: {"decision": "accepter", "name": "Intrus"},
            changed=count(OrientationRequest, status="acceptee"),
        ),
    ),
    # A new link goes to the structure's registered addresses, whoever asks with an old one.
    "associations:orientation_link_renew": Case(
        kwargs=lambda w: {"token": expired_answer_token(w.orientation_by_volunteer)},
        get=POST_ONLY,
        post=expect(SAVED),
        changed=row(OrientationRequest, "orientation_by_volunteer", "link_version"),
    ),
    "associations:edit": Case(
        kwargs=lambda w: {"slug": w.association_a.slug},
        get=expect(FORBIDDEN, anonymous=LOGIN, staff=OK, coordinator_a=OK),
        post=expect(FORBIDDEN, anonymous=LOGIN, staff=SAVED, coordinator_a=SAVED),
        data=lambda w: {"description": "Nouvelle description", "commune": "Rennes"},
        changed=lambda w: type(w.association_a).objects.get(pk=w.association_a.pk).description,
    ),
    # conventions/
    "conventions:list": Case(get=STAFF_AND_COORDINATORS, post=POST_ONLY),
    "conventions:detail": Case(
        kwargs=pk("convention_a"),
        get=expect(FORBIDDEN, anonymous=LOGIN, staff=OK, coordinator_a=OK, coordinator_b=NOT_FOUND),
        post=POST_ONLY,
    ),
    "conventions:reports": Case(
        get=STAFF_AND_COORDINATORS, post=POST_ONLY_FOR_STAFF_AND_COORDINATORS
    ),
    "conventions:report_start": Case(
        kwargs=lambda w: {"convention_pk": w.convention_a.pk, "year": 2026},
        get=expect(FORBIDDEN, anonymous=LOGIN, coordinators=NOT_ALLOWED),
        post=expect(FORBIDDEN, anonymous=LOGIN, coordinator_a=SAVED, coordinator_b=NOT_FOUND),
        changed=lambda w: YearlyReport.objects.filter(convention=w.convention_a).count(),
    ),
    "conventions:report": Case(
        kwargs=pk("report_draft"),
        get=expect(FORBIDDEN, anonymous=LOGIN, staff=OK, coordinator_a=OK, coordinator_b=NOT_FOUND),
        # An empty form is refused (200 with errors); agents read reports, they do not edit them.
        post=expect(
            FORBIDDEN, anonymous=LOGIN, staff=REDIRECT, coordinator_a=OK, coordinator_b=NOT_FOUND
        ),
        changed=row(YearlyReport, "report_draft", "status", "narrative", "beneficiaries_count"),
    ),
    "conventions:report_review": Case(
        kwargs=pk("report_submitted"),
        get=POST_ONLY_FOR_STAFF_AND_COORDINATORS,
        post=STAFF_DECIDE_ON_ASSOCIATION_A,
        data=lambda w: {"action": "valider", "comment": "Merci."},
        changed=row(YearlyReport, "report_submitted", "status"),
    ),
    "conventions:report_attachment_add": Case(
        kwargs=pk("report_draft"),
        get=POST_ONLY_FOR_STAFF_AND_COORDINATORS,
        post=expect(
            FORBIDDEN,
            anonymous=LOGIN,
            staff=REDIRECT,
            coordinator_a=SAVED,
            coordinator_b=NOT_FOUND,
        ),
        data=lambda w: {
            "title": "Budget",
            "file": SimpleUploadedFile("budget.pdf", PDF_BYTES, "application/pdf"),
        },
        changed=lambda w: ReportAttachment.objects.filter(report=w.report_draft).count(),
    ),
    "conventions:report_attachment": Case(
        kwargs=lambda w: {"pk": w.report_draft.pk, "attachment_pk": w.attachment.pk},
        get=expect(FORBIDDEN, anonymous=LOGIN, staff=OK, coordinator_a=OK, coordinator_b=NOT_FOUND),
        post=POST_ONLY_FOR_STAFF_AND_COORDINATORS,
    ),
    "conventions:report_attachment_delete": Case(
        kwargs=lambda w: {"pk": w.report_draft.pk, "attachment_pk": w.attachment.pk},
        get=POST_ONLY_FOR_STAFF_AND_COORDINATORS,
        post=expect(
            FORBIDDEN,
            anonymous=LOGIN,
            staff=REDIRECT,
            coordinator_a=SAVED,
            coordinator_b=NOT_FOUND,
        ),
        changed=lambda w: ReportAttachment.objects.filter(pk=w.attachment.pk).exists(),
    ),
    "conventions:dashboard": Case(get=STAFF_ONLY, post=POST_ONLY),
    # Signature workflow: staff only. The draft is complete: it becomes "prête"; the
    # association signs the one out for signature.
    "conventions:step": Case(
        kwargs=lambda w: {"pk": w.convention_draft.pk, "step": "prete"},
        get=POST_ONLY_FOR_STAFF_AND_COORDINATORS,
        post=STAFF_DECIDE_ON_ASSOCIATION_A,
        data=lambda w: {"version": w.convention_draft.version},
        changed=row(Convention, "convention_draft", "status", "version"),
    ),
    "conventions:sign": Case(
        kwargs=pk("convention_signing"),
        get=POST_ONLY_FOR_STAFF_AND_COORDINATORS,
        post=STAFF_DECIDE_ON_ASSOCIATION_A,
        data=lambda w: {
            "version": w.convention_signing.version,
            "party": "association",
            "signed_on": (timezone.localdate(NOW) - datetime.timedelta(days=30)).isoformat(),
            "signatory": "La présidente",
        },
        changed=row(Convention, "convention_signing", "version", "association_signatory"),
    ),
    "conventions:signed_scan_upload": Case(
        kwargs=pk("convention_a"),
        get=POST_ONLY_FOR_STAFF_AND_COORDINATORS,
        post=STAFF_DECIDE_ON_ASSOCIATION_A,
        data=lambda w: {
            "version": Convention.objects.get(pk=w.convention_a.pk).version,
            "file": SimpleUploadedFile("signee.pdf", PDF_BYTES, "application/pdf"),
        },
        changed=row(Convention, "convention_a", "signed_scan_sha256", "version"),
    ),
    # Subsidy requests: coordinators draft theirs, staff instruct.
    "conventions:requests": Case(get=STAFF_AND_COORDINATORS, post=POST_ONLY),
    "conventions:request_new": Case(
        kwargs=lambda w: {"association_pk": w.association_a.pk},
        get=expect(FORBIDDEN, anonymous=LOGIN, coordinators=NOT_ALLOWED),
        post=expect(FORBIDDEN, anonymous=LOGIN, coordinator_a=SAVED, coordinator_b=NOT_FOUND),
        data=lambda w: {"first_year": "2028", "last_year": "2028"},
        changed=count(SubsidyRequest),
    ),
    "conventions:request": Case(
        kwargs=pk("subsidy_request"),
        get=expect(FORBIDDEN, anonymous=LOGIN, staff=OK, coordinator_a=OK, coordinator_b=NOT_FOUND),
        # An empty form is refused (200 with errors); agents instruct, they do not edit.
        post=expect(
            FORBIDDEN, anonymous=LOGIN, staff=REDIRECT, coordinator_a=OK, coordinator_b=NOT_FOUND
        ),
        changed=row(SubsidyRequest, "subsidy_request", "projects", "version"),
    ),
    "conventions:request_submit": Case(
        kwargs=pk("subsidy_request"),
        get=POST_ONLY_FOR_STAFF_AND_COORDINATORS,
        # Incomplete: refused with the missing pieces, nothing written.
        post=expect(FORBIDDEN, anonymous=LOGIN, coordinator_a=REDIRECT, coordinator_b=NOT_FOUND),
        data=lambda w: {"version": "1"},
        changed=row(SubsidyRequest, "subsidy_request", "status", "version"),
    ),
    "conventions:request_attachment_add": Case(
        kwargs=pk("subsidy_request"),
        get=POST_ONLY_FOR_STAFF_AND_COORDINATORS,
        post=expect(FORBIDDEN, anonymous=LOGIN, coordinator_a=SAVED, coordinator_b=NOT_FOUND),
        data=lambda w: {
            "version": SubsidyRequest.objects.get(pk=w.subsidy_request.pk).version,
            "kind": "comptes",
            "file": SimpleUploadedFile("comptes.pdf", PDF_BYTES, "application/pdf"),
        },
        changed=count(RequestAttachment),
    ),
    "conventions:request_attachment": Case(
        kwargs=lambda w: {"pk": w.subsidy_request.pk, "attachment_pk": w.request_attachment.pk},
        get=expect(FORBIDDEN, anonymous=LOGIN, staff=OK, coordinator_a=OK, coordinator_b=NOT_FOUND),
        post=POST_ONLY,
    ),
    "conventions:request_review": Case(
        kwargs=pk("submitted_request"),
        get=POST_ONLY_FOR_STAFF_AND_COORDINATORS,
        post=STAFF_DECIDE_ON_ASSOCIATION_A,
        data=lambda w: {"version": "1", "action": "instruire"},
        changed=row(SubsidyRequest, "submitted_request", "status"),
    ),
    # Renewal: staff only (the world's conventions are signed and end on 31 December 2026).
    "conventions:renew": Case(
        kwargs=pk("convention_a"),
        get=STAFF_ONLY,
        post=expect(FORBIDDEN, anonymous=LOGIN, staff=SAVED),
        data=lambda w: {"indexation_percent": "1"},
        changed=count(Convention),
    ),
    "conventions:renew_bulk": Case(
        get=STAFF_ONLY,
        post=expect(FORBIDDEN, anonymous=LOGIN, staff=SAVED),
        data=lambda w: {
            "ending_from": "2026-01-01",
            "ending_until": "2027-06-30",
            "indexation_percent": "0",
            "confirm": "1",
        },
        changed=count(Convention),
    ),
    "conventions:signed_scan": Case(
        kwargs=pk("convention_a"),
        get=expect(FORBIDDEN, anonymous=LOGIN, staff=OK, coordinator_a=OK, coordinator_b=NOT_FOUND),
        post=POST_ONLY,
    ),
    "conventions:generate_convention_documents": Case(
        kwargs=pk("convention_a"),
        get=POST_ONLY,
        post=expect(
            FORBIDDEN, anonymous=LOGIN, staff=SAVED, coordinator_a=SAVED, coordinator_b=NOT_FOUND
        ),
        changed=count(DocumentBatch),
    ),
    "conventions:generate_report_document": Case(
        kwargs=pk("report_submitted"),
        get=POST_ONLY,
        post=expect(
            FORBIDDEN, anonymous=LOGIN, staff=SAVED, coordinator_a=SAVED, coordinator_b=NOT_FOUND
        ),
        changed=count(DocumentBatch),
    ),
    "conventions:generate_year": Case(
        get=POST_ONLY,
        post=expect(FORBIDDEN, anonymous=LOGIN, staff=SAVED),
        data=lambda w: {"annee": "2025"},
        changed=count(DocumentBatch),
    ),
    "conventions:document_batch": Case(
        kwargs=pk("batch"),
        get=expect(FORBIDDEN, anonymous=LOGIN, staff=OK, coordinator_a=OK, coordinator_b=NOT_FOUND),
        post=POST_ONLY,
    ),
    "conventions:document_batch_progress": Case(
        kwargs=pk("batch"),
        get=expect(FORBIDDEN, anonymous=LOGIN, staff=OK, coordinator_a=OK, coordinator_b=NOT_FOUND),
        post=POST_ONLY,
    ),
    "conventions:document_download": Case(
        kwargs=pk("document"),
        get=expect(FORBIDDEN, anonymous=LOGIN, staff=OK, coordinator_a=OK, coordinator_b=NOT_FOUND),
        post=POST_ONLY,
    ),
    "opendata_subsidies": Case(get=PUBLIC, post=POST_ONLY, query="?annee=2025"),
    # volontaires/: the volunteer's side
    "volontaires:my_space": Case(
        get=expect(FORBIDDEN, anonymous=LOGIN, volunteers=OK, no_role=REDIRECT),
        post=expect(NOT_ALLOWED, anonymous=LOGIN),
    ),
    "volontaires:profile": Case(
        get=expect(OK, anonymous=LOGIN, staff=FORBIDDEN),
        # An empty form is refused with errors: nothing written.
        post=expect(OK, anonymous=LOGIN, staff=FORBIDDEN),
        changed=count(VolunteerProfile),
    ),
    "volontaires:enrolment_pause": Case(
        kwargs=pk("volunteer_enrolment"),
        get=POST_ONLY_FOR_VOLUNTEERS,
        post=expect(FORBIDDEN, anonymous=LOGIN, volunteer=SAVED, other_volunteer=NOT_FOUND),
        changed=row(Enrolment, "volunteer_enrolment", "status"),
    ),
    "volontaires:enrolment_resume": Case(
        kwargs=pk("paused_enrolment"),
        get=POST_ONLY_FOR_VOLUNTEERS,
        post=expect(FORBIDDEN, anonymous=LOGIN, volunteer=SAVED, other_volunteer=NOT_FOUND),
        changed=row(Enrolment, "paused_enrolment", "status"),
    ),
    "volontaires:enrolment_withdraw": Case(
        kwargs=pk("volunteer_enrolment"),
        get=POST_ONLY_FOR_VOLUNTEERS,
        post=expect(FORBIDDEN, anonymous=LOGIN, volunteer=SAVED, other_volunteer=NOT_FOUND),
        data=lambda w: {"reason": "Déménagement"},
        changed=row(Enrolment, "volunteer_enrolment", "status"),
    ),
    "volontaires:proposal_accept": Case(
        kwargs=pk("proposal"),
        get=POST_ONLY_FOR_VOLUNTEERS,
        post=expect(FORBIDDEN, anonymous=LOGIN, volunteer=SAVED, other_volunteer=NOT_FOUND),
        changed=row(Assignment, "proposal", "status"),
    ),
    "volontaires:proposal_decline": Case(
        kwargs=pk("proposal"),
        get=POST_ONLY_FOR_VOLUNTEERS,
        post=expect(FORBIDDEN, anonymous=LOGIN, volunteer=SAVED, other_volunteer=NOT_FOUND),
        data=lambda w: {"reason": "Pas disponible"},
        changed=row(Assignment, "proposal", "status"),
    ),
    "volontaires:assignment_complete": Case(
        kwargs=pk("accepted"),
        get=POST_ONLY_FOR_VOLUNTEERS,
        post=expect(FORBIDDEN, anonymous=LOGIN, volunteer=SAVED, other_volunteer=NOT_FOUND),
        data=lambda w: {"done_on": w.resident_mission.date.isoformat(), "duration_minutes": "60"},
        changed=row(Assignment, "accepted", "status"),
    ),
    "volontaires:assignment_cancel": Case(
        kwargs=pk("accepted_to_come"),
        get=POST_ONLY_FOR_VOLUNTEERS,
        post=expect(FORBIDDEN, anonymous=LOGIN, volunteer=SAVED, other_volunteer=NOT_FOUND),
        data=lambda w: {"reason": "Empêchement de dernière minute"},
        changed=row(Assignment, "accepted_to_come", "status"),
    ),
    "volontaires:keep_in_touch": Case(
        kwargs=pk("done"),
        get=POST_ONLY_FOR_VOLUNTEERS,
        post=expect(FORBIDDEN, anonymous=LOGIN, volunteer=SAVED, other_volunteer=NOT_FOUND),
        data=lambda w: {"association": w.association_a.pk},
        changed=count(KeepInTouchRequest),
    ),
    "volontaires:mission_list": Case(get=SIGNED_IN, post=expect(NOT_ALLOWED, anonymous=LOGIN)),
    "volontaires:mission_detail": (
        Case(
            label="a resident's mission",
            kwargs=pk("resident_mission"),
            get=expect(NOT_FOUND, anonymous=LOGIN, volunteer=OK, staff=OK),
            post=expect(NOT_ALLOWED, anonymous=LOGIN),
        ),
        Case(label="an open call", kwargs=pk("city_call"), get=SIGNED_IN),
    ),
    "volontaires:mission_apply": Case(
        kwargs=pk("city_call"),
        get=POST_ONLY_FOR_VOLUNTEERS,
        post=expect(FORBIDDEN, anonymous=LOGIN, volunteers=SAVED),
        changed=count(Assignment),
    ),
    "volontaires:calendar_token": Case(
        get=POST_ONLY_FOR_VOLUNTEERS,
        post=expect(FORBIDDEN, anonymous=LOGIN, volunteers=SAVED),
        changed=lambda w: tuple(VolunteerProfile.objects.values_list("ical_token", flat=True)),
    ),
    "volontaires:calendar_feed": (
        # The token is the key (calendar applications have no session).
        Case(
            label="the volunteer's token",
            kwargs=lambda w: {"token": w.volunteer_token},
            get=PUBLIC,
            post=POST_ONLY,
        ),
        Case(label="a wrong token", kwargs=lambda w: {"token": "mauvais"}, get=expect(NOT_FOUND)),
    ),
    "volontaires:account_delete": Case(
        get=VOLUNTEERS_ONLY,
        post=expect(FORBIDDEN, anonymous=LOGIN, volunteers=SAVED),
        data=lambda w: {"password": PASSWORD},
        changed=lambda w: tuple(VolunteerProfile.objects.values_list("user__email", flat=True)),
    ),
    # volontaires/: the agents' side
    "volontaires:staff_request_new": Case(
        get=STAFF_ONLY,
        post=STAFF_ONLY,  # an empty request is refused with errors
        changed=count(Assignment),
    ),
    "volontaires:staff_missions": Case(get=STAFF_ONLY, post=POST_ONLY),
    "volontaires:staff_mission_batch": Case(
        get=POST_ONLY,
        post=expect(FORBIDDEN, anonymous=LOGIN, staff=SAVED),
        changed=count(BatchAssignmentRun),
    ),
    "volontaires:staff_mission": Case(kwargs=pk("city_call"), get=STAFF_ONLY, post=POST_ONLY),
    "volontaires:staff_batch_run": Case(kwargs=pk("batch_run"), get=STAFF_ONLY, post=POST_ONLY),
    "volontaires:staff_batch_run_progress": Case(
        kwargs=pk("batch_run"), get=STAFF_ONLY, post=POST_ONLY
    ),
    "volontaires:staff_mission_propose_best": Case(
        kwargs=pk("city_call"),
        get=POST_ONLY,
        post=expect(FORBIDDEN, anonymous=LOGIN, staff=SAVED),
        changed=count(Assignment),
    ),
    "volontaires:staff_mission_propose": Case(
        kwargs=lambda w: {
            "pk": w.proposal_mission.pk,
            "volunteer_pk": w.other_volunteer_profile.pk,
        },
        get=POST_ONLY,
        post=expect(FORBIDDEN, anonymous=LOGIN, staff=SAVED),
        changed=count(Assignment),
    ),
    "volontaires:staff_assignment_complete": Case(
        kwargs=pk("accepted"),
        get=POST_ONLY,
        post=expect(FORBIDDEN, anonymous=LOGIN, staff=SAVED),
        data=lambda w: {
            f"realisee-{w.accepted.pk}-done_on": w.resident_mission.date.isoformat(),
            f"realisee-{w.accepted.pk}-duration_minutes": "45",
        },
        changed=row(Assignment, "accepted", "status"),
    ),
    "volontaires:staff_volunteers": Case(get=STAFF_ONLY, post=POST_ONLY),
    "volontaires:staff_volunteer": Case(
        kwargs=pk("volunteer_profile"), get=STAFF_ONLY, post=POST_ONLY
    ),
    "volontaires:staff_volunteer_verify": Case(
        kwargs=pk("volunteer_profile"),
        get=POST_ONLY,
        post=expect(FORBIDDEN, anonymous=LOGIN, staff=SAVED),
        data=lambda w: {"verifie": "0"},
        changed=row(VolunteerProfile, "volunteer_profile", "is_verified"),
    ),
    "volontaires:calls": Case(get=STAFF_AND_COORDINATORS, post=POST_ONLY),
    "volontaires:call_new": Case(
        get=STAFF_AND_COORDINATORS, post=STAFF_AND_COORDINATORS, changed=count(Assignment)
    ),
    "volontaires:call": Case(
        kwargs=pk("association_call"),
        get=expect(FORBIDDEN, anonymous=LOGIN, staff=OK, coordinator_a=OK, coordinator_b=NOT_FOUND),
        # An empty form is refused with errors: nothing written.
        post=expect(
            FORBIDDEN, anonymous=LOGIN, staff=OK, coordinator_a=OK, coordinator_b=NOT_FOUND
        ),
        changed=row(Mission, "association_call", "title", "places", "date"),
    ),
    "volontaires:training": Case(get=VOLUNTEERS_ONLY, post=POST_ONLY),
    "volontaires:training_register": Case(
        kwargs=pk("training"),
        get=POST_ONLY,
        post=expect(FORBIDDEN, anonymous=LOGIN, volunteers=SAVED),
        changed=count(TrainingRegistration),
    ),
    "volontaires:training_unregister": Case(
        kwargs=pk("training_with_volunteer"),
        get=POST_ONLY,
        post=expect(FORBIDDEN, anonymous=LOGIN, volunteer=SAVED, other_volunteer=REDIRECT),
        changed=count(TrainingRegistration),
    ),
    "volontaires:staff_training": Case(get=STAFF_ONLY, post=POST_ONLY),
    # Attendance of a session that took place.
    "volontaires:staff_training_session": Case(
        kwargs=pk("past_training"),
        get=STAFF_ONLY,
        post=expect(FORBIDDEN, anonymous=LOGIN, staff=SAVED),
        data=lambda w: {f"presence_{w.attendance.pk}": "1"},
        changed=row(TrainingRegistration, "attendance", "attended"),
    ),
    # volontaires/: personal data
    "volontaires:account_export": Case(get=VOLUNTEERS_ONLY, post=POST_ONLY),
    "volontaires:staff_resident_export": Case(
        kwargs=pk("resident"), get=STAFF_ONLY, post=POST_ONLY
    ),
    "volontaires:staff_resident_erase": Case(
        kwargs=pk("resident"),
        get=STAFF_ONLY,
        post=expect(FORBIDDEN, anonymous=LOGIN, staff=SAVED),
        data=lambda w: {"confirm": "on"},
        changed=row(Resident, "resident", "last_name", "phone", "anonymised_at"),
    ),
    "volontaires:access_log": Case(
        get=expect(FORBIDDEN, anonymous=LOGIN, data_protection_officer=OK, superuser=OK),
        post=POST_ONLY,
    ),
    "volontaires:figures": Case(get=PUBLIC, post=POST_ONLY),
    "volontaires:figures_json": Case(
        get=PUBLIC, post=POST_ONLY, query=lambda w: f"?programme={w.programme.slug}"
    ),
    "volontaires:staff_figures": Case(get=STAFF_ONLY, post=POST_ONLY),
}

# --- accounts (allauth) -----------------------------------------------------------------------

ACCOUNTS = {
    "account_login": Case(get=expect(REDIRECT, anonymous=OK), post=expect(REDIRECT, anonymous=OK)),
    "account_logout": Case(get=expect(OK, anonymous=REDIRECT), post=expect(REDIRECT)),
    "account_inactive": Case(get=PUBLIC),
    "account_signup": Case(get=expect(REDIRECT, anonymous=OK), post=expect(REDIRECT, anonymous=OK)),
    "account_reauthenticate": Case(get=SIGNED_IN),
    "account_email": Case(get=SIGNED_IN),
    "account_email_verification_sent": Case(get=PUBLIC),
    "account_change_password": Case(get=SIGNED_IN),
    "account_set_password": Case(get=expect(REDIRECT, anonymous=LOGIN)),
    "account_reset_password": Case(get=PUBLIC),
    "account_confirm_login_code": Case(get=expect(REDIRECT)),
    "account_confirm_email": Case(kwargs=lambda w: {"key": "cle-inconnue"}, get=PUBLIC),
    "account_reset_password_from_key_done": Case(get=PUBLIC),
    "account_reset_password_from_key": Case(
        kwargs=lambda w: {"uidb36": "zz", "key": "cle-inconnue"}, get=PUBLIC
    ),
    "account_reset_password_done": Case(get=PUBLIC),
    # Two-factor authentication (allauth.mfa)
    # Two-factor authentication (allauth.mfa). Only the superuser has TOTP in the world; the
    # pages that change it ask for a fresh password first (reauthentication).
    "mfa_index": Case(get=SIGNED_IN),
    "mfa_authenticate": Case(get=expect(REDIRECT)),  # only in the middle of a login
    "mfa_reauthenticate": Case(get=expect(REDIRECT, anonymous=LOGIN, superuser=OK)),
    "mfa_activate_totp": Case(get=expect(REDIRECT, anonymous=LOGIN)),
    "mfa_deactivate_totp": Case(get=expect(NOT_FOUND, anonymous=LOGIN, superuser=REDIRECT)),
    "mfa_view_recovery_codes": Case(get=expect(NOT_FOUND, anonymous=LOGIN)),
    "mfa_generate_recovery_codes": Case(get=expect(REDIRECT, anonymous=LOGIN)),
    "mfa_download_recovery_codes": Case(get=expect(NOT_FOUND, anonymous=LOGIN)),
}

# --- the back-office --------------------------------------------------------------------------

# Anonymous and signed-in users who are not staff are sent to the back-office's login page.
BACK_OFFICE = expect(ADMIN_LOGIN, staff=OK)
# Areas for superusers only, whatever the agents' group holds: rights and e-mail addresses.
SUPERUSER_ONLY_MODELS = {
    "auth.group",
    "account.emailaddress",
    "mfa.authenticator",
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
    # The data protection officer's, whom a superuser is too (a non-staff DPO reads it in the
    # portal, volontaires:access_log).
    "volontaires.residentaccesslog",
}
# Back-office lists whose rows are made by the portal, never added by hand.
NO_ADD_MODELS = {
    "associations.orientationrequest",
    "conventions.generateddocument",
    "conventions.documentbatch",
    "volontaires.residentaccesslog",
    "axes.accessattempt",
    "axes.accesslog",
    "axes.accessfailurelog",
}
# Objects of the world that the delete page refuses to delete: rows of other models protect
# them (an association's conventions, a programme's missions...). It explains why, with a 200.
PROTECTED = {
    "associations.association",
    "associations.structure",
    "associations.service",
    "associations.premises",
    "conventions.funder",
    "volontaires.programme",
    "volontaires.quartier",
    "volontaires.missiontype",
}
# Deleting these deletes rows that agents may not delete (an account's e-mail addresses, a
# convention's generated documents): refused to agents.
AGENT_MAY_NOT_DELETE = {"solidaren.user", "conventions.convention"}
# Never deleted from the back-office: a resident is erased (anonymised, volontaires:
# staff_resident_erase); the access log loses only its old rows, by the retention job.
NO_DELETE_MODELS = {"volontaires.resident", "volontaires.residentaccesslog"}


def back_office(label: str, action: str, *, allowed: Outcome = OK, agent_refused: bool = False):
    """Non-staff → login page; agents as their group's permission `action` on the model says
    (none on the superuser-only areas); superusers → `allowed`."""

    def expectations(w) -> dict[str, Outcome]:
        app_label, model_name = label.split(".")
        agent = w.users[AGENT]
        may = not agent_refused and any(
            agent.has_perm(f"{app_label}.{each}_{model_name}")
            for each in ({"view": ("view", "change")}.get(action, (action,)))
        )
        return expect(
            ADMIN_LOGIN,
            agent=allowed if may and label not in SUPERUSER_ONLY_MODELS else FORBIDDEN,
            superuser=allowed,
        )

    return expectations


def model_admin_cases(label: str) -> dict[str, Case]:
    """The pages Django's admin makes for one registered model, with their rules."""
    app_label, model_name = label.split(".")
    prefix = f"admin:{app_label}_{model_name}"

    def obj(w):
        return {"object_id": w.admin_objects[label].pk}

    def still_there(w):
        return type(w.admin_objects[label]).objects.filter(pk=w.admin_objects[label].pk).exists()

    refused = expect(ADMIN_LOGIN, staff=FORBIDDEN)
    deletes = label not in NO_DELETE_MODELS
    return {
        f"{prefix}_changelist": Case(get=back_office(label, "view")),
        f"{prefix}_add": Case(get=refused if label in NO_ADD_MODELS else back_office(label, "add")),
        f"{prefix}_change": Case(get=back_office(label, "view"), kwargs=obj),
        f"{prefix}_history": Case(get=back_office(label, "view"), kwargs=obj),
        # GET asks for confirmation; POST deletes (or explains what protects the object).
        f"{prefix}_delete": Case(
            kwargs=obj,
            get=back_office(label, "delete") if deletes else refused,
            post=back_office(
                label,
                "delete",
                allowed=OK if label in PROTECTED else SAVED,
                agent_refused=label in AGENT_MAY_NOT_DELETE,
            )
            if deletes
            else refused,
            data=lambda w: {"post": "yes"},
            changed=still_there,
        ),
        # The short address of an object redirects any staff member to its change page, which
        # then checks the permissions.
        f"back-office/{app_label}/{model_name}/<path:object_id>/": Case(
            get=expect(ADMIN_LOGIN, staff=REDIRECT),
            path=lambda w: f"/back-office/{app_label}/{model_name}/{w.admin_objects[label].pk}/",
        ),
    }


def back_office_matrix() -> dict:
    matrix = {}
    for model in admin.site._registry:
        matrix.update(model_admin_cases(model._meta.label_lower))
    return matrix


BACK_OFFICE_PAGES = {
    "admin:index": Case(get=BACK_OFFICE),
    # Everyone logs in through the portal's login (one lockout, one second factor).
    "admin:login": Case(get=expect(FORBIDDEN, anonymous=LOGIN, staff=REDIRECT)),
    # Non-staff are sent to the index (then to the login page); staff are logged out.
    "admin:logout": Case(get=expect(REDIRECT, staff=NOT_ALLOWED), post=expect(REDIRECT)),
    "admin:password_change": Case(get=BACK_OFFICE),
    "admin:password_change_done": Case(get=BACK_OFFICE),
    "admin:autocomplete": Case(
        get=BACK_OFFICE,
        query="?app_label=conventions&model_name=payment&field_name=convention&term=CPO",
    ),
    "admin:jsi18n": Case(get=BACK_OFFICE),
    "admin:view_on_site": Case(
        get=expect(ADMIN_LOGIN, staff=REDIRECT),
        kwargs=lambda w: {
            "content_type_id": w.association_content_type.pk,
            "object_id": w.association_a.pk,
        },
    ),
    "admin:app_list": (
        Case(
            label="the portal's app", kwargs=lambda w: {"app_label": "volontaires"}, get=BACK_OFFICE
        ),
        Case(
            label="accounts and groups",
            kwargs=lambda w: {"app_label": "auth"},
            get=expect(ADMIN_LOGIN, agent=NOT_FOUND, superuser=OK),  # no model of it for agents
        ),
    ),
    "back-office/(?P<url>.*)$": (
        Case(
            label="a list without its slash",
            path=lambda w: "/back-office/conventions/convention",
            get=expect(ADMIN_LOGIN, staff=MOVED),
        ),
        Case(
            label="an unknown page",
            path=lambda w: "/back-office/nulle-part/",
            get=expect(ADMIN_LOGIN, staff=NOT_FOUND),
        ),
    ),
    # Pages of their own on some lists
    # Passwords are set by their owners (reset e-mail) or by a superuser.
    "admin:auth_user_password_change": Case(
        kwargs=lambda w: {"id": w.users["other_volunteer"].pk},
        get=expect(ADMIN_LOGIN, agent=FORBIDDEN, superuser=OK),
    ),
    **{
        f"admin:{label.replace('.', '_')}_export": Case(get=back_office(label, "view"))
        for label in [
            "associations.association",
            "conventions.funder",
            "conventions.convention",
            "conventions.commitment",
            "conventions.subsidy",
            "conventions.payment",
            "conventions.inkindsupport",
            "conventions.yearlyreport",
            "conventions.subsidyrequest",
        ]
    },
    **{
        f"admin:{label.replace('.', '_')}_simple_history": Case(
            get=back_office(label, "view"),
            args=lambda w, label=label: (
                w.admin_objects[label].pk,
                w.admin_objects[label].history.latest().history_id,
            ),
        )
        for label in [
            "associations.association",
            "conventions.convention",
            "conventions.commitment",
            "conventions.payment",
            "conventions.inkindsupport",
            "conventions.subsidy",
            "conventions.yearlyreport",
            "conventions.articletemplate",
            "conventions.subsidyrequest",
        ]
    },
}

# --- error pages, served with DEBUG on only ---------------------------------------------------

DEBUG_ONLY = {
    f"erreurs/{status}/": Case(
        get=expect(Outcome(status)), path=lambda w, status=status: f"/erreurs/{status}/"
    )
    for status in (403, 404, 500)
}

# Accounts that hold rights are changed by superusers only: an agent can neither set a
# superuser's password nor change their e-mail address (and take the account over).


def superuser_account(w):
    return {"object_id": w.users[SUPERUSER].pk}


def superuser_email(w):
    return type(w.users[SUPERUSER]).objects.get(pk=w.users[SUPERUSER].pk).email


ACCOUNTS_WITH_RIGHTS = {
    "admin:auth_user_password_change": Case(
        label="a superuser's password",
        kwargs=lambda w: {"id": w.users[SUPERUSER].pk},
        get=expect(ADMIN_LOGIN, agent=FORBIDDEN, superuser=OK),
    ),
    "admin:solidaren_user_change": Case(
        label="a superuser's e-mail address",
        kwargs=superuser_account,
        get=BACK_OFFICE,
        post=expect(ADMIN_LOGIN, agent=FORBIDDEN, superuser=SAVED),
        data=lambda w: {
            "email": "repris@exemple.fr",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "date_joined_0": "2026-12-01",
            "date_joined_1": "09:00:00",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
        changed=superuser_email,
    ),
}


def with_more_cases(matrix: dict, more: dict) -> dict:
    return {
        key: (*cases_of(entry), *cases_of(more[key])) if key in more else entry
        for key, entry in matrix.items()
    }


# solidaren.urls is imported only once the tests run (DEBUG off), never at collection.
MATRIX = with_more_cases(
    {**PORTAL, **ACCOUNTS, **back_office_matrix(), **BACK_OFFICE_PAGES, **DEBUG_ONLY},
    ACCOUNTS_WITH_RIGHTS,
)


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once for the module inside a transaction that is rolled back at its end."""
    media_root = tmp_path_factory.mktemp("matrix-media")
    fast_hashing = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        time_machine.travel(NOW, tick=False),
        override_settings(MEDIA_ROOT=media_root, PASSWORD_HASHERS=fast_hashing),
        transaction.atomic(),
    ):
        w = build_world()
        w.media_root = media_root
        w.volunteer_token = w.volunteer_profile.ical_token
        w.association_content_type = ContentType.objects.get_for_model(w.association_a)
        w.clients = Clients(w.users)
        yield w
        transaction.set_rollback(True)


@pytest.fixture
def matrix_settings(settings, world):
    settings.MEDIA_ROOT = world.media_root
    return settings


def debug_urlconf() -> str:
    """solidaren/urls.py as loaded with DEBUG on (with the error pages), as a module of its own."""
    name = "tests._solidaren_urls_with_debug"
    if name not in sys.modules:
        source = importlib.util.find_spec("solidaren.urls").origin
        spec = importlib.util.spec_from_file_location(name, source)
        module = importlib.util.module_from_spec(spec)
        with override_settings(DEBUG=True):
            spec.loader.exec_module(module)
        sys.modules[name] = module
    return name
