"""PDF documents: the convention, the yearly report and the network's annual report.

A document is rendered from a Django template to an HTML string, whose SHA-256 is the
checksum of its inputs, then to PDF by WeasyPrint. Generation is exactly-once in effect:
- one `GeneratedDocument` row per subject (unique `subject_key`),
- a run whose HTML checksum matches the stored document does nothing,
- the file is written under the subject's row lock, after checking the inputs did not change
  while rendering (a convention's rows are read again in one query, `convention_inputs`;
  other kinds are rendered again), and the previous file is removed only once the new one is
  committed.
So a task delivered twice (retries, a worker killed mid-render) stores one document.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import logging
import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import connection, transaction
from django.db.models import Model, Prefetch, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from associations.models import Association, Premises
from conventions import articles, legal_french, rules
from conventions.models import (
    ArticleTemplate,
    Commitment,
    Convention,
    ConventionParty,
    DocumentBatch,
    DocumentKind,
    DocumentStatus,
    Funder,
    GeneratedDocument,
    InKindSupport,
    InKindValue,
    Objective,
    ReportStatus,
    YearlyReport,
)
from conventions.reports import budget_sides
from conventions.totals import yearly_table

logger = logging.getLogger(__name__)


class InputsChanged(Exception):
    """The data changed while the PDF was rendered: render again (a transient condition)."""


class DocumentError(Exception):
    """A permanent problem with a document's inputs, shown to the user as the failure reason."""


# --- subjects -------------------------------------------------------------------------------


def convention_document(convention: Convention) -> GeneratedDocument:
    document, _created = GeneratedDocument.objects.get_or_create(
        subject_key=f"convention:{convention.pk}",
        defaults={
            "kind": DocumentKind.CONVENTION,
            "convention": convention,
            "association_id": convention.association_id,
            "year": convention.start_date.year,
        },
    )
    return document


def report_document(report: YearlyReport) -> GeneratedDocument:
    document, _created = GeneratedDocument.objects.get_or_create(
        subject_key=f"report:{report.pk}",
        defaults={
            "kind": DocumentKind.YEARLY_REPORT,
            "report": report,
            "convention_id": report.convention_id,
            "association_id": report.convention.association_id,
            "year": report.year,
        },
    )
    return document


def network_document(year: int) -> GeneratedDocument:
    document, _created = GeneratedDocument.objects.get_or_create(
        subject_key=f"network:{year}", defaults={"kind": DocumentKind.ANNUAL_REPORT, "year": year}
    )
    return document


def existing_document(subject_key: str) -> tuple[GeneratedDocument | None, bool]:
    """The document of a subject if any, and whether it is stale."""
    document = (
        GeneratedDocument.objects.filter(subject_key=subject_key).select_related("batch").first()
    )
    return document, bool(document and is_stale(document))


def documents_for_year(year: int) -> list[GeneratedDocument]:
    """Every convention covering `year` and every submitted or validated report of `year`."""
    conventions = Convention.objects.signed().covering_year(year).order_by("reference")
    reports = (
        YearlyReport.objects.filter(
            year=year, status__in=[ReportStatus.SUBMITTED, ReportStatus.VALIDATED]
        )
        .select_related("convention")
        .order_by("convention__reference")
    )
    return [convention_document(c) for c in conventions] + [report_document(r) for r in reports]


# --- HTML -----------------------------------------------------------------------------------


def _paragraphs(text: str) -> str:
    """Blank-line separated paragraphs; blocks that already are HTML stay as they are."""
    blocks = [block.strip() for block in re.split(r"\n\s*\n", text) if block.strip()]
    return "\n".join(block if block.startswith("<") else f"<p>{block}</p>" for block in blocks)


def render_article(article: ArticleTemplate, variables: dict) -> str:
    """One article's HTML, rendered in the sandbox (conventions/articles.py) from plain values."""
    try:
        body = articles.render_article(article.body, variables)
    except articles.ArticleRefused as error:
        raise DocumentError(
            _("L'article %(position)s « %(title)s » contient une erreur : %(error)s")
            % {"position": article.position, "title": article.title, "error": error}
        ) from error
    return _paragraphs(body)


def load_convention(convention_id: int) -> Convention:
    """The convention with every row its document shows, in 5 queries (6 with in-kind support):
    the rendering reads nothing else (but the active articles), so `convention_inputs` can
    tell whether any of it changed."""
    return (
        Convention.objects.select_related("association")
        .prefetch_related(
            Prefetch("parties", queryset=ConventionParty.objects.select_related("funder")),
            "commitments",
            Prefetch(
                "in_kind_supports",
                queryset=InKindSupport.objects.select_related(
                    "premises", "funder"
                ).prefetch_related("values"),
            ),
            "objectives",
        )
        .get(pk=convention_id)
    )


