"""`make bench`: the portal measured at two data sizes, as ratios to its targets.

The parent (`run`) builds each size's data in its own database (PostgreSQL when DATABASE_URL
names one, else SQLite files under data/bench with a warning), then for each size:

1. in a child process on that database (`measure_in_process`): queries per page (Django's
   test client, the same views), the top-10 candidates of open missions, and at the large
   size the batch assignment of 1,000 open missions against 10,000 volunteers, with greedy's
   score and an exact optimum computed independently (COIN-OR CBC through PuLP, not scipy's
   HiGHS that the portal uses);
2. gunicorn (2 sync workers, DEBUG=0, persistent connections) on loopback and a small
   threaded HTTP client: per page the median and p95 of single requests, then its throughput
   with 2 clients, as a ratio of the bare view `/bench/ok` measured in the same run through
   the same middleware.

Then documents on the small database, with the production settings (DEBUG=0): a convention
PDF through the full task against WeasyPrint alone on the same HTML, the network's annual
report at 1,000 associations, and a worker's memory over 300 convention PDFs — a real
`celery worker` (prefork, concurrency 1, recycled as CELERY_WORKER_MAX_TASKS_PER_CHILD and
CELERY_WORKER_MAX_MEMORY_PER_CHILD say) on the broker BENCH_BROKER_URL (default
redis://127.0.0.1:6379/13, never flushed; a queue of its own), the resident memory of its pool
process read from /proc after each task; with no broker, the renders in the bench's own
process, labelled so. Figures go to a table and to .bench/results.json.

The documents alone, on a database that has the scale data and collected static files:
`DEBUG=0 ... manage.py bench_portal --child documents --options '{"renders": 300}'`.
"""

from __future__ import annotations

import contextlib
import datetime
import http.client
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
PORT = int(os.environ.get("BENCH_PORT", "8920"))
# The Redis database gunicorn's cache uses, as in production (emptied before each size);
# BENCH_CACHE_URL="" measures with each worker's local memory instead.
CACHE_URL = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/12")


@dataclass(frozen=True)
class Size:
    name: str
    volunteers: int
    missions: int
    associations: int
    batch_missions: int
    batch_volunteers: int


SCALES = {
    # Develop and check the bench itself (a minute or two).
    "small": [Size("1k", 1000, 2000, 200, 100, 1000), Size("5k", 5000, 10000, 200, 300, 3000)],
    # The figures: 1,000 then 100,000 volunteers, 1,000 associations.
    "full": [
        Size("1k", 1000, 2000, 1000, 100, 1000),
        Size("100k", 100_000, 200_000, 1000, 1000, 10_000),
    ],
}

TARGETS = {
    "page_p95_ms": 150,
    "queries_per_page": 15,
    "growth_ratio": 1.5,
    "throughput_ratio": 0.20,
    "top10_ms": 100,
    "batch_s": 20,
    "pdf_overhead": 1.20,
}

# (key, label, persona, URL builder name)
PAGES = [
    ("home", "Accueil", None),
    ("directory", "Annuaire des associations", None),
    ("convention", "Convention (coordination)", "coordinator"),
    ("reports", "Comptes rendus (coordination)", "coordinator"),
    ("my_space", "Espace du volontaire", "volunteer"),
    ("staff_figures", "Bilan des volontaires (agents)", "agent"),
    ("open_missions", "Missions ouvertes (volontaires)", "volunteer"),
    ("staff_missions", "Missions (agents)", "agent"),
    ("candidates", "Candidat·es classé·es d'une mission", "agent"),
    ("bilan_json", "bilan.json", None),
    ("opendata", "Open data subventions.csv", None),
]


# --- In the child process, on one size's database ------------------------------------------


def page_urls() -> dict[str, str]:
    """The URL of each page on the current database (demo personas' objects)."""
    from django.db.models import Count, F, Max, Q
    from django.urls import reverse
    from django.utils import timezone

    from associations.demo import coordinator_email
    from conventions.models import Commitment, Convention
    from solidaren.scale_data import current_programme
    from volontaires.models import PLACE_HOLDING, Mission, MissionStatus

    today = timezone.localdate()
    programme = f"?programme={current_programme().slug}"
    opendata_year = Commitment.objects.aggregate(Max("year"))["year__max"] or today.year
    coordinator_association = (
        Convention.objects.filter(
            association__memberships__user__email=coordinator_email("atd-quart-monde")
        )
        .order_by("-start_date")
        .first()
    )
    # A resident's request with places left and no required language, so that its page ranks
    # a full list of candidates (a mission whose places are all proposed shows none).
    mission = (
        Mission.objects.filter(
            status=MissionStatus.OPEN,
            date__gte=today,
            quartier__isnull=False,
            required_language__isnull=True,
        )
        .exclude(resident=None)
        .annotate(held=Count("assignments", filter=Q(assignments__status__in=PLACE_HOLDING)))
        .filter(held__lt=F("places"))
        .order_by("pk")
        .first()
    )
    return {
        "home": reverse("home"),
        "directory": reverse("associations:list"),
        "convention": reverse("conventions:detail", args=[coordinator_association.pk]),
        "reports": reverse("conventions:reports"),
        "my_space": reverse("volontaires:my_space"),
        "staff_figures": reverse("volontaires:staff_figures") + programme,
        "open_missions": reverse("volontaires:mission_list"),
        "staff_missions": reverse("volontaires:staff_missions"),
        "candidates": reverse("volontaires:staff_mission", args=[mission.pk]),
        "bilan_json": reverse("volontaires:figures_json") + programme,
        # The latest year with conventions: the same page whatever the day it runs.
        "opendata": reverse("opendata_subsidies") + f"?annee={opendata_year}",
    }


