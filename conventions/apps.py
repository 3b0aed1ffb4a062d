from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConventionsConfig(AppConfig):
    name = "conventions"
    verbose_name = _("Conventions et financeurs")

    def ready(self) -> None:
        # Task outbox: the sweep re-queues documents whose generation task was lost.
        from conventions.documents import requeue_stuck
        from solidaren.outbox import register_recoverer

        register_recoverer("documents", requeue_stuck)
