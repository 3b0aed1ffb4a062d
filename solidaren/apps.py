from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SolidarenConfig(AppConfig):
    name = "solidaren"
    verbose_name = _("Comptes et portail")

    def ready(self) -> None:
        # Task outbox: a worker (re)starting sends what was left behind (solidaren/outbox.py).
        from celery.signals import worker_ready

        from solidaren.outbox import sweep_at_worker_start

        worker_ready.connect(
            sweep_at_worker_start, weak=False, dispatch_uid="solidaren.outbox.worker_ready"
        )