def personas() -> dict:
    from associations.demo import coordinator_email
    from solidaren.demo import AGENT_EMAIL, DEMO_EMAIL_DOMAIN
    from solidaren.models import User

    emails = {
        "agent": AGENT_EMAIL,
        "coordinator": coordinator_email("atd-quart-monde"),
        "volunteer": f"volontaire.lea@{DEMO_EMAIL_DOMAIN}",
    }
    return {role: User.objects.get(email=email) for role, email in emails.items()}


def query_counts() -> tuple[dict[str, int], dict[str, str], dict[str, str]]:
    """Queries per page through Django's test client; and session cookies for gunicorn."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    users = personas()
    clients = {None: Client()}
    cookies = {}
    for role, user in users.items():
        client = Client()
        client.force_login(user)
        clients[role] = client
        cookies[role] = client.cookies["sessionid"].value
    urls = page_urls()
    counts = {}
    for key, _label, persona in PAGES:
        client = clients[persona]
        client.get(urls[key])  # warm caches (content types, session)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(urls[key])
        if response.status_code != 200:
            raise RuntimeError(f"{key}: {urls[key]} answered {response.status_code}")
        counts[key] = sql_queries(queries.captured_queries)
    return counts, urls, cookies


def sql_queries(captured: list[dict]) -> int:
    """Statements sent, not counting the transaction's BEGIN and COMMIT (ATOMIC_REQUESTS)."""
    return sum(
        1
        for query in captured
        if query["sql"].split(" ", 1)[0].upper() not in ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")
    )


def top_candidates_ms(samples: int = 10) -> dict:
    """Top-10 candidates of open missions (ms, median and max over `samples` missions)."""
    from django.utils import timezone

    from volontaires import candidates
    from volontaires.models import Mission, MissionStatus

    today = timezone.localdate()
    missions = list(
        Mission.objects.filter(status=MissionStatus.OPEN, date__gte=today).order_by("pk")[:samples]
    )
    times, found = [], []
    for mission in missions:
        started = time.perf_counter()
        ranked = candidates.rank_candidates(mission, today=today, limit=10)
        times.append((time.perf_counter() - started) * 1000)
        found.append(len(ranked))
    return {
        "median_ms": round(statistics.median(times), 1),
        "max_ms": round(max(times), 1),
        "missions": len(missions),
        "candidates_found": found,
    }


def batch_figures(mission_count: int, volunteer_count: int, time_limit: int = 300) -> dict:
    """Batch assignment of open missions against volunteers: seconds (loading the plausible
    pairs and solving, as the task does before proposing), its score, greedy's, and the
    exact optimum by another solver."""
    from django.utils import timezone

    from solidaren.scale_data import SCALE_EMAIL_DOMAIN
    from volontaires import candidates, matching
    from volontaires.models import Mission, MissionStatus, VolunteerProfile

    today = timezone.localdate()
    missions = Mission.objects.filter(status=MissionStatus.OPEN, date__gte=today).order_by("pk")[
        :mission_count
    ]
    volunteer_ids = list(
        VolunteerProfile.objects.filter(user__email__endswith=f"@{SCALE_EMAIL_DOMAIN}")
        .order_by("pk")
        .values_list("pk", flat=True)[:volunteer_count]
    )
    started = time.perf_counter()
    mission_data = candidates.mission_snapshots(missions, today=today)
    volunteers = candidates.volunteer_snapshots(
        candidates.batch_volunteers(mission_data, today=today).filter(pk__in=volunteer_ids),
        solicitations_on=today,
    )
    loaded = time.perf_counter() - started
    plan = matching.plan_batch(mission_data, volunteers, today=today)
    seconds = time.perf_counter() - started
    score = matching.total_score(plan.assignments, mission_data, volunteers, today=today)
    greedy = matching.solve_greedy(mission_data, volunteers, today=today)
    greedy_score = matching.total_score(greedy, mission_data, volunteers, today=today)
    pairs = matching.scored_pairs(mission_data, volunteers, today)
    exact = exact_optimum(pairs, time_limit=time_limit)
    return {
        "missions": len(mission_data),
        "volunteers_read": len(volunteers),
        "volunteers_considered": len(volunteer_ids),
        "pairs": len(pairs),
        "seconds": round(seconds, 2),
        "seconds_loading": round(loaded, 2),
        "score": score,
        "greedy_score": greedy_score,
        "exact_score": exact["score"],
        "exact_status": exact["status"],
        "exact_seconds": exact["seconds"],
        "proposals": sum(map(len, plan.assignments.values())),
    }


