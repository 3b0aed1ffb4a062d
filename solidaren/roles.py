"""Back-office roles: what city agents may do there, declared once, applied by migrations.

Agents (`is_staff`) get their back-office rights from one group, `AGENTS_GROUP`, whose
permissions are exactly `AGENT_PERMISSIONS`. Migration `0002_agents_group` creates the group
and `solidaren.apps` re-applies the declaration after every `migrate` (permissions of models
added later only exist once their app has migrated, and a right removed here must also leave
the database). A right added to the group by hand in the back-office is therefore dropped at
the next deployment: rights are reviewed as code, not granted by clicking.

Accounts that hold rights (superusers, staff, members of a group, holders of a permission)
are changed by superusers only (`may_change_account`), so that no agent can take over a more
powerful account or widen their own rights.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group
from django.db import DEFAULT_DB_ALIAS

from solidaren.access import DATA_PROTECTION_OFFICER_GROUP

AGENTS_GROUP = "Agents de la collectivité"

ALL = ("add", "change", "delete", "view")
READ_ONLY = ("view",)

# "app_label.model_name" → the actions agents may take on it. A model missing here is out of
# the agents' back-office (auth.Group and auth.Permission above all: rights stay with
# superusers), and so are the change histories (simple_history), read through their model.
AGENT_PERMISSIONS: Mapping[str, tuple[str, ...]] = {
    # Accounts: agents look people up (also for the autocompletes) and correct the identity and
    # memberships of accounts without rights; `solidaren.admin.UserAdmin` refuses the rest.
    # Creating accounts is the job of sign-up (volunteers) and of superusers (staff).
    "solidaren.user": ("view", "change"),
    "associations.association": ALL,
    "associations.fieldofaction": ALL,
    "associations.membership": ALL,
    "associations.premises": ALL,
    "associations.structure": ALL,
    "associations.service": ALL,
    "associations.servicestop": ALL,
    "associations.servicechange": ALL,
    # Made through the portal (with the person's consent); agents follow and correct them.
    "associations.orientationrequest": ("view", "change"),
    "conventions.funder": ALL,
    "conventions.networkpriority": ALL,
    "conventions.convention": ALL,
    "conventions.conventionparty": ALL,
    "conventions.objective": ALL,
    "conventions.commitment": ALL,
    "conventions.payment": ALL,
    "conventions.inkindsupport": ALL,
    "conventions.inkindvalue": ALL,
    "conventions.subsidyrequest": ALL,
    "conventions.requestamount": ALL,
    "conventions.requestbudgetline": ALL,
    "conventions.requestattachment": ALL,
    # The steps of a request are written by conventions/subsidy_requests.py.
    "conventions.requestevent": READ_ONLY,
    "conventions.subsidy": ALL,
    "conventions.yearlyreport": ALL,
    "conventions.budgetline": ALL,
    "conventions.reportaction": ALL,
    "conventions.reportattachment": ALL,
    "conventions.articletemplate": ALL,
    # Produced by the workers, never typed in: agents follow them and start new runs.
    "conventions.generateddocument": READ_ONLY,
    "conventions.documentbatch": READ_ONLY,
    "volontaires.quartier": ALL,
    "volontaires.language": ALL,
    "volontaires.missiontype": ALL,
    "volontaires.programme": ALL,
    "volontaires.volunteerprofile": ALL,
    "volontaires.availabilityslot": ALL,
    "volontaires.enrolment": ALL,
    # The pause / resume / withdrawal history is written by volontaires.enrolments.
    "volontaires.enrolmentstatuschange": READ_ONLY,
    "volontaires.resident": ALL,
    "volontaires.mission": ALL,
    "volontaires.assignment": ALL,
    "volontaires.trainingsession": ALL,
    "volontaires.trainingregistration": ALL,
    "volontaires.keepintouchrequest": ALL,
    "django_celery_results.taskresult": READ_ONLY,
    "django_celery_results.groupresult": READ_ONLY,
}

# The data protection officer reads the access log of residents' records (volontaires); the
# log's own admin also checks the role, and nobody may change or delete its rows.
DATA_PROTECTION_OFFICER_PERMISSIONS: Mapping[str, tuple[str, ...]] = {
    "volontaires.residentaccesslog": READ_ONLY,
}

DECLARED_GROUPS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    AGENTS_GROUP: AGENT_PERMISSIONS,
    DATA_PROTECTION_OFFICER_GROUP: DATA_PROTECTION_OFFICER_PERMISSIONS,
}


def declared_codenames(declaration: Mapping[str, tuple[str, ...]]) -> set[tuple[str, str]]:
    """(app_label, codename) of every permission a declaration grants."""
    codenames = set()
    for label, actions in declaration.items():
        app_label, model_name = label.split(".")
        codenames |= {(app_label, f"{action}_{model_name}") for action in actions}
    return codenames


def sync_declared_groups(*, apps: Apps = global_apps, using: str = DEFAULT_DB_ALIAS) -> None:
    """Create the declared groups and give each exactly its declared permissions.

    Works on the migration state as well as on the live models (`apps`), and writes only what
    differs, so that running it after every `migrate` is cheap. Permissions of models that do
    not exist yet in `apps` are skipped: the run after the migration that adds them grants them.
    """
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, declaration in DECLARED_GROUPS.items():
        wanted = declared_codenames(declaration)
        _create_missing_permissions(
            app_labels={app_label for app_label, _ in wanted}, apps=apps, using=using
        )
        candidates = permission_model.objects.using(using).filter(
            content_type__app_label__in={app_label for app_label, _ in wanted},
            codename__in={codename for _, codename in wanted},
        )
        permission_ids = {
            pk
            for pk, app_label, codename in candidates.values_list(
                "pk", "content_type__app_label", "codename"
            )
            if (app_label, codename) in wanted
        }
        group, _ = group_model.objects.using(using).get_or_create(name=name)
        if set(group.permissions.values_list("pk", flat=True)) != permission_ids:
            group.permissions.set(permission_ids)


def _create_missing_permissions(*, app_labels: Iterable[str], apps: Apps, using: str) -> None:
    """Django creates permissions after all migrations ran: create those we need now."""
    for app_label in app_labels:
        create_permissions(
            global_apps.get_app_config(app_label), verbosity=0, using=using, apps=apps
        )


def agents_group() -> Group:
    """The agents' group (created by migration 0002_agents_group)."""
    return Group.objects.get(name=AGENTS_GROUP)


# --- who may change which account in the back-office ------------------------------------------


def holds_rights(user) -> bool:
    """Superuser, staff, or any group or permission: accounts only superusers may change."""
    return (
        user.is_superuser or user.is_staff or user.groups.exists() or user.user_permissions.exists()
    )


def may_change_account(*, actor, account) -> bool:
    """Superusers change anyone; others their own identity and accounts without rights.

    The rights fields themselves stay read-only for non-superusers (solidaren.admin).
    """
    if actor.is_superuser or account.pk == actor.pk:
        return True
    return not holds_rights(account)


def may_delete_account(*, actor, account) -> bool:
    if actor.is_superuser:
        return True
    return account.pk != actor.pk and not holds_rights(account)


def may_set_password(*, actor) -> bool:
    """Only superusers set a password in the back-office.

    Whoever sets a password can log in as its owner: everyone else changes their own with the
    old one, or through the reset e-mail.
    """
    return actor.is_superuser