def active_articles() -> list[ArticleTemplate]:
    return list(ArticleTemplate.objects.filter(is_active=True).order_by("position"))


def _convention_inputs() -> list[tuple[type[Model], str]]:
    """The rows a convention's document is made of — those `load_convention` and
    `active_articles` read — as (model, SQL condition on its table, `%(convention)s` standing
    for the convention's id). tests/test_documents.py checks that both read the same rows."""
    return [
        (Convention, "id = %(convention)s"),
        (
            Association,
            "id IN (SELECT association_id FROM conventions_convention WHERE id = %(convention)s)",
        ),
        (ConventionParty, "convention_id = %(convention)s"),
        (
            Funder,
            "id IN (SELECT funder_id FROM conventions_conventionparty"
            " WHERE convention_id = %(convention)s"
            " UNION SELECT funder_id FROM conventions_inkindsupport"
            " WHERE convention_id = %(convention)s)",
        ),
        (Commitment, "convention_id = %(convention)s"),
        (InKindSupport, "convention_id = %(convention)s"),
        (
            InKindValue,
            "support_id IN (SELECT id FROM conventions_inkindsupport"
            " WHERE convention_id = %(convention)s)",
        ),
        (
            Premises,
            "id IN (SELECT premises_id FROM conventions_inkindsupport"
            " WHERE convention_id = %(convention)s)",
        ),
        (Objective, "convention_id = %(convention)s"),
        (ArticleTemplate, "is_active = %(active)s"),
    ]


@functools.cache
def _convention_inputs_sql() -> str:
    """One statement reading those rows whole, as text: (model, id, every column...)."""
    quote = connection.ops.quote_name
    parts = _convention_inputs()
    width = max(len(model._meta.concrete_fields) for model, _condition in parts)
    selects = []
    for model, condition in parts:
        columns = [f"CAST({quote(field.column)} AS TEXT)" for field in model._meta.concrete_fields]
        columns += ["NULL"] * (width - len(columns))
        selects.append(
            f"SELECT '{model._meta.label}', CAST({quote(model._meta.pk.column)} AS TEXT), "  # noqa: S608 — names from the models' definitions, values as parameters
            f"{', '.join(columns)} FROM {quote(model._meta.db_table)} WHERE {condition}"
        )
    return " UNION ALL ".join(selects)


def convention_input_rows(convention_id: int) -> list[tuple]:
    """The rows a convention's document is made of, in one query, sorted."""
    with connection.cursor() as cursor:
        cursor.execute(_convention_inputs_sql(), {"convention": convention_id, "active": True})
        return sorted(cursor.fetchall(), key=repr)


def convention_inputs(convention_id: int) -> str:
    """The fingerprint of a convention document's inputs, in one query: any update, insertion
    or deletion among its rows (an amount, a funder's name, an article...) changes it."""
    rows = convention_input_rows(convention_id)
    return hashlib.sha256(repr(rows).encode("utf-8")).hexdigest()


def convention_context(convention: Convention) -> dict:
    return _convention_context(load_convention(convention.pk), active_articles())


def _convention_context(convention: Convention, article_templates: list[ArticleTemplate]) -> dict:
    """`convention` as `load_convention` reads it: the context reads nothing more."""
    parties = list(convention.parties.all())
    funders = [party.funder for party in parties]
    objectives = list(convention.objectives.all())
    in_kind_supports = list(convention.in_kind_supports.all())
    table = yearly_table(convention)
    context = {
        "convention": convention,
        "association": convention.association,
        "parties": parties,
        "funders": funders,
        # "La Ville de Rennes et Rennes Métropole": it opens the sentence of article 1.
        "funders_sentence": capfirst(
            _(" et ").join(legal_french.with_article(funder.name) for funder in funders)
        ),
        "table": table,
        "years": convention.years,
        "objectives": objectives,
        "in_kind_supports": in_kind_supports,
        "signed": convention.is_signed,
        "payment_deadline_days": rules.PAYMENT_DEADLINE_DAYS,
    }
    # Rendered by our own autoescaped templates: safe HTML strings, inserted as they are.
    blocks = {
        name: render_to_string(f"conventions/pdf/{template}", context)
        for name, template in [
            ("amounts_table", "_amounts_table.html"),
            ("in_kind_table", "_in_kind_table.html"),
            ("objectives_list", "_objectives.html"),
        ]
    }
    context.update(blocks)
    variables = articles.convention_variables(
        convention=convention,
        funders=funders,
        funders_sentence=context["funders_sentence"],
        table=table,
        has_in_kind_support=bool(in_kind_supports),
        payment_deadline_days=rules.PAYMENT_DEADLINE_DAYS,
        **blocks,
    )
    context["articles"] = [
        (number, article.title, mark_safe(render_article(article, variables)))  # noqa: S308 — sandboxed and autoescaped (articles.py)
        for number, article in enumerate(article_templates, start=1)
    ]
    return context


