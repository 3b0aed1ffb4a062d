"""Queries per main page, pinned, at two data sizes: the same count for 60 and 300 volunteers
(and 120 then 600 missions, 230 then 290 associations), never more than 15.

The data are `generate_scale_data`'s (solidaren/scale_data.py), grown between the two counts;
the pages and personas are those `make bench` measures (solidaren/bench.py). A count that
changes with the data size is an N+1 query; a new query on a page changes the pinned figure.
Transaction statements (BEGIN, COMMIT of ATOMIC_REQUESTS) are not counted.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from solidaren import bench, scale_data

# The figures of this branch; lower them when a page gets cheaper.
PINNED = {
    "home": 2,
    "directory": 4,
    "convention": 14,
    "reports": 6,
    "my_space": 9,
    "staff_figures": 15,
    "open_missions": 10,
    "staff_missions": 9,
    "candidates": 15,
    "bilan_json": 4,
    "opendata": 7,
}


def count_queries() -> dict[str, int]:
    users = bench.personas()
    urls = bench.page_urls()
    counts = {}
    for key, _label, persona in bench.PAGES:
        client = Client()
        if persona:
            client.force_login(users[persona])
        client.get(urls[key])  # sessions and content types read once
        with CaptureQueriesContext(connection) as queries:
            response = client.get(urls[key])
        assert response.status_code == 200, key
        counts[key] = bench.sql_queries(queries.captured_queries)
    return counts


# A day of the renewal campaign: the convention measured ends within 12 months, so its page
# also reads where its renewal stands (one query more than outside the campaign).
CAMPAIGN_DAY = datetime.datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.mark.django_db
@time_machine.travel(CAMPAIGN_DAY, tick=False)
def test_main_pages_take_a_pinned_number_of_queries_whatever_the_data_size(settings):
    settings.PAGE_CACHE_SECONDS = 0  # the queries of making each page, not of a cached copy
    scale_data.generate(volunteers=60, missions=120, associations=230)
    small = count_queries()

    scale_data.add_rows(volunteers=240, missions=480, associations=290, seed=7)
    large = count_queries()

    assert small == large
    assert large == PINNED
    assert max(large.values()) <= 15
