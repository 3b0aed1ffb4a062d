"""State of the services the portal depends on, for `GET /healthz` and operators."""

from django.conf import settings
from django.db import DatabaseError, connection
from kombu import Connection

BROKER_CONNECT_TIMEOUT_SECONDS = 3


def database_status() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return {"ok": False, "vendor": connection.vendor, "error": exc.__class__.__name__}
    return {"ok": True, "vendor": connection.vendor}


def broker_status() -> dict:
    """Connects to the broker; with no broker configured tasks run in-process, which is healthy."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"ok": True, "transport": "in-process"}
    broker = Connection(settings.CELERY_BROKER_URL, connect_timeout=BROKER_CONNECT_TIMEOUT_SECONDS)
    try:
        broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0)
        broker.default_channel  # noqa: B018 — opening a channel proves the broker answers
    except Exception as exc:  # kombu raises transport-specific errors
        return {"ok": False, "transport": broker.transport_cls, "error": exc.__class__.__name__}
    finally:
        broker.release()
    return {"ok": True, "transport": broker.transport_cls}


def overall_status() -> tuple[bool, dict]:
    checks = {"database": database_status(), "broker": broker_status()}
    healthy = all(check["ok"] for check in checks.values())
    return healthy, {"status": "ok" if healthy else "error", **checks}
