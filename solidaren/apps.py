from django.apps import AppConfig
from django.apps import apps as global_apps
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def sync_declared_groups(sender, *, using, apps=global_apps, **kwargs) -> None:
    """After every `migrate`: the declared back-office groups get their declared permissions.

    Migration 0002_agents_group creates the agents' group, but permissions of models added
    later exist only once `migrate` has run (Django creates them in post_migrate), so the
    declaration is re-applied here, where they all exist. `flush` sends the signal too (with no
    migration state): the group then comes back with the tables emptied.
    """
    from solidaren import roles

    roles.sync_declared_groups(apps=apps, using=using)


class SolidarenConfig(AppConfig):
    default = True  # "solidaren" in INSTALLED_APPS; the back-office's config is named in full
    name = "solidaren"
    verbose_name = _("Comptes et portail")

    def ready(self) -> None:
        # Task outbox: a worker (re)starting sends what was left behind (solidaren/outbox.py).
        from celery.signals import worker_ready

        from solidaren.outbox import sweep_at_worker_start

        worker_ready.connect(
            sweep_at_worker_start, weak=False, dispatch_uid="solidaren.outbox.worker_ready"
        )
        # Cached parts of pages: which models' changes make each scope's parts stale.
        from solidaren import page_cache

        page_cache.invalidate_on(
            "associations", "associations", skip={"associations.OrientationRequest"}
        )
        page_cache.invalidate_on(
            "missions-reference",
            models=["volontaires.Programme", "volontaires.MissionType", "volontaires.Quartier"],
        )
        page_cache.invalidate_on(
            "grants",
            "conventions",
            models=["associations.Association"],
            skip={"conventions.GeneratedDocument", "conventions.DocumentBatch"},
        )
        # Signed-in pages show people, rights and every app's data; only what is written on
        # reads or by the machinery (access log, outbox) does not make them stale.
        page_cache.invalidate_on(
            page_cache.SIGNED_IN,
            "auth",
            "account",
            "mfa",
            "solidaren",
            "associations",
            "conventions",
            "volontaires",
            skip={"solidaren.OutboxTask", "volontaires.ResidentAccessLog"},
        )
        # Back-office rights: the declared groups follow solidaren/roles.py (see above).
        post_migrate.connect(
            sync_declared_groups, sender=self, dispatch_uid="solidaren.sync_declared_groups"
        )


class BackOfficeAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the back-office site (solidaren.autocomplete.BackOfficeSite)."""

    default = False
    default_site = "solidaren.autocomplete.BackOfficeSite"
