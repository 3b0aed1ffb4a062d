from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssociationsConfig(AppConfig):
    name = "associations"
    verbose_name = _("Associations du réseau")

    def ready(self) -> None:
        # The pocket guide is one more kind of the conventions' PDF documents (Celery task,
        # outbox, idempotent storage, staleness): only its HTML is made here.
        from associations.pocket_guide import render_guide
        from conventions.documents import register_kind
        from conventions.models import DocumentKind

        register_kind(DocumentKind.POCKET_GUIDE, render_guide)
