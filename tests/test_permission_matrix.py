"""The permission matrix: every URL pattern of Django's resolver × every role, with real objects.

`MATRIX` says, for each URL name (or route, for a pattern without a name), how to fill its
arguments from the world of tests/permission_matrix.py and what each role gets for a GET and,
where the view accepts it, a POST (with the data written, or not, as the role may). A pattern
missing from the matrix fails the suite: a new URL is one more line here.

The back-office follows rules (anonymous and non-staff are sent to its login page; agents get
what their group allows; some areas are for superusers only), applied to every ModelAdmin.
"""

import datetime
import importlib.util
import sys
import types
from contextlib import nullcontext

import pytest
import time_machine
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings
from django.urls import path

from conventions.models import DocumentBatch, ReportAttachment, YearlyReport
from tests.factories import PASSWORD
from tests.permission_matrix import (
    ADMIN_LOGIN,
    AGENT,
    FORBIDDEN,
    LOGIN,
    MOVED,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    PDF_BYTES,
    REDIRECT,
    SAVED,
    SUPERUSER,
    Case,
    Clients,
    Outcome,
    assert_every_pattern_listed,
    build_world,
    cases_of,
    check_case,
    expect,
    missing_from,
    resolver_patterns,
)
from volontaires.models import (
    Assignment,
    Enrolment,
    KeepInTouchRequest,
    Mission,
    TrainingRegistration,
    VolunteerProfile,
)

NOW = datetime.datetime(2026, 12, 2, 10, 30, tzinfo=datetime.UTC)  # a Wednesday

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


def pk(name):
    return lambda w: {"pk": getattr(w, name).pk}


def row(model, name, *fields):
    """What a POST may change on the world's object `name` (re-read from the database)."""
    return lambda w: tuple(model.objects.filter(pk=getattr(w, name).pk).values_list(*fields))


def count(model, **lookup):
    return lambda w: model.objects.filter(**lookup).count()


# --- the portal -------------------------------------------------------------------------------

