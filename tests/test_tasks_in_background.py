"""The embedded demo (no broker) runs queued tasks in this process, but after the response, in
a background thread: starting a year's PDFs answers at once and the progress page advances."""

from __future__ import annotations

import threading

import pytest
from django.urls import reverse

from conventions.models import DocumentStatus, GeneratedDocument
from solidaren import outbox
from tests import test_documents

ville = test_documents.ville
metropole = test_documents.metropole
convention = test_documents.convention


@pytest.fixture
def in_background(settings):
    settings.TASKS_IN_BACKGROUND = True
    yield
    outbox.wait_for_background_tasks()


@pytest.mark.django_db(transaction=True)
def test_a_year_of_documents_answers_at_once_then_the_progress_reaches_done(
    client, convention, agent, in_background
):
    """GIVEN the background thread busy (held by an event) WHEN staff start a year's PDFs THEN
    the request answers with the batch page at 0 % while nothing ran yet; once the thread is
    free the documents are generated and the page shows 100 % with the download links."""
    hold = threading.Event()
    outbox._background().submit(hold.wait, 30)
    client.force_login(agent)
    try:
        started = _start_and_look(client)
    finally:
        hold.set()
    response, pending, statuses = started
    assert response.status_code == 302
    assert "0 document(s) sur 2 (0 %)" in pending
    assert 'hx-trigger="every 1s"' in pending
    assert statuses == {DocumentStatus.QUEUED}

    outbox.wait_for_background_tasks()

    done = client.get(response.url).content.decode()
    assert "2 document(s) sur 2 (100 %)" in done
    assert "Télécharger le PDF" in done
    assert set(GeneratedDocument.objects.values_list("status", flat=True)) == {DocumentStatus.DONE}


def _start_and_look(client):
    response = client.post(reverse("conventions:generate_year"), {"annee": "2024"})

    pending = client.get(response.url).content.decode()
    return response, pending, set(GeneratedDocument.objects.values_list("status", flat=True))
