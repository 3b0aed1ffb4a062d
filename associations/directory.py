"""The public directory of services: when a service is open, and the search.

The search filters in SQL what SQL can (thématique, public, quartier, commune, welcome,
language), loads the candidates with their stops and changes of hours in a fixed number of
queries, then keeps those open at the asked time in Python (the opening hours are OSM
expressions, not columns)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from associations import freshness, opening_hours
from associations.models import Service, ServiceChange
from associations.opening_hours import DatedHours
from associations.vocabulary import PUBLIC_LABELS, THEMATIQUE_LABELS, Welcome


def usual_hours(service: Service) -> list[str]:
    """The service's usual expressions: its own, or its stops' for an itinerant service."""
    if service.is_itinerant:
        return [stop.opening_hours for stop in service.stops.all()]
    return [service.opening_hours] if service.opening_hours else []


def dated_hours(service: Service) -> list[DatedHours]:
    return [
        DatedHours(change.starts_on, change.ends_on, change.opening_hours)
        for change in service.changes.all()
    ]


def is_open_at(service: Service, moment: datetime.datetime | None = None) -> bool:
    """Open at this instant (now by default): usual hours, public holidays (`PH` rules of the
    expression, French calendar) and the closures or changed hours covering the day."""
    return opening_hours.open_at(
        moment or timezone.now(), usual_hours(service), dated_hours(service)
    )


def is_open_between(service: Service, start: datetime.datetime, end: datetime.datetime) -> bool:
    return opening_hours.open_between(start, end, usual_hours(service), dated_hours(service))


def hours_on(service: Service, day: datetime.date) -> list[tuple[datetime.time, datetime.time]]:
    return opening_hours.hours_of_day(day, usual_hours(service), dated_hours(service))


def current_change(service: Service, day: datetime.date) -> ServiceChange | None:
    """The closure or changed hours covering `day`, or the next one within 30 days."""
    for change in service.changes.all():
        if change.ends_on >= day and change.starts_on <= day + datetime.timedelta(days=30):
            return change
    return None


def week_hours(service: Service, first_day: datetime.date) -> list[tuple[datetime.date, list]]:
    return [
        (day, hours_on(service, day))
        for day in (first_day + datetime.timedelta(days=offset) for offset in range(7))
    ]


# --- search -------------------------------------------------------------------------------------

OPEN_NOW = "maintenant"
OPEN_TODAY = "aujourdhui"
OPEN_THIS_WEEK = "semaine"


@dataclass(frozen=True)
class Search:
    thematique: str = ""  # a thématique, or a category (every thématique under it)
    public: str = ""
    quartier: str = ""  # slug
    commune: str = ""
    unconditional: bool = False
    language: str = ""  # ISO 639 code
    opening: str = ""  # OPEN_NOW, OPEN_TODAY or OPEN_THIS_WEEK
    text: str = ""


def with_directory_data(services: QuerySet) -> QuerySet:
    """Everything a directory page shows, in a fixed number of queries."""
    today = timezone.localdate()
    return services.select_related("structure", "quartier").prefetch_related(
        "stops__quartier",
        "languages",
        Prefetch(
            "changes",
            queryset=ServiceChange.objects.filter(ends_on__gte=today - datetime.timedelta(days=7)),
        ),
    )


def filter_services(services: QuerySet, search: Search) -> QuerySet:
    """The criteria SQL can answer."""
    if search.thematique:
        # Thématiques are stored as a JSON list of strings: an element is `"value"`; a category
        # is the prefix `"category--`.
        needle = (
            f'"{search.thematique}"' if "--" in search.thematique else f'"{search.thematique}--'
        )
        services = services.filter(thematiques__icontains=needle)
    if search.public:
        services = services.filter(
            Q(publics__icontains=f'"{search.public}"') | Q(publics__icontains='"tous-publics"')
        )
    if search.quartier:
        services = services.filter(
            Q(quartier__slug=search.quartier) | Q(stops__quartier__slug=search.quartier)
        )
    if search.commune:
        services = services.filter(commune__iexact=search.commune)
    if search.unconditional:
        services = services.filter(welcome=Welcome.UNCONDITIONAL)
    if search.language:
        services = services.filter(languages__code=search.language)
    if search.text:
        services = services.filter(
            Q(name__icontains=search.text)
            | Q(description__icontains=search.text)
            | Q(structure__name__icontains=search.text)
        )
    return services.distinct()


def opening_window(
    opening: str, now: datetime.datetime
) -> tuple[datetime.datetime, datetime.datetime] | None:
    local = timezone.localtime(now)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if opening == OPEN_TODAY:
        return local, midnight + datetime.timedelta(days=1)
    if opening == OPEN_THIS_WEEK:
        return local, midnight + datetime.timedelta(days=7 - local.weekday())
    return None


def search_services(
    search: Search, *, now: datetime.datetime | None = None, services: QuerySet | None = None
) -> list[Service]:
    now = now or timezone.now()
    queryset = filter_services(
        services if services is not None else Service.objects.all(), search
    ).order_by("name", "pk")
    found = list(with_directory_data(queryset))
    if search.opening == OPEN_NOW:
        return [service for service in found if is_open_at(service, now)]
    window = opening_window(search.opening, now)
    if window:
        return [service for service in found if is_open_between(service, *window)]
    return found


# --- what the pages show --------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceCard:
    service: Service
    open_now: bool
    today: list[tuple[datetime.time, datetime.time]]
    freshness: str
    freshness_label: str
    thematiques: list[str]
    publics: list[str]
    quartiers: list[str]


def cards(services, *, now: datetime.datetime) -> list[ServiceCard]:
    """What a directory card says about each service (from prefetched data: no query)."""
    today = timezone.localdate(now)
    result = []
    for service in services:
        state = freshness.freshness(service.updated_on, service.update_frequency, today)
        quartiers = [service.quartier.name] if service.quartier else []
        quartiers += [stop.quartier.name for stop in service.stops.all() if stop.quartier]
        result.append(
            ServiceCard(
                service=service,
                open_now=is_open_at(service, now),
                today=hours_on(service, today),
                freshness=state,
                freshness_label=freshness.freshness_label(state),
                thematiques=[THEMATIQUE_LABELS.get(value, value) for value in service.thematiques],
                publics=[PUBLIC_LABELS.get(value, value) for value in service.publics],
                quartiers=list(dict.fromkeys(quartiers)),
            )
        )
    return result
