from celery import shared_task


@shared_task(name="solidaren.ping")
def ping(token: str) -> dict:
    """Round trip through the broker: a worker answers with the token and the database it uses.

    Used by `manage.py ping_worker` (operators) and by the test that proves a real worker runs.
    """
    from django.db import connection

    from associations.models import Association

    return {
        "token": token,
        "database": connection.vendor,
        "associations": Association.objects.count(),
    }
