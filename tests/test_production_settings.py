"""Production settings for scale: persistent database connections checked before reuse,
Celery children replaced before they grow, figures kept a while in the cache."""

import json
import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
database = settings.DATABASES["default"]
print(json.dumps({
    "conn_max_age": database["CONN_MAX_AGE"],
    "conn_health_checks": database["CONN_HEALTH_CHECKS"],
    "max_tasks": settings.CELERY_WORKER_MAX_TASKS_PER_CHILD,
    "max_memory": settings.CELERY_WORKER_MAX_MEMORY_PER_CHILD,
    "figures_cache": settings.FIGURES_CACHE_SECONDS,
    "bench_view": settings.BENCH_BARE_VIEW,
}))
"""


def settings_with(**env) -> dict:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DEBUG", "DATABASE_CONN_MAX_AGE", "FIGURES_CACHE_SECONDS")
    }
    environment.update(DJANGO_SETTINGS_MODULE="solidaren.settings", **env)
    output = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
        cwd=BASE_DIR,
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def test_production_keeps_database_connections_and_bounds_workers():
    production = settings_with(
        DEBUG="0", SECRET_KEY="x" * 50, ALLOWED_HOSTS="solidaren.example.org"
    )
    development = settings_with(DEBUG="1")

    assert production["conn_max_age"] == 60 and production["conn_health_checks"] is True
    assert production["max_tasks"] == 200 and production["max_memory"] == 400_000
    assert production["figures_cache"] == 120 and production["bench_view"] is False
    assert development["conn_max_age"] == 0 and development["figures_cache"] == 0
