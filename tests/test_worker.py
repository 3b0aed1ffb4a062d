import uuid

import pytest

from solidaren.tasks import ping
from tests.factories import AssociationFactory


@pytest.mark.real_broker
@pytest.mark.django_db(transaction=True)
def test_a_task_goes_through_redis_to_a_real_worker_and_back(celery_worker_process):
    """GIVEN a worker process on Redis WHEN a task is sent THEN the worker answers, from the
    same database as the web process."""
    AssociationFactory.create_batch(3)
    token = uuid.uuid4().hex

    result = ping.apply_async(args=[token], queue=celery_worker_process.queue)
    answer = result.get(timeout=60)

    assert answer == {"token": token, "database": "postgresql", "associations": 3}
    assert result.successful()
    assert "solidaren.ping" in celery_worker_process.log_path.read_text()