PORTAL = {
    "home": Case(get=PUBLIC),
    "healthz": Case(get=PUBLIC, post=POST_ONLY),
    # GET only redirects; POST sets the language cookie (no data).
    "set_language": Case(
        get=expect(REDIRECT), post=expect(REDIRECT), data=lambda w: {"language": "en", "next": "/"}
    ),
    # associations/
    "associations:list": Case(get=PUBLIC),
    "associations:detail": Case(get=PUBLIC, kwargs=lambda w: {"slug": w.association_a.slug}),
    "associations:mine": Case(get=expect(FORBIDDEN, anonymous=LOGIN, coordinators=OK)),
    "associations:edit": Case(
        kwargs=lambda w: {"slug": w.association_a.slug},
        get=expect(FORBIDDEN, anonymous=LOGIN, staff=OK, coordinator_a=OK),
        post=expect(FORBIDDEN, anonymous=LOGIN, staff=SAVED, coordinator_a=SAVED),
        data=lambda w: {"description": "Nouvelle description", "commune": "Rennes"},
        changed=lambda w: type(w.association_a).objects.get(pk=w.association_a.pk).description,
    ),
    # conventions/
    "conventions:list": Case(get=STAFF_AND_COORDINATORS),
    "conventions:detail": Case(
        kwargs=pk("convention_a"),
        get=expect(FORBIDDEN, anonymous=LOGIN, staff=OK, coordinator_a=OK, coordinator_b=NOT_FOUND),
    ),
    "conventions:reports": Case(get=STAFF_AND_COORDINATORS),
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
        post=expect(
            FORBIDDEN,
            anonymous=LOGIN,
            staff=SAVED,
            coordinator_a=FORBIDDEN,
            coordinator_b=NOT_FOUND,
        ),
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
    "conventions:dashboard": Case(get=STAFF_ONLY),
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
    ),
    "conventions:document_batch_progress": Case(
        kwargs=pk("batch"),
        get=expect(FORBIDDEN, anonymous=LOGIN, staff=OK, coordinator_a=OK, coordinator_b=NOT_FOUND),
    ),
    "conventions:document_download": Case(
        kwargs=pk("document"),
        get=expect(FORBIDDEN, anonymous=LOGIN, staff=OK, coordinator_a=OK, coordinator_b=NOT_FOUND),
    ),
    "opendata_subsidies": Case(get=PUBLIC, query="?annee=2025"),
    # volontaires/: the volunteer's side
    "volontaires:my_space": Case(
        get=expect(FORBIDDEN, anonymous=LOGIN, volunteers=OK, no_role=REDIRECT)
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
        data=lambda w: {"done_on": "2026-11-30", "duration_minutes": "60"},
        changed=row(Assignment, "accepted", "status"),
    ),
    "volontaires:keep_in_touch": Case(
        kwargs=pk("done"),
        get=POST_ONLY_FOR_VOLUNTEERS,
        post=expect(FORBIDDEN, anonymous=LOGIN, volunteer=SAVED, other_volunteer=NOT_FOUND),
        data=lambda w: {"association": w.association_a.pk},
        changed=count(KeepInTouchRequest),
    ),
    "volontaires:mission_list": Case(get=SIGNED_IN),
    "volontaires:mission_detail": (
        Case(
            label="a resident's mission",
            kwargs=pk("resident_mission"),
            get=expect(NOT_FOUND, anonymous=LOGIN, volunteer=OK, staff=OK),
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
            label="the volunteer's token", kwargs=lambda w: {"token": w.volunteer_token}, get=PUBLIC
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
    "volontaires:staff_missions": Case(get=STAFF_ONLY),
    "volontaires:staff_mission_batch": Case(
        get=POST_ONLY,
        post=expect(FORBIDDEN, anonymous=LOGIN, staff=SAVED),
        changed=count(Assignment),
    ),
    "volontaires:staff_mission": Case(kwargs=pk("city_call"), get=STAFF_ONLY),
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
            f"realisee-{w.accepted.pk}-done_on": "2026-11-30",
            f"realisee-{w.accepted.pk}-duration_minutes": "45",
        },
        changed=row(Assignment, "accepted", "status"),
    ),
    "volontaires:staff_volunteer": Case(kwargs=pk("volunteer_profile"), get=STAFF_ONLY),
    "volontaires:staff_volunteer_verify": Case(
        kwargs=pk("volunteer_profile"),
        get=POST_ONLY,
        post=expect(FORBIDDEN, anonymous=LOGIN, staff=SAVED),
        data=lambda w: {"verifie": "0"},
        changed=row(VolunteerProfile, "volunteer_profile", "is_verified"),
    ),
    "volontaires:calls": Case(get=STAFF_AND_COORDINATORS),
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
    "volontaires:training": Case(get=VOLUNTEERS_ONLY),
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
    "volontaires:staff_training": Case(get=STAFF_ONLY),
    "volontaires:staff_training_session": Case(
        kwargs=pk("training"), get=STAFF_ONLY, post=STAFF_ONLY, changed=count(TrainingRegistration)
    ),
    "volontaires:figures": Case(get=PUBLIC),
    "volontaires:figures_json": Case(get=PUBLIC, query=lambda w: f"?programme={w.programme.slug}"),
    "volontaires:staff_figures": Case(get=STAFF_ONLY),
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
}

# --- the back-office --------------------------------------------------------------------------

