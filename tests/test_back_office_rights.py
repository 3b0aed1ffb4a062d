"""Back-office rights: agents' rights come from one declared group, and no agent can take over
a more powerful account or widen their own rights, whatever path of the user admin they use.

No `load_demo` here: the agents' group must exist on a database that only ran the migrations.
"""

import importlib
from types import SimpleNamespace

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.urls import reverse

from associations.models import Membership
from solidaren import roles
from solidaren.access import DATA_PROTECTION_OFFICER_GROUP
from solidaren.models import User
from tests.factories import PASSWORD, AssociationFactory, UserFactory, give_totp

NEW_PASSWORD = "un-tout-autre-mot-de-passe-77"
FORBIDDEN_PAGE = "<h1>Accès refusé</h1>"  # templates/403.html
PASSWORD_LINK = 'href="../password/"'  # the change form's button to the password form


def group_codenames(group: Group) -> set[tuple[str, str]]:
    return set(group.permissions.values_list("content_type__app_label", "codename"))


def permission(label: str) -> Permission:
    app_label, codename = label.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def change_url(user: User) -> str:
    return reverse("admin:solidaren_user_change", args=[user.pk])


def password_url(user: User) -> str:
    return reverse("admin:auth_user_password_change", args=[user.pk])


def identity_post(user: User, **extra) -> dict:
    """What the change form posts for `user`, with the membership inline left as it is."""
    memberships = list(user.memberships.all())
    data = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": "on" if user.is_active else "",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "memberships-TOTAL_FORMS": str(len(memberships)),
        "memberships-INITIAL_FORMS": str(len(memberships)),
    }
    for index, membership in enumerate(memberships):
        data[f"memberships-{index}-id"] = membership.pk
        data[f"memberships-{index}-user"] = user.pk
        data[f"memberships-{index}-association"] = membership.association_id
    data.update(extra)
    return data


def rights_of(user: User) -> tuple:
    user.refresh_from_db()
    return (
        user.is_superuser,
        user.is_staff,
        user.is_active,
        set(user.groups.values_list("name", flat=True)),
        set(user.user_permissions.values_list("codename", flat=True)),
        user.password,
    )


@pytest.fixture
def agent(agent):
    """The `agent` persona with the rights every agent has: those of the declared group."""
    agent.groups.add(roles.agents_group())
    return agent


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def superuser(db):
    superuser = UserFactory(email="dsi@ville.example.fr", is_staff=True, is_superuser=True)
    give_totp(superuser)  # superusers need TOTP to open any page (solidaren.two_factor)
    return superuser


@pytest.fixture
def other_agent(db):
    other = UserFactory(email="collegue@ville.example.fr", is_staff=True)
    other.groups.add(roles.agents_group())
    return other


# --- the declared group -----------------------------------------------------------------------


def test_the_migrations_create_the_agents_group_with_exactly_the_declared_rights(db):
    """GIVEN a database that only ran the migrations (no demo data)
    THEN the agents' group exists with the declared permissions, each of which exists, and
    none on groups, permissions, sessions, logs or e-mail addresses."""
    group = Group.objects.get(name=roles.AGENTS_GROUP)

    declared = roles.declared_codenames(roles.AGENT_PERMISSIONS)
    assert group_codenames(group) == declared
    assert len(declared) > 100
    assert {app for app, _ in group_codenames(group)} == {
        "solidaren",
        "associations",
        "conventions",
        "volontaires",
        "django_celery_results",
    }
    user_rights = {codename for app, codename in declared if app == "solidaren"}
    assert user_rights == {"view_user", "change_user"}


def declared_for_models_of(state) -> set[tuple[str, str]]:
    """The agents' declared rights on the models that exist in a migration state."""
    models = {model._meta.label_lower for model in state.apps.get_models()}
    return roles.declared_codenames(
        {label: actions for label, actions in roles.AGENT_PERMISSIONS.items() if label in models}
    )