def exact_optimum(pairs, *, time_limit: int) -> dict:
    """The same problem written independently for COIN-OR CBC (PuLP): one binary per pair,
    places per mission, capacity per volunteer and month, solicitations per volunteer, one of
    two overlapping missions."""
    from collections import defaultdict
    from itertools import combinations

    import pulp

    started = time.perf_counter()
    problem = pulp.LpProblem("batch", pulp.LpMaximize)
    chosen = [pulp.LpVariable(f"x{index}", cat="Binary") for index in range(len(pairs))]
    problem += pulp.lpSum(points * chosen[i] for i, (_m, _v, points) in enumerate(pairs))
    per_mission, per_month, per_volunteer = defaultdict(list), defaultdict(list), defaultdict(list)
    for index, (mission, volunteer, _points) in enumerate(pairs):
        per_mission[mission.id].append(index)
        per_month[volunteer.id, mission.month].append(index)
        per_volunteer[volunteer.id].append(index)
    missions = {mission.id: mission for mission, _v, _p in pairs}
    volunteers = {volunteer.id: volunteer for _m, volunteer, _p in pairs}
    for mission_id, indexes in per_mission.items():
        problem += pulp.lpSum(chosen[i] for i in indexes) <= missions[mission_id].places_left
    for (volunteer_id, month), indexes in per_month.items():
        problem += pulp.lpSum(chosen[i] for i in indexes) <= volunteers[volunteer_id].capacity(
            month
        )
    for volunteer_id, indexes in per_volunteer.items():
        left = volunteers[volunteer_id].solicitations_left
        if left is not None:
            problem += pulp.lpSum(chosen[i] for i in indexes) <= left
        for first, second in combinations(indexes, 2):
            if pairs[first][0].occurrence.clashes_with(pairs[second][0].occurrence):
                problem += chosen[first] + chosen[second] <= 1
    status = problem.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, threads=1))
    score = round(pulp.value(problem.objective) or 0)
    return {
        "score": score,
        "status": pulp.LpStatus[status],
        "seconds": round(time.perf_counter() - started, 1),
    }


def documents_figures(renders: int) -> dict:
    """Convention PDF (full task vs WeasyPrint alone), the annual report, a worker's memory."""
    import logging

    from django.utils import timezone

    from conventions import documents
    from conventions.models import Convention
    from conventions.tasks import generate_document

    logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
    conventions = list(Convention.objects.signed().order_by("pk")[:5])
    subjects = [documents.convention_document(convention) for convention in conventions]

    def regenerate(document) -> float:
        _mark_queued(document.pk)
        started = time.perf_counter()
        generate_document.apply(args=[document.pk]).get()
        return time.perf_counter() - started

    def weasyprint_alone(document) -> float:
        html = documents.render_html(document)
        started = time.perf_counter()
        documents.html_to_pdf(html)
        return time.perf_counter() - started

    full, alone = [], []
    for round_number in range(3):
        for index, document in enumerate(subjects):
            # WeasyPrint renders an HTML it has just rendered a few % faster (warm caches):
            # WeasyPrint alone comes first in half of the pairs, the full task in the others.
            if alone_first := (round_number + index) % 2 == 1:
                alone.append(weasyprint_alone(document))
            full.append(regenerate(document))
            if not alone_first:
                alone.append(weasyprint_alone(document))
    year = timezone.localdate().year - 1
    report = documents.network_document(year)
    annual_seconds = regenerate(report)
    report.refresh_from_db()
    from associations.models import Association

    return {
        "convention_pdf_s": round(statistics.median(full), 3),
        "weasyprint_alone_s": round(statistics.median(alone), 3),
        # Each full run over WeasyPrint alone on the same HTML next to it (the load of the
        # machine varies less within a pair than over the whole measurement).
        "pdf_overhead": round(
            statistics.median(whole / pdf for whole, pdf in zip(full, alone, strict=True)), 2
        ),
        "pdf_overhead_ms": round(
            1000 * statistics.median(whole - pdf for whole, pdf in zip(full, alone, strict=True))
        ),
        # As measured until December 2026: the median full run over the median WeasyPrint.
        "pdf_overhead_of_medians": round(statistics.median(full) / statistics.median(alone), 2),
        "annual_report_s": round(annual_seconds, 1),
        "annual_report_pages": report.page_count,
        "annual_report_status": report.status,
        "associations": Association.objects.count(),
        "worker_memory": worker_memory([document.pk for document in subjects], tasks=renders),
    }


def _mark_queued(document_id: int) -> None:
    """As if asked again: the next run renders and stores the document anew."""
    from conventions.models import DocumentStatus, GeneratedDocument

    GeneratedDocument.objects.filter(pk=document_id).update(
        status=DocumentStatus.QUEUED, inputs_checksum=""
    )


# --- A worker's memory: a real Celery worker, its pool process read from /proc ---------------

MEMORY_CHECKPOINTS = (1, 50, 100, 200, 300)
DEFAULT_BENCH_BROKER_URL = "redis://127.0.0.1:6379/13"


@dataclass(frozen=True)
class MemorySample:
    task: int  # how many tasks were done
    pid: int  # the process that did the last one
    rss_mb: float  # its resident memory then
    peak_mb: float  # its highest resident memory so far (VmHWM)


