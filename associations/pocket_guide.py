"""The pocket guide: a printable A5 PDF of the services of one quartier or one thématique, to
hand to someone in the street.

It is a kind of the conventions' generated documents (conventions/documents.py): the task,
the outbox, the idempotent storage and the staleness check are theirs; this module gives the
subject (`guide:quartier:<slug>` or `guide:thematique:<value>`) and the HTML. The HTML holds
no date-dependent value but the closures still to come, so a guide is stale exactly when a
service in it changes; it is then queued again (`queue_guides_of_service`, after an edit, and
by the nightly refresh of stale documents).
"""

from __future__ import annotations

import datetime

from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from associations import directory, opening_hours
from associations.models import Service
from associations.vocabulary import CATEGORIE_LABELS, THEMATIQUE_LABELS
from conventions import documents
from conventions.models import DocumentKind, DocumentStatus, GeneratedDocument

QUARTIER = "quartier"
THEMATIQUE = "thematique"


def subject_key(kind: str, value: str) -> str:
    return f"guide:{kind}:{value}"


def guide_title(kind: str, value: str) -> str:
    from volontaires.models import Quartier

    if kind == QUARTIER:
        quartier = Quartier.objects.filter(slug=value).first()
        if quartier is None:
            raise Http404
        return _("Quartier %(name)s") % {"name": quartier.name}
    label = THEMATIQUE_LABELS.get(value) or CATEGORIE_LABELS.get(value)
    if kind != THEMATIQUE or label is None:
        raise Http404
    return label


def guide_document(kind: str, value: str) -> GeneratedDocument:
    guide_title(kind, value)  # 404 for an unknown quartier or thématique
    document, _created = GeneratedDocument.objects.get_or_create(
        subject_key=subject_key(kind, value), defaults={"kind": DocumentKind.POCKET_GUIDE}
    )
    return document


def _search(kind: str, value: str) -> directory.Search:
    return (
        directory.Search(quartier=value) if kind == QUARTIER else directory.Search(thematique=value)
    )


def guide_entries(kind: str, value: str, today: datetime.date) -> list[dict]:
    services = directory.search_services(_search(kind, value))
    entries = []
    for service in services:
        stops = [
            {
                "label": stop.label,
                "address": stop.address,
                "hours": opening_hours.weekly_hours([stop.opening_hours]),
            }
            for stop in service.stops.all()
            if kind != QUARTIER or stop.quartier is None or stop.quartier.slug == value
        ]
        entries.append(
            {
                "service": service,
                "hours": []
                if service.is_itinerant
                else opening_hours.weekly_hours(directory.usual_hours(service)),
                "stops": stops,
                "changes": [
                    {
                        "change": change,
                        "hours": opening_hours.dated_hours(
                            change.opening_hours, change.starts_on, change.ends_on
                        ),
                    }
                    for change in service.changes.all()
                    if change.ends_on >= today
                ],
                "languages": [language.name for language in service.languages.all()],
            }
        )
    return entries


def render_guide(document: GeneratedDocument) -> str:
    _prefix, kind, value = document.subject_key.split(":", 2)
    today = timezone.localdate()
    return render_to_string(
        "associations/pdf/pocket_guide.html",
        {"title": guide_title(kind, value), "entries": guide_entries(kind, value, today)},
    )


def request_guide(kind: str, value: str) -> GeneratedDocument:
    """The guide, queued when it is missing or out of date (and not already on its way)."""
    document = guide_document(kind, value)
    on_its_way = document.status in (DocumentStatus.QUEUED, DocumentStatus.RUNNING)
    if on_its_way and document.requested_at is not None:
        return document
    if document.status != DocumentStatus.DONE or not document.file or documents.is_stale(document):
        documents.queue([document])
    return document


def guides_of(service: Service) -> list[str]:
    keys = set()
    quartiers = [service.quartier] + [stop.quartier for stop in service.stops.all()]
    keys |= {subject_key(QUARTIER, quartier.slug) for quartier in quartiers if quartier}
    for thematique in service.thematiques:
        keys.add(subject_key(THEMATIQUE, thematique))
        keys.add(subject_key(THEMATIQUE, thematique.split("--", 1)[0]))
    return sorted(keys)


def queue_guides_of_service(service: Service) -> int:
    """After a change of a service: its existing guides whose content changed are made again."""
    stale = [
        document
        for document in GeneratedDocument.objects.filter(
            subject_key__in=guides_of(service), kind=DocumentKind.POCKET_GUIDE
        ).exclude(status__in=[DocumentStatus.QUEUED, DocumentStatus.RUNNING])
        if document.status != DocumentStatus.DONE or documents.is_stale(document)
    ]
    documents.queue(stale)
    return len(stale)