def test_migration_0002_creates_the_group_and_the_missing_permissions_on_its_own(db):
    """The migration does not rely on the post_migrate handler: run on a database without the
    group and without the permissions of the portal's models (as on a fresh database, where
    Django creates permissions only after all migrations), it creates both — for the models
    that exist at that point; a later migration (0004, the grant cycle's models) adds theirs."""
    migration = importlib.import_module("solidaren.migrations.0002_agents_group")
    loader = MigrationLoader(connection)
    state = loader.project_state(("solidaren", "0002_agents_group"))
    portal_apps = {app for app, _ in roles.declared_codenames(roles.AGENT_PERMISSIONS)}
    Group.objects.filter(name=roles.AGENTS_GROUP).delete()
    Permission.objects.filter(content_type__app_label__in=portal_apps).delete()

    migration.create_agents_group(state.apps, SimpleNamespace(connection=connection))
    migration.create_agents_group(state.apps, SimpleNamespace(connection=connection))  # again

    group = Group.objects.get(name=roles.AGENTS_GROUP)
    assert group_codenames(group) == declared_for_models_of(state)
    assert Group.objects.filter(name=roles.AGENTS_GROUP).count() == 1

    later = importlib.import_module("solidaren.migrations.0004_agents_group_grant_cycle")
    later_state = loader.project_state(("solidaren", "0004_agents_group_grant_cycle"))
    later.sync_agents_group(later_state.apps, SimpleNamespace(connection=connection))

    granted_later = group_codenames(group) - declared_for_models_of(state)
    assert ("conventions", "change_subsidyrequest") in granted_later
    assert group_codenames(group) == declared_for_models_of(later_state)


def test_every_migrate_puts_the_group_back_to_its_declaration(db):
    """A right granted by hand to the group is withdrawn, a declared one removed comes back."""
    group = roles.agents_group()
    group.permissions.add(permission("auth.change_group"))
    group.permissions.remove(permission("conventions.change_convention"))

    call_command("migrate", verbosity=0, interactive=False)

    group.refresh_from_db()
    assert group_codenames(group) == roles.declared_codenames(roles.AGENT_PERMISSIONS)


def test_the_group_comes_back_after_a_flush(db):
    """`flush` (run between transactional tests) empties the tables and sends post_migrate
    without a migration state: the declared group is created again."""
    try:
        call_command("flush", verbosity=0, interactive=False)

        group = Group.objects.get(name=roles.AGENTS_GROUP)
        assert group_codenames(group) == roles.declared_codenames(roles.AGENT_PERMISSIONS)
    finally:
        ContentType.objects.clear_cache()  # the rows come back with the rollback, not the cache


def test_the_agents_back_office_shows_the_portal_not_the_rights(agent_client):
    index = agent_client.get(reverse("admin:index")).content.decode()

    assert reverse("admin:conventions_convention_changelist") in index
    assert reverse("admin:solidaren_user_changelist") in index
    assert reverse("admin:auth_group_changelist") not in index
    for url in [
        reverse("admin:auth_group_changelist"),
        reverse("admin:auth_group_add"),
        reverse("admin:auth_group_change", args=[roles.agents_group().pk]),
        reverse("admin:account_emailaddress_changelist"),
        reverse("admin:solidaren_user_add"),
    ]:
        assert agent_client.get(url).status_code == 403, url


# --- an agent and a superuser's account -------------------------------------------------------


def test_an_agent_cannot_change_a_superuser_through_the_change_form(agent_client, superuser):
    before = rights_of(superuser)
    page = agent_client.get(change_url(superuser))
    assert page.status_code == 200  # they may look the account up (read-only)
    content = page.content.decode()
    assert 'name="email"' not in content and 'name="is_superuser"' not in content
    assert PASSWORD_LINK not in content

    response = agent_client.post(
        change_url(superuser),
        identity_post(superuser, email="pirate@exemple.fr", is_superuser="", is_active=""),
    )

    assert response.status_code == 403
    assert FORBIDDEN_PAGE in response.content.decode()
    assert rights_of(superuser) == before
    assert User.objects.get(pk=superuser.pk).email == "dsi@ville.example.fr"