def worker_memory(document_ids: list[int], *, tasks: int) -> dict:
    """The resident memory of a Celery worker's pool process over `tasks` convention PDFs,
    one after another: a real `celery worker` (prefork, concurrency 1, the settings' recycling
    of its process after CELERY_WORKER_MAX_TASKS_PER_CHILD tasks or past
    CELERY_WORKER_MAX_MEMORY_PER_CHILD) on the broker BENCH_BROKER_URL and this database.
    Without a broker, the same renders in this process, labelled as such."""
    from django.conf import settings

    broker_url = os.environ.get("BENCH_BROKER_URL") or DEFAULT_BENCH_BROKER_URL
    limits = {
        "max_tasks_per_child": settings.CELERY_WORKER_MAX_TASKS_PER_CHILD,
        "max_memory_per_child_mb": round(settings.CELERY_WORKER_MAX_MEMORY_PER_CHILD / 1024, 1),
    }
    checkpoints = {n for n in MEMORY_CHECKPOINTS if n <= tasks} | {tasks}
    problem = broker_problem(broker_url)
    if problem:
        samples = _in_process_samples(document_ids, tasks)
        mode = "in_process"
    else:
        log_path = Path(settings.DATA_DIR) / "bench-worker.log"
        with celery_worker(broker_url, log_path=log_path) as worker:
            samples = _worker_samples(worker, document_ids, tasks)
        mode = "worker"
    return {
        "mode": mode,
        "broker": _without_password(broker_url),
        "broker_error": problem,
        "tasks": tasks,
        **limits,
        "samples": [vars(sample) for sample in samples if sample.task in checkpoints],
        **memory_summary(samples, in_worker=mode == "worker", **limits),
    }


def memory_summary(
    samples: list[MemorySample],
    *,
    in_worker: bool,
    max_tasks_per_child: int,
    max_memory_per_child_mb: float,
) -> dict:
    """Per process: its tasks, its memory after the first and the last, its peak; whether the
    recycling settings bound the worker's memory (None when not measured in a worker)."""
    by_pid: dict[int, list[MemorySample]] = {}
    for sample in samples:
        by_pid.setdefault(sample.pid, []).append(sample)
    children = [
        {
            "pid": pid,
            "tasks": len(own),
            "first_mb": own[0].rss_mb,
            "last_mb": own[-1].rss_mb,
            "growth_mb": round(own[-1].rss_mb - own[0].rss_mb, 1),
            "peak_mb": max(sample.peak_mb for sample in own),
        }
        for pid, own in by_pid.items()
    ]
    first = children[0]
    growth_per_task = first["growth_mb"] / max(first["tasks"] - 1, 1)
    # The first process's memory when the settings would replace it, at its measured pace.
    at_recycling = first["first_mb"] + growth_per_task * (max_tasks_per_child - 1)
    peak = max(child["peak_mb"] for child in children)
    bounded = None
    if in_worker:
        replaced = len(children) > 1
        bounded = peak <= max_memory_per_child_mb and (
            replaced or at_recycling <= max_memory_per_child_mb
        )
    return {
        "children": children,
        "replacements": len(children) - 1,
        "growth_per_100_tasks_mb": round(100 * growth_per_task, 1),
        "projected_at_recycling_mb": round(at_recycling, 1),
        "peak_mb": peak,
        "bounded": bounded,
    }


def broker_problem(url: str) -> str | None:
    """Why the broker cannot be used (it does not answer), or None."""
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=5)
    except Exception as error:  # whatever the reason, the broker is not usable
        return f"{_without_password(url)} : {error.__class__.__name__} {error}".strip()
    return None


