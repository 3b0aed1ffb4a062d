from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.urls import reverse


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client, settings):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    report = response.json()
    assert report["status"] == "ok"
    assert report["database"] == {"ok": True, "vendor": connection.vendor}
    expected_transport = "in-process" if settings.CELERY_TASK_ALWAYS_EAGER else "redis"
    assert report["broker"]["ok"] is True
    assert report["broker"]["transport"] == expected_transport


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_fails(client):
    with mock.patch(
        "solidaren.health.connection.cursor", side_effect=OperationalError("connection refused")
    ):
        response = client.get(reverse("healthz"))

    assert response.status_code == 503
    report = response.json()
    assert report["status"] == "error"
    assert report["database"]["ok"] is False
    assert report["database"]["error"] == "OperationalError"


@pytest.mark.django_db
def test_healthz_answers_503_when_the_broker_is_unreachable(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    report = response.json()
    assert report["broker"]["ok"] is False
    assert report["broker"]["transport"] == "redis"
    assert "127.0.0.1:1" not in response.content.decode()  # no connection details leak