def test_an_agent_cannot_set_a_superusers_password(agent_client, superuser):
    before = rights_of(superuser)

    form = agent_client.get(password_url(superuser))
    response = agent_client.post(
        password_url(superuser),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert form.status_code == 403 and response.status_code == 403
    assert FORBIDDEN_PAGE in response.content.decode()
    assert rights_of(superuser) == before
    superuser.refresh_from_db()
    assert superuser.check_password(PASSWORD) and not superuser.check_password(NEW_PASSWORD)


def test_an_agent_cannot_delete_a_superuser_one_by_one_or_in_bulk(agent_client, superuser):
    delete_url = reverse("admin:solidaren_user_delete", args=[superuser.pk])

    assert agent_client.get(delete_url).status_code == 403
    assert agent_client.post(delete_url, {"post": "yes"}).status_code == 403
    bulk = agent_client.post(
        reverse("admin:solidaren_user_changelist"),
        {"action": "delete_selected", "_selected_action": [superuser.pk], "post": "yes"},
    )

    assert bulk.status_code in (200, 302)  # "no action selected": agents may not delete
    assert User.objects.filter(pk=superuser.pk).exists()


def test_bulk_delete_checks_each_selected_account(client, superuser, other_agent):
    """GIVEN a staff member who was given the right to delete accounts
    WHEN they select a superuser, an agent and an account without rights for deletion
    THEN nothing is deleted (403); the account without rights alone can be deleted."""
    manager = UserFactory(email="gestion@ville.example.fr", is_staff=True)
    for label in ["solidaren.view_user", "solidaren.delete_user", "account.delete_emailaddress"]:
        manager.user_permissions.add(permission(label))
    plain = UserFactory(email="ancien-compte@exemple.fr")
    client.force_login(manager)
    changelist = reverse("admin:solidaren_user_changelist")

    selection = [superuser.pk, other_agent.pk, plain.pk]
    confirm = client.post(changelist, {"action": "delete_selected", "_selected_action": selection})
    refused = client.post(
        changelist, {"action": "delete_selected", "_selected_action": selection, "post": "yes"}
    )

    assert confirm.status_code == 200 and confirm.context["perms_lacking"]
    assert refused.status_code == 403
    assert User.objects.filter(pk__in=selection).count() == 3

    done = client.post(
        changelist, {"action": "delete_selected", "_selected_action": [plain.pk], "post": "yes"}
    )
    assert done.status_code == 302
    assert not User.objects.filter(pk=plain.pk).exists()
    assert User.objects.filter(pk__in=[superuser.pk, other_agent.pk]).count() == 2


def test_crafted_posts_cannot_change_a_superuser(agent_client, superuser, association_a):
    """Save-as-new, the membership inline and a list-editable post all end without a change."""
    before = rights_of(superuser)
    users = User.objects.count()

    save_as_new = agent_client.post(
        change_url(superuser),
        identity_post(superuser, email="copie@exemple.fr", is_superuser="on", _saveasnew="1"),
    )
    inline = agent_client.post(
        change_url(superuser),
        identity_post(
            superuser,
            **{
                "memberships-TOTAL_FORMS": "1",
                "memberships-0-association": association_a.pk,
                "memberships-0-user": superuser.pk,
            },
        ),
    )
    list_editable = agent_client.post(
        reverse("admin:solidaren_user_changelist"),
        {
            "_save": "Enregistrer",
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": superuser.pk,
            "form-0-is_active": "",
            "form-0-is_superuser": "",
        },
    )

    assert save_as_new.status_code == 403 and inline.status_code == 403
    assert list_editable.status_code in (200, 302)
    assert rights_of(superuser) == before
    assert User.objects.count() == users
    assert not Membership.objects.filter(user=superuser).exists()


def test_the_history_of_an_account_needs_the_right_to_view_accounts(client, agent, superuser):
    """Agents read it (it changes nothing); staff outside the agents' group do not."""
    history_url = reverse("admin:solidaren_user_history", args=[superuser.pk])
    outsider = UserFactory(email="stagiaire@ville.example.fr", is_staff=True)

    client.force_login(agent)
    assert client.get(history_url).status_code == 200
    client.force_login(outsider)
    assert client.get(history_url).status_code == 403


# --- an agent and another agent -------------------------------------------------------------


def test_an_agent_cannot_change_another_agents_password_or_permissions(
    agent_client, other_agent, agent
):
    before = rights_of(other_agent)

    password = agent_client.post(
        password_url(other_agent),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    change = agent_client.post(
        change_url(other_agent),
        identity_post(
            other_agent,
            groups=[],
            user_permissions=[permission("auth.change_group").pk],
            is_active="",
        ),
    )

    assert password.status_code == 403 and change.status_code == 403
    assert rights_of(other_agent) == before
    assert not rights_of(agent)[0]


def test_an_account_with_rights_but_no_staff_flag_is_protected_too(agent_client):
    """A non-staff account given a right (say a data protection officer's group) is no
    account for an agent to take over by changing its e-mail address."""
    officer = UserFactory(email="dpo@ville.example.fr")
    officer.groups.add(Group.objects.get(name=DATA_PROTECTION_OFFICER_GROUP))  # from migrations

    response = agent_client.post(change_url(officer), identity_post(officer, email="x@exemple.fr"))

    assert response.status_code == 403
    officer.refresh_from_db()
    assert officer.email == "dpo@ville.example.fr"


def test_an_agent_cannot_redirect_a_superusers_email_address(agent_client, superuser):
    address = EmailAddress.objects.get(user=superuser)
    url = reverse("admin:account_emailaddress_change", args=[address.pk])

    response = agent_client.post(
        url, {"user": superuser.pk, "email": "pirate@exemple.fr", "verified": "on", "primary": "on"}
    )

    assert response.status_code == 403
    address.refresh_from_db()
    assert address.email == superuser.email


# --- an agent and their own account ---------------------------------------------------------


def test_an_agent_cannot_grant_themselves_a_permission_a_group_or_superuser(agent_client, agent):
    """A crafted post of their own change form, with every rights field filled in: the
    identity changes, no right does."""
    admins = Group.objects.create(name="Administrateurs")
    admins.permissions.add(permission("auth.change_group"))
    page = agent_client.get(change_url(agent)).content.decode()
    assert 'name="first_name"' in page and PASSWORD_LINK not in page
    assert 'name="is_superuser"' not in page and 'name="groups"' not in page
    assert 'name="user_permissions"' not in page and 'name="is_active"' not in page
    before = rights_of(agent)

    response = agent_client.post(
        change_url(agent),
        identity_post(
            agent,
            first_name="Camille",
            is_superuser="on",
            is_staff="on",
            is_active="",
            groups=[admins.pk, roles.agents_group().pk],
            user_permissions=[
                permission("auth.change_group").pk,
                permission("auth.change_permission").pk,
                permission("solidaren.add_user").pk,
            ],
        ),
    )

    assert response.status_code == 302
    assert rights_of(agent) == before
    assert User.objects.get(pk=agent.pk).first_name == "Camille"
    assert not agent.has_perm("auth.change_group")
    own_password = agent_client.post(
        password_url(agent), {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert own_password.status_code == 403  # with the old one, at /comptes/password/change/


def test_an_agent_cannot_grant_rights_to_a_volunteer(agent_client, volunteer):
    """Accounts without rights stay the agents' to correct (identity), never to empower."""
    response = agent_client.post(
        change_url(volunteer),
        identity_post(
            volunteer,
            last_name="Martin",
            is_staff="on",
            is_superuser="on",
            groups=[roles.agents_group().pk],
            user_permissions=[permission("solidaren.change_user").pk],
        ),
    )

    assert response.status_code == 302
    volunteer.refresh_from_db()
    assert volunteer.last_name == "Martin"
    assert not volunteer.is_staff and not volunteer.is_superuser
    assert not volunteer.groups.exists() and not volunteer.user_permissions.exists()


def test_an_agent_manages_a_coordinators_identity_and_memberships(agent_client, coordinator_a):
    association_c = AssociationFactory(name="Association C")
    data = identity_post(coordinator_a, first_name="Nadia")
    data.update(
        {
            "memberships-TOTAL_FORMS": "2",
            "memberships-1-user": coordinator_a.pk,
            "memberships-1-association": association_c.pk,
        }
    )

    response = agent_client.post(change_url(coordinator_a), data)

    assert response.status_code == 302
    coordinator_a.refresh_from_db()
    assert coordinator_a.first_name == "Nadia"
    assert set(coordinator_a.memberships.values_list("association__name", flat=True)) == {
        "Association A",
        "Association C",
    }


# --- superusers keep every right ------------------------------------------------------------


def test_a_superuser_sets_passwords_and_grants_rights(client, superuser, agent):
    client.force_login(superuser)
    assert PASSWORD_LINK in client.get(change_url(agent)).content.decode()

    password = client.post(
        password_url(agent),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    rights = client.post(
        change_url(agent),
        identity_post(
            agent,
            is_staff="on",
            is_superuser="on",
            groups=[roles.agents_group().pk],
            user_permissions=[permission("auth.change_group").pk],
        ),
    )

    assert password.status_code == 302 and rights.status_code == 302
    agent.refresh_from_db()
    assert agent.check_password(NEW_PASSWORD)
    assert agent.is_superuser
    assert set(agent.user_permissions.values_list("codename", flat=True)) == {"change_group"}


def test_a_superuser_changes_and_deletes_another_superuser(client, superuser):
    other = UserFactory(email="dsi2@ville.example.fr", is_staff=True, is_superuser=True)
    client.force_login(superuser)

    demoted = client.post(change_url(other), identity_post(other, is_staff="on"))
    other.refresh_from_db()
    assert demoted.status_code == 302 and not other.is_superuser
    deleted = client.post(
        reverse("admin:solidaren_user_changelist"),
        {"action": "delete_selected", "_selected_action": [other.pk], "post": "yes"},
    )

    assert deleted.status_code == 302
    assert not User.objects.filter(pk=other.pk).exists()
