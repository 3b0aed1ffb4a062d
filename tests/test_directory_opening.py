"""When a service is open: its OSM hours, the French public holidays, temporary closures and
changed hours, itinerant stops, and bad input (hours that do not parse, a period that ends
before it starts, an unknown thématique or public)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from associations import directory
from associations.models import ServiceChange, ServiceStop
from tests.factories import ServiceFactory

PARIS = ZoneInfo("Europe/Paris")


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=PARIS)


@pytest.fixture
def service(db):
    return ServiceFactory(opening_hours="Mo-Fr 09:00-12:00, We 14:00-17:00; PH off")


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(2026, 12, 2, 8, 59), False),  # Wednesday, just before opening
        (at(2026, 12, 2, 9, 0), True),
        (at(2026, 12, 2, 11, 59), True),
        (at(2026, 12, 2, 12, 0), False),  # closes at noon
        (at(2026, 12, 2, 15, 0), True),  # Wednesday afternoon
        (at(2026, 12, 3, 15, 0), False),  # not on Thursday afternoon
        (at(2026, 12, 5, 10, 0), False),  # Saturday
        (at(2026, 12, 25, 10, 0), False),  # Christmas, a Friday
        (at(2027, 3, 29, 10, 0), False),  # Easter Monday 2027
        (at(2027, 5, 6, 10, 0), False),  # Ascension Thursday 2027
        (at(2027, 5, 17, 10, 0), False),  # Whit Monday 2027
        (at(2027, 3, 30, 10, 0), True),  # the Tuesday after Easter
    ],
)
def test_open_at_fixed_instants(service, moment, expected):
    assert directory.is_open_at(service, moment) is expected


def test_an_instant_in_utc_is_read_in_paris_time(service):
    # 08:30 UTC is 09:30 in Paris in winter: open.
    assert directory.is_open_at(service, datetime.datetime(2026, 12, 2, 8, 30, tzinfo=datetime.UTC))


def test_a_temporary_closure_and_changed_hours(service):
    ServiceChange.objects.create(
        service=service,
        starts_on=datetime.date(2026, 12, 21),
        ends_on=datetime.date(2026, 12, 23),
        reason="Fermeture pour inventaire",
    )
    ServiceChange.objects.create(
        service=service,
        starts_on=datetime.date(2026, 12, 28),
        ends_on=datetime.date(2027, 1, 3),
        opening_hours="Mo-Su 18:00-20:00",
        reason="Plan grand froid",
    )
    assert directory.is_open_at(service, at(2026, 12, 18, 10, 0))  # Friday before
    assert not directory.is_open_at(service, at(2026, 12, 21, 10, 0))  # closure, first day
    assert not directory.is_open_at(service, at(2026, 12, 23, 11, 0))  # closure, last day
    assert directory.is_open_at(service, at(2026, 12, 24, 10, 0))  # reopened
    assert not directory.is_open_at(service, at(2026, 12, 29, 10, 0))  # changed hours
    assert directory.is_open_at(service, at(2027, 1, 2, 19, 0))  # a Saturday evening
    assert directory.is_open_at(service, at(2027, 1, 4, 10, 0))  # usual hours again
    assert directory.hours_on(service, datetime.date(2026, 12, 30)) == [
        (datetime.time(18), datetime.time(20))
    ]


def test_an_itinerant_service_is_open_at_its_stops(db):
    van = ServiceFactory(is_itinerant=True, opening_hours="")
    ServiceStop.objects.create(service=van, label="Place de Zagreb", opening_hours="Tu 19:00-20:00")
    ServiceStop.objects.create(service=van, label="Gare", opening_hours="Tu 20:30-21:30")
    assert directory.is_open_at(van, at(2026, 12, 1, 19, 30))
    assert not directory.is_open_at(van, at(2026, 12, 1, 20, 15))  # on the road
    assert directory.is_open_at(van, at(2026, 12, 1, 21, 0))
    assert not directory.is_open_at(van, at(2026, 12, 2, 19, 30))


def test_open_today_and_this_week(service):
    wednesday_evening = at(2026, 12, 2, 18, 0)
    assert not directory.is_open_between(service, wednesday_evening, at(2026, 12, 3, 0, 0))
    assert directory.is_open_between(service, wednesday_evening, at(2026, 12, 7, 0, 0))
    friday_evening = at(2026, 12, 4, 18, 0)
    assert not directory.is_open_between(service, friday_evening, at(2026, 12, 7, 0, 0))


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"opening_hours": "lundi 9h-12h"}, "opening_hours", "Horaires illisibles"),
        ({"thematiques": ["manger"]}, "thematiques", "Thématique inconnu(e)"),
        ({"publics": ["martiens"]}, "publics", "Public inconnu(e)"),
        ({"publics": ["tous-publics", "femmes"]}, "__all__", "Tous publics"),
    ],
)
def test_bad_service_input_gets_a_french_message(service, fields, field, message):
    for name, value in fields.items():
        setattr(service, name, value)
    with pytest.raises(ValidationError) as raised:
        service.full_clean()
    assert message in " ".join(raised.value.message_dict[field])


def test_a_period_that_ends_before_it_starts_is_refused(service):
    change = ServiceChange(
        service=service, starts_on=datetime.date(2026, 12, 10), ends_on=datetime.date(2026, 12, 9)
    )
    with pytest.raises(ValidationError) as raised:
        change.full_clean()
    assert "ne peut pas précéder son début" in raised.value.message_dict["ends_on"][0]
