"""Celery tasks of the conventions: documents, reminders, status upkeep.

Tasks take ids, import their domain module inside, and are enqueued on commit.
"""

import logging
import os

from celery import Task, shared_task
from django.db import DatabaseError
from django.utils.translation import gettext as _

from conventions.documents import InputsChanged

logger = logging.getLogger(__name__)


class DocumentTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        """Retries exhausted (or an unexpected crash): the reason is shown on the document."""
        from conventions.documents import mark_failed

        mark_failed(
            args[0],
            _("Échec après plusieurs tentatives : %(error)s") % {"error": exc.__class__.__name__},
        )


@shared_task(
    bind=True,
    base=DocumentTask,
    name="conventions.generate_document",
    # Acknowledged only once done: a worker killed mid-render gets the task re-delivered.
    # Safe because generation is idempotent (see conventions/documents.py).
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(DatabaseError, InputsChanged),
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=5,
)
def generate_document(self, document_id: int) -> dict:
    """Renders one document to PDF; permanent errors are recorded on the document."""
    from conventions.documents import DocumentError, generate, mark_failed

    worker = f"{self.request.hostname or 'local'}:{os.getpid()}"
    try:
        document = generate(document_id, worker=worker)
    except (DatabaseError, InputsChanged):
        raise  # transient: retried with backoff, then recorded by on_failure
    except DocumentError as error:
        mark_failed(document_id, str(error))
        return {"document": document_id, "status": "echec"}
    except Exception as error:
        logger.exception("Document %s could not be generated", document_id)
        mark_failed(
            document_id,
            _("Erreur technique lors de la génération : %(error)s")
            % {"error": error.__class__.__name__},
        )
        return {"document": document_id, "status": "echec"}
    return {"document": document.pk, "status": document.status, "pages": document.page_count}


@shared_task(name="conventions.refresh_stale_documents")
def refresh_stale_documents() -> int:
    """Regenerates the documents whose data changed (e.g. an amount) since they were made."""
    from conventions.documents import queue_stale

    return queue_stale()


@shared_task(name="conventions.send_renewal_reminders")
def send_renewal_reminders() -> int:
    """E-mail staff 6 months before a convention ends; each convention is reminded once."""
    from conventions.reminders import send_due_renewal_reminders

    return send_due_renewal_reminders()


@shared_task(name="conventions.close_ended_conventions")
def close_ended_conventions() -> int:
    """Mark conventions in force whose end date has passed as expired (or renewed), and
    notified conventions whose first day has come as in force."""
    from conventions.reminders import close_ended, enter_notified_into_force

    return close_ended() + enter_notified_into_force()