def report_context(report: YearlyReport) -> dict:
    report = (
        YearlyReport.objects.select_related("convention__association")
        .prefetch_related("budget_lines", "actions__objective", "attachments")
        .get(pk=report.pk)
    )
    return {
        "report": report,
        "convention": report.convention,
        "association": report.convention.association,
        "sides": budget_sides(list(report.budget_lines.all())),
        "actions": list(report.actions.all()),
        "attachments": list(report.attachments.all()),
    }


def network_context(year: int) -> dict:
    from conventions.annual_report import annual_report_data

    return {"year": year, **annual_report_data(year)}


# Document kinds that other apps render (e.g. the directory's pocket guide): kind → a function
# of the document returning its HTML. Generation, storage, staleness, retries and the outbox
# stay here, the same for every kind.
RENDERERS: dict[str, Callable[[GeneratedDocument], str]] = {}


def register_kind(kind: str, render: Callable[[GeneratedDocument], str]) -> None:
    """Called from an app's `ready()`: documents of `kind` are rendered by `render`."""
    RENDERERS[kind] = render


def render_html(document: GeneratedDocument) -> str:
    """The document's HTML, in French, free of volatile values (its hash is the checksum)."""
    with translation.override(settings.LANGUAGE_CODE):
        if document.kind in RENDERERS:
            return RENDERERS[document.kind](document)
        if document.kind == DocumentKind.CONVENTION:
            return render_to_string(
                "conventions/pdf/convention.html",
                _convention_context(load_convention(document.convention_id), active_articles()),
            )
        if document.kind == DocumentKind.YEARLY_REPORT:
            return render_to_string(
                "conventions/pdf/yearly_report.html", report_context(document.report)
            )
        return render_to_string(
            "conventions/pdf/annual_report.html", network_context(document.year)
        )


@dataclass(frozen=True)
class Rendering:
    html: str
    # What the HTML was made from, as `inputs_now` reads it again: a convention's rows in one
    # query; for the other kinds, the HTML itself (they are rendered again).
    inputs: str


def render(document: GeneratedDocument) -> Rendering:
    """The HTML, and what it was made from for `generate` to check after the PDF."""
    if document.kind == DocumentKind.CONVENTION:
        # Read before the rows themselves: an edit in between shows as a change.
        inputs = convention_inputs(document.convention_id)
        return Rendering(render_html(document), inputs)
    html = render_html(document)
    return Rendering(html, checksum(html))


def inputs_now(document: GeneratedDocument) -> str:
    """`render(document).inputs` as it would be now."""
    if document.kind == DocumentKind.CONVENTION:
        return convention_inputs(document.convention_id)
    return checksum(render_html(document))


def download_filename(document: GeneratedDocument) -> str:
    """Named after the reference: CPO-2027-BA-convention.pdf, CPO-2023-BA-compte-rendu-2025.pdf."""
    if document.kind == DocumentKind.CONVENTION and document.convention_id:
        return f"{document.convention.reference}-convention.pdf"
    if document.kind == DocumentKind.YEARLY_REPORT and document.report_id:
        return f"{document.report.convention.reference}-compte-rendu-{document.report.year}.pdf"
    return f"SolidaRen-rapport-annuel-{document.year}.pdf"


def checksum(html: str) -> str:
    return hashlib.sha256(html.encode("utf-8")).hexdigest()


def is_stale(document: GeneratedDocument) -> bool:
    """Done, but made from data that have changed since (e.g. an amount)."""
    if document.status != DocumentStatus.DONE:
        return False
    try:
        html = render_html(document)
    except DocumentError:
        return True  # it can no longer be made as it is: regenerating shows the reason
    return checksum(html) != document.inputs_checksum


# --- PDF ------------------------------------------------------------------------------------