def _without_password(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        parsed = parsed._replace(netloc=parsed.netloc.replace(f":{parsed.password}@", ":***@"))
    return parsed.geturl()


@dataclass
class Worker:
    process: subprocess.Popen
    broker_url: str
    queue: str
    log_path: Path

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@contextlib.contextmanager
def celery_worker(broker_url: str, *, log_path: Path, extra_env: dict | None = None):
    """`celery worker` as production runs it (prefork, concurrency 1, the settings' recycling),
    on a queue of its own, against this process's database and media folder. Always stopped
    on leaving, its pool processes too."""
    from django.conf import settings

    queue = f"bench-{secrets.token_hex(5)}"
    env = {
        **os.environ,
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_DEFAULT_QUEUE": queue,  # what the worker itself sends stays on its queue
        "DATABASE_URL": _database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        **(extra_env or {}),
    }
    argv = [
        *[sys.executable, "-m", "celery", "-A", "solidaren", "worker"],
        *["--pool", "prefork", "--concurrency", "1", "--queues", queue],
        *["--hostname", f"{queue}@%h", "--loglevel", "WARNING"],
        *["--without-gossip", "--without-mingle", "--without-heartbeat"],
    ]
    with started(argv, env=env, log_path=log_path, marker=queue) as process:
        yield Worker(process=process, broker_url=broker_url, queue=queue, log_path=log_path)


@contextlib.contextmanager
def started(argv: list[str], *, env: dict, log_path: Path, marker: str):
    """A process started for the measurement and always stopped on leaving, even on an error:
    SIGTERM (a Celery worker finishes its task), SIGKILL after 30 s, then its children still
    alive (their command line holds `marker`, so no other process is touched)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        process = subprocess.Popen(  # noqa: S603 — our own command
            argv, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        children = _children(process.pid)
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for pid in children:
            if marker in _command_line(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def _worker_samples(worker: Worker, document_ids: list[int], tasks: int) -> list[MemorySample]:
    """Sends the tasks one after another, each once the previous is done, and reads the memory
    of the pool process that did it (the document records it: `worker` = host:pid)."""
    from celery import Celery

    # Not the current app: the portal's tasks (shared_task) must keep finding the portal's
    # app and its result backend in this process afterwards (the tests run here too).
    sender = Celery("bench", broker=worker.broker_url, set_as_current=False)
    samples: list[MemorySample] = []
    last_seen: dict[int, tuple[float, float]] = {}
    try:
        for number in range(1, tasks + 1):
            document_id = document_ids[number % len(document_ids)]
            _mark_queued(document_id)
            sender.send_task(
                "conventions.generate_document", args=[document_id], queue=worker.queue
            )
            pid = _wait_done(worker, document_id, last_seen, timeout=120 if number == 1 else 300)
            rss, peak = _memory_mb(pid) or last_seen[pid]  # replaced at once: as last seen
            samples.append(MemorySample(task=number, pid=pid, rss_mb=rss, peak_mb=peak))
    finally:
        sender.close()
    return samples


def _wait_done(
    worker: Worker, document_id: int, last_seen: dict[int, tuple[float, float]], *, timeout: float
) -> int:
    """Waits for the document to be stored; the pid of the pool process that made it. Meanwhile
    reads that process's memory (kept in `last_seen`, should it be replaced at once)."""
    from conventions.models import DocumentStatus, GeneratedDocument

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, made_by, error = (
            GeneratedDocument.objects.filter(pk=document_id)
            .values_list("status", "worker", "error")
            .get()
        )
        pid = int(made_by.rsplit(":", 1)[1]) if made_by.startswith(f"{worker.queue}@") else None
        if pid and (memory := _memory_mb(pid)):
            last_seen[pid] = memory
        if status == DocumentStatus.DONE and pid:
            return pid
        if status == DocumentStatus.FAILED:
            raise RuntimeError(f"document {document_id} en échec dans le worker : {error}")
        if worker.process.poll() is not None:
            raise RuntimeError(f"le worker s'est arrêté :\n{worker.log_tail()}")
        time.sleep(0.02)
    raise RuntimeError(f"document {document_id} non généré en {timeout} s :\n{worker.log_tail()}")


def _in_process_samples(document_ids: list[int], tasks: int) -> list[MemorySample]:
    """Without a broker: the same tasks in this process (which Celery never recycles)."""
    from conventions.tasks import generate_document

    samples = []
    for number in range(1, tasks + 1):
        document_id = document_ids[number % len(document_ids)]
        _mark_queued(document_id)
        generate_document.apply(args=[document_id]).get()
        rss, peak = _memory_mb(os.getpid())
        samples.append(MemorySample(task=number, pid=os.getpid(), rss_mb=rss, peak_mb=peak))
    return samples


def _memory_mb(pid: int) -> tuple[float, float] | None:
    """Resident memory and its peak (VmRSS, VmHWM) of a process, or None once it is gone."""
    values = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                key, _colon, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    values[key] = round(int(rest.split()[0]) / 1024, 1)
    except OSError:
        return None
    return (values["VmRSS"], values["VmHWM"]) if len(values) == 2 else None  # a zombie has none


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if parent == pid:
                found.append(int(entry))
    return found


def _command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _database_url() -> str:
    """This process's database as a DATABASE_URL (under pytest, the test database)."""
    from django.db import connection

    database = connection.settings_dict
    if database["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{database['NAME']}"
    credentials = quote(database["USER"], safe="")
    if database.get("PASSWORD"):
        credentials += ":" + quote(database["PASSWORD"], safe="")
    host, port = database["HOST"] or "127.0.0.1", database["PORT"] or 5432
    return f"postgresql://{credentials}@{host}:{port}/{database['NAME']}"


# --- Load generator ------------------------------------------------------------------------


def _get(path: str, cookie: str | None) -> tuple[int, float]:
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
    headers = {"Host": "127.0.0.1"}
    if cookie:
        headers["Cookie"] = f"sessionid={cookie}"
    started = time.perf_counter()
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.read()
    elapsed = time.perf_counter() - started
    connection.close()
    return response.status, elapsed


def latency(path: str, cookie: str | None, *, count: int = 100, budget_s: float = 20) -> dict:
    _get(path, cookie)  # warm the worker
    times, started = [], time.perf_counter()
    while len(times) < count and (time.perf_counter() - started < budget_s or len(times) < 3):
        status, elapsed = _get(path, cookie)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
        times.append(elapsed * 1000)
    times.sort()
    return {
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[min(len(times) - 1, round(0.95 * (len(times) - 1)))], 1),
        "requests": len(times),
    }


def throughput(path: str, cookie: str | None, *, seconds: float = 4, clients: int = 2) -> float:
    """Requests per second with `clients` threads asking one after another."""
    done = [0] * clients
    stop = time.perf_counter() + seconds

    def ask(slot: int) -> None:
        while time.perf_counter() < stop:
            _get(path, cookie)
            done[slot] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=ask, args=(slot,)) for slot in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.perf_counter() - started)