# Anonymous and signed-in users who are not staff are sent to the back-office's login page.
BACK_OFFICE = expect(ADMIN_LOGIN, staff=OK)
# Areas for superusers only, whatever the agents' group holds: rights and e-mail addresses.
SUPERUSER_ONLY_MODELS = {"auth.group", "account.emailaddress"}
# Back-office lists whose rows are made by the portal, never added by hand.
NO_ADD_MODELS = {"conventions.generateddocument", "conventions.documentbatch"}
# Objects of the world that the delete page refuses to delete: rows of other models protect
# them (an association's conventions, a programme's missions...). It explains why, with a 200.
PROTECTED = {
    "associations.association",
    "associations.premises",
    "conventions.funder",
    "volontaires.programme",
    "volontaires.quartier",
    "volontaires.missiontype",
    "volontaires.resident",
}
# Deleting an account deletes its e-mail addresses, which agents may not delete: refused.
AGENT_MAY_NOT_DELETE = {"solidaren.user"}


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

    no_add = expect(ADMIN_LOGIN, staff=FORBIDDEN)
    return {
        f"{prefix}_changelist": Case(get=back_office(label, "view")),
        f"{prefix}_add": Case(get=no_add if label in NO_ADD_MODELS else back_office(label, "add")),
        f"{prefix}_change": Case(get=back_office(label, "view"), kwargs=obj),
        f"{prefix}_history": Case(get=back_office(label, "view"), kwargs=obj),
        # GET asks for confirmation; POST deletes (or explains what protects the object).
        f"{prefix}_delete": Case(
            kwargs=obj,
            get=back_office(label, "delete"),
            post=back_office(
                label,
                "delete",
                allowed=OK if label in PROTECTED else SAVED,
                agent_refused=label in AGENT_MAY_NOT_DELETE,
            ),
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
    "admin:login": Case(get=expect(OK, staff=REDIRECT)),
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
    "admin:auth_user_password_change": Case(
        kwargs=lambda w: {"id": w.users["other_volunteer"].pk},
        get=back_office("solidaren.user", "change"),
    ),
    **{
        f"admin:{label.replace('.', '_')}_export": Case(get=back_office(label, "view"))
        for label in [
            "associations.association",
            "conventions.funder",
            "conventions.convention",
            "conventions.commitment",
            "conventions.subsidy",
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

# Accounts that hold rights are changed by superusers only. Until the back-office rights of
# issue 8 land, an agent can set a superuser's password or e-mail address (and take the account
# over): these cases say what must happen and are reported as expected failures meanwhile.
RIGHTS_PENDING = "issue 8, back-office rights: agents may not change a superuser's account"


def superuser_account(w):
    return {"object_id": w.users[SUPERUSER].pk}


def superuser_email(w):
    return type(w.users[SUPERUSER]).objects.get(pk=w.users[SUPERUSER].pk).email


ACCOUNTS_WITH_RIGHTS = {
    "admin:auth_user_password_change": Case(
        label="a superuser's password",
        kwargs=lambda w: {"id": w.users[SUPERUSER].pk},
        get=expect(ADMIN_LOGIN, agent=FORBIDDEN, superuser=OK),
        pending=RIGHTS_PENDING,
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
        pending=RIGHTS_PENDING,
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


# --- tests ------------------------------------------------------------------------------------


def test_every_url_pattern_is_in_the_matrix_and_every_entry_is_a_url_pattern():
    patterns = resolver_patterns()
    with override_settings(ROOT_URLCONF=debug_urlconf()):
        debug_patterns = resolver_patterns()
    assert_every_pattern_listed(MATRIX, patterns)
    assert_every_pattern_listed(MATRIX, debug_patterns)
    known = {pattern.key for pattern in patterns} | {pattern.key for pattern in debug_patterns}
    assert sorted(set(MATRIX) - known) == []
    assert sorted(set(DEBUG_ONLY)) == sorted(known - {pattern.key for pattern in patterns})


def test_a_url_pattern_left_out_of_the_matrix_fails_the_suite(monkeypatch):
    """GIVEN a urlconf with one page more WHEN the completeness check runs THEN it fails and
    names the page."""
    import solidaren.urls

    urlconf = types.ModuleType("tests._urls_with_an_unlisted_page")
    urlconf.urlpatterns = [
        *solidaren.urls.urlpatterns,
        path("page-oubliee/<int:pk>/", solidaren.urls.views.home, name="forgotten_page"),
    ]
    monkeypatch.setitem(sys.modules, urlconf.__name__, urlconf)
    with override_settings(ROOT_URLCONF=urlconf.__name__):
        patterns = resolver_patterns()
        assert [pattern.key for pattern in missing_from(MATRIX, patterns)] == ["forgotten_page"]
        with pytest.raises(AssertionError, match=r"'forgotten_page'  \(/page-oubliee/<int:pk>/\)"):
            assert_every_pattern_listed(MATRIX, patterns)


@pytest.mark.django_db
@pytest.mark.parametrize("key", list(MATRIX))
def test_who_may_open_each_url(key, world, matrix_settings):
    failures, pending = [], []
    # Changing ROOT_URLCONF rebuilds the resolver (slow): only for the pages of DEBUG.
    with override_settings(ROOT_URLCONF=debug_urlconf()) if key in DEBUG_ONLY else nullcontext():
        for case in cases_of(MATRIX[key]):
            found = [
                f"{case.label}: {failure}" if case.label else failure
                for failure in check_case(key, case, world, world.clients)
            ]
            if not case.pending:
                failures += found
            elif found:
                pending += [f"{case.pending}: {failure}" for failure in found]
            else:
                failures.append(f"{case.label}: passes now, remove its mark ({case.pending})")
    assert failures == [], "\n".join(failures)
    if pending:
        pytest.xfail("\n".join(pending))