def static_file(url: str) -> Path | None:
    """The file behind a `/static/...` URL of a document, or None.

    Looked up first in the static files storage, the one that serves them (in production the
    collected files of STATIC_ROOT, under the hashed names `{% static %}` writes), then through
    the finders (the source folders, in development). Both join the name under their root and
    refuse anything that escapes it, so no other file of the machine is ever read.
    """
    path = unquote(url.removeprefix("file://").split("?", 1)[0].split("#", 1)[0])
    if not path.startswith(settings.STATIC_URL):
        return None
    name = path.removeprefix(settings.STATIC_URL)
    try:
        # A storage on this machine (FileSystemStorage and WhiteNoise's, which derive from it).
        if isinstance(staticfiles_storage, FileSystemStorage) and staticfiles_storage.exists(name):
            found = staticfiles_storage.path(name)
        else:
            found = finders.find(name)
    except (SuspiciousFileOperation, ValueError):
        return None
    return Path(found) if found and Path(found).is_file() else None


def static_url_fetcher():
    """A fetcher that serves /static/ files and data: URLs, and refuses anything else (no HTTP
    back to the app, no file outside the static files)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFilesFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            found = static_file(url)
            if found is None:
                logger.warning("Refused to fetch %r while rendering a PDF.", url)
                raise ValueError(f"Refused to fetch {url!r} while rendering a PDF.")
            content_type = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
            # The response keeps the /static/ URL, so that the stylesheet's own relative URLs
            # resolve through this fetcher too.
            return URLFetcherResponse(url, found.open("rb"), headers={"Content-Type": content_type})

    return StaticFilesFetcher(allowed_protocols=["file", "data"])


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    page_count: int


def html_to_pdf(html: str) -> RenderedPdf:
    import weasyprint

    rendered = weasyprint.HTML(string=html, base_url="/", url_fetcher=static_url_fetcher()).render()
    return RenderedPdf(content=rendered.write_pdf(), page_count=len(rendered.pages))


# --- generation -----------------------------------------------------------------------------


def _lock_subject(document: GeneratedDocument) -> None:
    """Locks the row the document is made from, so that its data cannot change meanwhile."""
    if document.kind == DocumentKind.CONVENTION:
        Convention.objects.select_for_update().filter(pk=document.convention_id).first()
    elif document.kind == DocumentKind.YEARLY_REPORT:
        YearlyReport.objects.select_for_update().filter(pk=document.report_id).first()


def _is_current(document: GeneratedDocument, inputs_checksum: str) -> bool:
    return (
        document.status == DocumentStatus.DONE
        and document.inputs_checksum == inputs_checksum
        and bool(document.file)
        and document.file.storage.exists(document.file.name)
    )


def generate(document_id: int, *, worker: str = "") -> GeneratedDocument:
    """Renders and stores one document; does nothing if the stored one is up to date."""
    with transaction.atomic():
        document = GeneratedDocument.objects.select_for_update().get(pk=document_id)
        rendering = render(document)
        inputs_checksum = checksum(rendering.html)
        if _is_current(document, inputs_checksum):
            return document
        document.status = DocumentStatus.RUNNING
        document.attempts += 1
        document.worker = worker[:120]
        document.started_at = timezone.now()
        document.error = ""
        document.save(update_fields=["status", "attempts", "worker", "started_at", "error"])

    pdf = html_to_pdf(rendering.html)

    with transaction.atomic():
        _lock_subject(document)
        document = GeneratedDocument.objects.select_for_update().get(pk=document_id)
        # Inputs edited while the PDF was rendered (the subject's row lock holds off only the
        # writers that take it too, not e.g. an amount's edit): this PDF is already stale.
        if inputs_now(document) != rendering.inputs:
            raise InputsChanged(document.subject_key)
        if _is_current(document, inputs_checksum):
            return document  # a concurrent run stored the same document first
        storage = document.file.storage
        previous_name = document.file.name
        name = document.file.field.generate_filename(
            document, f"{document.subject_key.replace(':', '-')}-{inputs_checksum[:16]}.pdf"
        )
        if storage.exists(name):
            storage.delete(name)  # left by a run that died before committing
        document.file.name = storage.save(name, ContentFile(pdf.content))
        document.inputs_checksum = inputs_checksum
        document.page_count = pdf.page_count
        document.status = DocumentStatus.DONE
        document.finished_at = timezone.now()
        document.save(
            update_fields=["file", "inputs_checksum", "page_count", "status", "finished_at"]
        )
        if previous_name and previous_name != document.file.name:
            transaction.on_commit(lambda: storage.delete(previous_name))
    return document


def mark_failed(document_id: int, reason: str) -> None:
    GeneratedDocument.objects.filter(pk=document_id).update(
        status=DocumentStatus.FAILED, error=reason[:2000], finished_at=timezone.now()
    )


def queue(documents: list[GeneratedDocument], *, batch: DocumentBatch | None = None) -> None:
    """Marks the documents queued and records their tasks in the outbox, in this transaction:
    they are sent once it commits, or later by the sweep if the broker is down."""
    now = timezone.now()
    for document in documents:
        document.status = DocumentStatus.QUEUED
        document.requested_at = now
        document.batch = batch
        document.error = ""
        document.save(update_fields=["status", "requested_at", "batch", "error"])
        _enqueue_generation(document.pk)


def queue_batch(label: str, documents: list[GeneratedDocument], *, user) -> DocumentBatch:
    batch = DocumentBatch.objects.create(label=label, created_by=user)
    queue(documents, batch=batch)
    return batch


def queue_stale(today: datetime.date | None = None) -> int:
    """Regenerates the documents whose inputs changed since they were made."""
    stale = [
        document
        for document in GeneratedDocument.objects.filter(status=DocumentStatus.DONE).select_related(
            "convention", "report__convention"
        )
        if is_stale(document)
    ]
    queue(stale)
    return len(stale)


@dataclass(frozen=True)
class BatchProgress:
    total: int
    done: int
    failed: int
    running: int

    @property
    def finished(self) -> int:
        return self.done + self.failed

    @property
    def percent(self) -> int:
        return round(100 * self.finished / self.total) if self.total else 100

    @property
    def is_complete(self) -> bool:
        return self.finished >= self.total


def batch_progress(batch: DocumentBatch) -> BatchProgress:
    statuses = list(batch.documents.values_list("status", flat=True))
    return BatchProgress(
        total=len(statuses),
        done=statuses.count(DocumentStatus.DONE),
        failed=statuses.count(DocumentStatus.FAILED),
        running=statuses.count(DocumentStatus.RUNNING),
    )


# --- recovery of lost generation tasks (solidaren.outbox sweep) ------------------------------

GENERATION_DELAYED = gettext_lazy(
    "Le service d'envoi est momentanément indisponible : les documents seront générés dès son "
    "rétablissement."
)


def generation_key(document_id: int) -> str:
    return f"conventions.generate_document:{document_id}"


def _enqueue_generation(document_id: int) -> None:
    from conventions.tasks import generate_document
    from solidaren import outbox

    outbox.enqueue(
        generate_document,
        args=[document_id],
        dedupe_key=generation_key(document_id),
        delayed_notice=GENERATION_DELAYED,
    )


def recovery_delay() -> datetime.timedelta:
    """How long a generation may stay "en cours": the task's time limit (a living worker kills
    it by then) plus a margin."""
    return datetime.timedelta(
        seconds=settings.CELERY_TASK_TIME_LIMIT + settings.TASK_RECOVERY_MARGIN_SECONDS
    )


def requeue_stuck(*, now: datetime.datetime | None = None) -> int:
    """Queues again the documents whose task was lost, long before the broker's visibility
    timeout would re-deliver it: "en cours" for longer than `recovery_delay()` (the whole worker
    died mid-render), or "en attente" although their task was sent longer ago than that (a
    message a dead worker had reserved, or lost with a broker restart). Documents keep their
    batch; a duplicate delivery is harmless (generation is idempotent)."""
    from solidaren import outbox

    now = now or timezone.now()
    cutoff = now - recovery_delay()
    with transaction.atomic():
        candidates = list(
            GeneratedDocument.objects.select_for_update(skip_locked=True)
            .filter(
                Q(status=DocumentStatus.RUNNING, started_at__lt=cutoff)
                | Q(status=DocumentStatus.QUEUED, requested_at__lt=cutoff)
            )
            .order_by("pk")
        )
        in_flight = outbox.keys_in_flight(
            [generation_key(document.pk) for document in candidates], sent_since=cutoff
        )
        stuck = [
            document
            for document in candidates
            if document.status == DocumentStatus.RUNNING
            or generation_key(document.pk) not in in_flight
        ]
        for document in stuck:
            logger.warning(
                "Document %s left %s since %s: queued again",
                document.subject_key,
                document.status,
                document.started_at or document.requested_at,
            )
            document.status = DocumentStatus.QUEUED
            document.requested_at = now
            document.save(update_fields=["status", "requested_at"])
            _enqueue_generation(document.pk)
    return len(stuck)