@contextlib.contextmanager
def gunicorn(env: dict):
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "solidaren.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            "2",
            "--worker-class",
            "sync",
            "--timeout",
            "300",
            "--log-level",
            "warning",
        ],
        cwd=BASE_DIR,
        env=env,
    )
    try:
        for _attempt in range(100):
            try:
                _get("/bench/ok", None)
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not start")
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


# --- The parent ----------------------------------------------------------------------------


def _database_env(base_url: str | None, size: Size, data_dir: Path) -> dict:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env["DATA_DIR"] = str(data_dir / size.name)
    # The sessions made in the child process must be readable by gunicorn.
    env["SECRET_KEY"] = secrets.token_urlsafe(40)
    if base_url:
        parsed = urlparse(base_url)
        name = f"{parsed.path.lstrip('/')}_bench_{size.name}"
        env["DATABASE_URL"] = parsed._replace(path=f"/{name}").geturl()
    return env


def _production_env(env: dict) -> dict:
    """DEBUG=0 as in production, on plain HTTP on loopback."""
    return {
        **env,
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "BENCH_BARE_VIEW": "1",
        "LOG_LEVEL": "WARNING",
        "DATABASE_CONN_MAX_AGE": "60",
    }


def _recreate_database(env: dict, size: Size) -> None:
    url = env.get("DATABASE_URL")
    if url:
        import psycopg

        parsed = urlparse(url)
        name = parsed.path.lstrip("/")
        admin = parsed._replace(path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
    else:
        shutil.rmtree(env["DATA_DIR"], ignore_errors=True)


def _manage(env: dict, *args: str, capture: bool = False) -> str:
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return result.stdout or ""


def _child(env: dict, action: str, **options) -> dict:
    # Queries are counted for making each page, not for serving a cached copy.
    env = {**env, "PAGE_CACHE_SECONDS": "0"}
    output = _manage(
        env, "bench_portal", "--child", action, "--options", json.dumps(options), capture=True
    )
    return json.loads(output.strip().splitlines()[-1])


def run(scale: str, *, out: Path, log=print) -> dict:
    base_url = os.environ.get("DATABASE_URL") or None
    engine = "postgresql" if base_url and base_url.startswith("postgres") else "sqlite"
    if engine == "sqlite":
        base_url = None
        log(
            "ATTENTION : DATABASE_URL n'est pas une base PostgreSQL : mesure sur SQLite, "
            "qui ne dit rien des performances en production."
        )
    data_dir = BASE_DIR / "data" / "bench"
    results: dict = {
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "engine": engine,
        "scale": scale,
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
        "targets": TARGETS,
        "sizes": {},
    }
    clock = time.perf_counter()
    sizes = SCALES[scale]
    for size in sizes:
        env = _database_env(base_url, size, data_dir)
        _recreate_database(env, size)
        log(f"== {size.name} : base, puis données ({size.volunteers} volontaires)")
        _manage(env, "migrate", "--noinput", "-v0")
        started = time.perf_counter()
        _manage(
            env,
            "generate_scale_data",
            "--volunteers",
            str(size.volunteers),
            "--missions",
            str(size.missions),
            "--associations",
            str(size.associations),
        )
        generation = time.perf_counter() - started
        log(f"== {size.name} : requêtes par page, rapprochement")
        measured = _child(
            env,
            "in_process",
            batch=[size.batch_missions, size.batch_volunteers],
        )
        server_env = _production_env(env)
        if CACHE_URL:
            import redis

            # Production's shared cache, emptied so that nothing of the previous size is served.
            server_env["CACHE_URL"] = CACHE_URL
            redis.Redis.from_url(CACHE_URL).flushdb()
        _manage(server_env, "collectstatic", "--noinput", "-v0")
        log(f"== {size.name} : gunicorn, pages")
        pages = {}
        with gunicorn(server_env):
            bare_latency = latency("/bench/ok", None)
            bare = throughput("/bench/ok", None)
            # The bare view again with each persona's session: what loading the session and
            # the user costs every signed-in page, shown beside the target's ratio.
            bare_signed_in = {
                persona: throughput("/bench/ok", cookie)
                for persona, cookie in measured["cookies"].items()
            }
            for key, label, persona in PAGES:
                cookie = measured["cookies"].get(persona) if persona else None
                path = measured["urls"][key]
                figures = latency(path, cookie)
                rate = throughput(path, cookie)
                pages[key] = {
                    "label": label,
                    "path": path,
                    **figures,
                    "queries": measured["queries"][key],
                    "requests_per_s": round(rate, 1),
                    "throughput_ratio": round(rate / bare, 3),
                    "throughput_ratio_same_session": round(
                        rate / bare_signed_in.get(persona, bare), 3
                    ),
                }
                log(f"   {label:<38} p95 {figures['p95_ms']:>8.1f} ms")
        # The same pages made on each request, without the shared cache's copies: what a page
        # costs the first time, or after its data changed.
        with gunicorn({**server_env, "PAGE_CACHE_SECONDS": "0"}):
            for key, label, persona in PAGES:
                cookie = measured["cookies"].get(persona) if persona else None
                made = latency(measured["urls"][key], cookie)
                pages[key]["made_median_ms"] = made["median_ms"]
                pages[key]["made_p95_ms"] = made["p95_ms"]
                log(f"   {label:<38} p95 {made['p95_ms']:>8.1f} ms sans copie")
        results["sizes"][size.name] = {
            "volunteers": size.volunteers,
            "missions": size.missions,
            "associations": size.associations,
            "generation_s": round(generation, 1),
            "bare": {
                **bare_latency,
                "requests_per_s": round(bare, 1),
                "signed_in_requests_per_s": {
                    persona: round(rate, 1) for persona, rate in bare_signed_in.items()
                },
            },
            "pages": pages,
            "top10": measured["top10"],
            "batch": measured["batch"],
        }
    small, large = sizes[0].name, sizes[-1].name
    results["growth"] = {
        key: round(
            results["sizes"][large]["pages"][key]["p95_ms"]
            / results["sizes"][small]["pages"][key]["p95_ms"],
            2,
        )
        for key, _label, _persona in PAGES
    }
    results["growth_made"] = {
        key: round(
            results["sizes"][large]["pages"][key]["made_p95_ms"]
            / results["sizes"][small]["pages"][key]["made_p95_ms"],
            2,
        )
        for key, _label, _persona in PAGES
    }
    log("== documents (rendus dans ce processus, puis un worker Celery)")
    # Production settings, as the worker runs (the static files were collected above).
    env = _production_env(_database_env(base_url, sizes[0], data_dir))
    results["documents"] = _child(env, "documents", renders=300 if scale == "full" else 60)
    memory = results["documents"]["worker_memory"]
    if memory["mode"] != "worker":
        log(
            f"ATTENTION : courtier injoignable ({memory['broker_error']}) : la mémoire est "
            "mesurée dans le processus du bench, pas dans un worker Celery."
        )
    results["total_s"] = round(time.perf_counter() - clock)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return results


def _mark(value, target, *, at_most: bool = True) -> str:
    if value is None:
        return "?"
    return "ok" if (value <= target if at_most else value >= target) else "NON"


def table(results: dict) -> str:
    """The readable table of `run`'s results, with each target and whether it is met."""
    sizes = list(results["sizes"])
    small, large = sizes[0], sizes[-1]
    lines = [
        f"make bench — {results['when']} — {results['engine']} — échelle {results['scale']} — "
        f"{results['cpus']} cœurs (charge au départ {results['load_average_at_start'][0]:.1f})",
        "",
        f"Pages (gunicorn 2 workers sync, DEBUG=0) — cible : p95 ≤ {TARGETS['page_p95_ms']} ms, "
        f"≤ {TARGETS['queries_per_page']} requêtes SQL constantes, débit ≥ "
        f"{TARGETS['throughput_ratio']:.0%} de la vue nue, croissance ≤ {TARGETS['growth_ratio']}",
        f"{'page':<38} {'méd ' + small:>9} {'p95 ' + small:>9} {'SQL':>4} "
        f"{'méd ' + large:>10} {'p95 ' + large:>10} {'SQL':>4} {'débit/nue':>9} "
        f"{'/connect.':>9} {'croiss.':>8}  cibles  {'p95 fait ' + small:>13} "
        f"{'p95 fait ' + large:>14} {'croiss.':>8}",
    ]
    for key, label, _persona in PAGES:
        first = results["sizes"][small]["pages"][key]
        last = results["sizes"][large]["pages"][key]
        growth = results["growth"][key]
        marks = [
            _mark(last["p95_ms"], TARGETS["page_p95_ms"]),
            _mark(max(first["queries"], last["queries"]), TARGETS["queries_per_page"])
            if first["queries"] == last["queries"]
            else "NON",
            _mark(last["throughput_ratio"], TARGETS["throughput_ratio"], at_most=False),
            _mark(growth, TARGETS["growth_ratio"]),
        ]
        lines.append(
            f"{label:<38} {first['median_ms']:>9.1f} {first['p95_ms']:>9.1f} "
            f"{first['queries']:>4} {last['median_ms']:>10.1f} {last['p95_ms']:>10.1f} "
            f"{last['queries']:>4} {last['throughput_ratio']:>9.3f} "
            f"{last.get('throughput_ratio_same_session', last['throughput_ratio']):>9.3f} "
            f"{growth:>8.2f}  "
            f"{'/'.join(marks):<12}  {first['made_p95_ms']:>13.1f} {last['made_p95_ms']:>14.1f} "
            f"{results['growth_made'][key]:>8.2f}"
        )
    bare = results["sizes"][large]["bare"]
    signed_in = bare.get("signed_in_requests_per_s", {})
    lines.append(
        f"{'(vue nue /bench/ok)':<38} p95 {bare['p95_ms']} ms, {bare['requests_per_s']} req/s"
        + (
            " ; avec la session de "
            + ", ".join(f"{persona} {rate} req/s" for persona, rate in signed_in.items())
            + " (colonne /connect. : débit de la page sur celui de la vue nue avec la même "
            "session ; la cible se lit sur débit/nue)"
            if signed_in
            else ""
        )
    )
    lines.append(
        "(colonnes « fait » : la même page faite à chaque requête, sans les copies du cache "
        "partagé — la première fois, ou après un changement de ses données ; pour information)"
    )
    top10 = results["sizes"][large]["top10"]
    batch = results["sizes"][large]["batch"]
    documents = results["documents"]
    overhead = documents["pdf_overhead"]
    lines += [
        "",
        f"Rapprochement à {results['sizes'][large]['volunteers']:,} volontaires",
        f"  10 meilleurs candidats d'une mission : médiane {top10['median_ms']} ms, max "
        f"{top10['max_ms']} ms (cible ≤ {TARGETS['top10_ms']} ms : "
        f"{_mark(top10['median_ms'], TARGETS['top10_ms'])})",
        f"  attribution groupée {batch['missions']} missions × {batch['volunteers_considered']:,} "
        f"volontaires ({batch['pairs']:,} paires) : {batch['seconds']} s (cible ≤ "
        f"{TARGETS['batch_s']} s : {_mark(batch['seconds'], TARGETS['batch_s'])})",
        f"  score {batch['score']} ; glouton {batch['greedy_score']} ; optimum exact (CBC, "
        f"{batch['exact_status']}, {batch['exact_seconds']} s) {batch['exact_score']} : "
        f"{'égal' if batch['score'] == batch['exact_score'] else 'DIFFÉRENT'}",
        "",
        "Documents",
        f"  convention PDF : {documents['convention_pdf_s']} s, WeasyPrint seul "
        f"{documents['weasyprint_alone_s']} s (médianes de 15 rendus)",
        f"    par paire (tâche complète / WeasyPrint seul sur le même HTML) : rapport médian "
        f"{overhead} (cible ≤ {TARGETS['pdf_overhead']} : "
        f"{_mark(overhead, TARGETS['pdf_overhead'])}), écart médian "
        f"{documents['pdf_overhead_ms']} ms ; rapport des médianes "
        f"{documents['pdf_overhead_of_medians']}",
        f"  rapport annuel du réseau ({documents['associations']} associations) : "
        f"{documents['annual_report_s']} s, {documents['annual_report_pages']} pages",
        *memory_lines(documents["worker_memory"]),
        "",
        f"Durée totale : {results['total_s']} s",
    ]
    return "\n".join(lines)


def memory_lines(memory: dict) -> list[str]:
    """The worker's memory at the checkpoints, each process, and whether it is bounded."""
    if memory["mode"] == "worker":
        head = (
            f"  mémoire d'un worker Celery (prefork, 1 processus ; recyclé après "
            f"{memory['max_tasks_per_child']} tâches ou au-delà de "
            f"{memory['max_memory_per_child_mb']} Mo) sur {memory['tasks']} PDF de convention :"
        )
    else:
        head = (
            f"  mémoire : courtier injoignable ({memory['broker_error']}) ; mesurée DANS LE "
            f"PROCESSUS du bench, pas dans un worker, sur {memory['tasks']} PDF de convention :"
        )
    lines = [head, f"    {'tâches':>7} {'pid':>8} {'RSS Mo':>8} {'pic Mo':>8}"]
    previous_pid = None
    for sample in memory["samples"]:
        replaced = previous_pid is not None and sample["pid"] != previous_pid
        lines.append(
            f"    {sample['task']:>7} {sample['pid']:>8} {sample['rss_mb']:>8} "
            f"{sample['peak_mb']:>8}{'  (processus remplacé)' if replaced else ''}"
        )
        previous_pid = sample["pid"]
    done = 0
    for child in memory["children"]:
        lines.append(
            f"    pid {child['pid']} : tâches {done + 1} à {done + child['tasks']}, "
            f"{child['first_mb']} → {child['last_mb']} Mo ({child['growth_mb']:+} Mo), "
            f"pic {child['peak_mb']} Mo"
        )
        done += child["tasks"]
    pace = (
        f"croissance du premier processus : {memory['growth_per_100_tasks_mb']} Mo pour 100 tâches"
    )
    if memory["bounded"] is None:
        lines.append(f"    {pace} ; le recyclage d'un worker n'est pas mesuré ainsi")
        return lines
    if memory["replacements"]:
        how = f"{memory['replacements']} remplacement(s) de processus observé(s)"
    else:
        how = (
            f"aucun remplacement pendant la mesure ; au rythme mesuré, "
            f"{memory['projected_at_recycling_mb']} Mo à la {memory['max_tasks_per_child']}e tâche"
        )
    lines += [
        f"    {pace} ; pic {memory['peak_mb']} Mo ; {how}",
        f"    mémoire bornée par le recyclage : {'oui' if memory['bounded'] else 'NON'}",
    ]
    return lines
