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


@shared_task(name="solidaren.sweep_outbox", ignore_result=True)
def sweep_outbox() -> dict:
    """Every minute (beat): sends the tasks the broker refused and re-queues lost work."""
    import dataclasses

    from solidaren.outbox import sweep

    return dataclasses.asdict(sweep())
