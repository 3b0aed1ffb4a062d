"""The machinery of the permission matrix (tests/test_permission_matrix.py).

The matrix says, for every URL pattern of Django's resolver, how to fill its arguments with a
real object of the world built below and what each role gets. This module holds the roles,
the outcomes, the world (one object of each kind, each with its owner), the walk over the
resolver and the check of one case for every role.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from http.cookies import SimpleCookie
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from solidaren.demo import agents_group
from tests.conftest import make_data_protection_officer
from tests.factories import (
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
    SubsidyFactory,
    UserFactory,
    VolunteerProfileFactory,
    YearlyReportFactory,
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
    # A signed-in user with no portal role. The data protection officer has none yet: the
    # package that adds the role gives it its own expectations.
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
CREATED_OK = Outcome(200, writes=True)
LOGIN = Outcome(302, "login")
ADMIN_LOGIN = Outcome(302, "admin_login")
REDIRECT = Outcome(302, "elsewhere")
SAVED = Outcome(302, "elsewhere", writes=True)
MOVED = Outcome(301, "elsewhere")
BAD_REQUEST = Outcome(400)
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
        "(tests/test_permission_matrix.py): say who may open each one:\n"
        + "\n".join(f"  {pattern.key!r}  (/{pattern.route})" for pattern in missing)
    )


# --- the world --------------------------------------------------------------------------------

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def build_world() -> SimpleNamespace:
    """One object of each kind, each with its owner: association A's convention, reports,
    document and attachment; the volunteer's enrolment, proposals, missions and calendar
    token; a resident; one row of every model of the back-office."""
    from allauth.account.models import EmailAddress
    from django_celery_results.models import GroupResult, TaskResult

    from associations.models import FieldOfAction, Premises
    from conventions.models import (
        ArticleTemplate,
        DocumentBatch,
        DocumentKind,
        DocumentStatus,
        GeneratedDocument,
        InKindSupport,
        NetworkPriority,
        Payment,
        ReportAttachment,
        ReportStatus,
    )
    from volontaires.models import (
        Assignment,
        KeepInTouchRequest,
        TrainingRegistration,
        TrainingSession,
    )

    w = SimpleNamespace()
    now = datetime.datetime.now(datetime.UTC)

    # Personas
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

    # Associations and conventions
    w.field_of_action = FieldOfAction.objects.create(name="Aide alimentaire", slug="aide-alim")
    w.premises = Premises.objects.create(
        association=w.association_a, label="Local de distribution", address="1 rue de Brest"
    )
    w.funder = FunderFactory(name="Ville de Test")
    w.convention_a = ConventionFactory(association=w.association_a, funders=[w.funder])
    w.convention_b = ConventionFactory(association=w.association_b, funders=[w.funder])
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
        position=90, title="Article de test", body="La convention {{ convention.reference }}."
    )
    w.report_draft = YearlyReportFactory(convention=w.convention_a, year=2025)
    w.report_submitted = YearlyReportFactory(
        convention=w.convention_a,
        year=2024,
        status=ReportStatus.SUBMITTED,
        submitted_at=now,
        submitted_by=users[COORDINATOR_A],
    )
    w.attachment = ReportAttachment.objects.create(
        report=w.report_draft, title="Comptes 2025", file=ContentFile(PDF_BYTES, "comptes.pdf")
    )
    w.batch = DocumentBatch.objects.create(label="Lot de A", created_by=users[COORDINATOR_A])
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

    # Volontaires Solidaires
    w.resident = ResidentFactory(programme=w.programme, quartier=w.quartier)
    common = {"programme": w.programme, "mission_type": w.mission_type, "quartier": w.quartier}
    w.city_call = MissionFactory(
        **common, title="Appel de la ville", date=datetime.date(2026, 12, 16), places=5
    )
    w.association_call = MissionFactory(
        **common,
        title="Appel de A",
        origin="association",
        association=w.association_a,
        date=datetime.date(2026, 12, 17),
        places=5,
    )
    w.proposal_mission = MissionFactory(
        **common,
        title="Mission proposée",
        volunteer_calls=False,
        date=datetime.date(2026, 12, 9),
        places=2,
    )
    w.resident_mission = MissionFactory(
        **common, title="Courses", resident=w.resident, date=datetime.date(2026, 11, 30)
    )
    w.done_mission = MissionFactory(
        **common, title="Courses faites", resident=w.resident, date=datetime.date(2026, 11, 16)
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
        done_on=datetime.date(2026, 11, 16),
        duration_minutes=60,
    )
    w.keep_in_touch = KeepInTouchRequest.objects.create(
        assignment=AssignmentFactory(
            mission=w.done_mission,
            volunteer=w.other_volunteer_profile,
            status="realisee",
            answered_at=now,
            done_on=datetime.date(2026, 11, 16),
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
            starts_at=datetime.datetime(2026, 12, day, 14, tzinfo=datetime.UTC),
            ends_at=datetime.datetime(2026, 12, day, 17, tzinfo=datetime.UTC),
        )
        for title, day in [("Premiers secours", 12), ("Accueillir", 19)]
    ]
    w.training, w.training_with_volunteer = sessions
    TrainingRegistration.objects.create(session=sessions[1], volunteer=w.volunteer_profile)

    # One row of every model of the back-office (others are above)
    w.group = Group.objects.create(name="Groupe de test")
    w.task_result = TaskResult.objects.create(task_id="tache-de-test", status="SUCCESS")
    w.group_result = GroupResult.objects.create(group_id="groupe-de-test")
    w.admin_objects = {
        "auth.group": w.group,
        "account.emailaddress": EmailAddress.objects.get(user=users[OTHER_VOLUNTEER]),
        "django_celery_results.taskresult": w.task_result,
        "django_celery_results.groupresult": w.group_result,
        "solidaren.user": users[OTHER_VOLUNTEER],
        "associations.fieldofaction": w.field_of_action,
        "associations.association": w.association_a,
        "associations.premises": w.premises,
        "conventions.funder": w.funder,
        "conventions.networkpriority": w.priority,
        "conventions.convention": w.convention_a,
        "conventions.commitment": w.commitment,
        "conventions.payment": w.payment,
        "conventions.inkindsupport": w.in_kind_support,
        "conventions.subsidy": w.subsidy,
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
    }
    return w


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
            f"({len(COUNTER.patterns)} URL patterns × {len(ROLES)} roles, GET and POST)",
        )
