"""Two agents acting on the same convention or request at the same moment (PostgreSQL only).

Each thread has its own connection and transaction, as concurrent requests do. Both saw the
same version of the page: the row lock serialises them, the first moves the dossier on and the
second is refused with the French "modifiée entre-temps" message — never a silent overwrite,
never two successors for one convention."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from conventions import renewal, signature
from conventions.models import Convention, ConventionStatus
from tests.factories import CommitmentFactory, ConventionFactory, FunderFactory
from tests.test_volontaires_volunteer_concurrency import run_together

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL row locks (DATABASE_URL)"
    ),
]


def outcome(call) -> str:
    try:
        call()
    except ValidationError as error:
        return " ".join(error.messages)
    return "ok"


@pytest.fixture
def draft(db):
    ville = FunderFactory(name="Ville de Rennes")
    convention = ConventionFactory(
        funders=[ville],
        status=ConventionStatus.DRAFT,
        start_date=datetime.date(2031, 1, 1),
        end_date=datetime.date(2034, 12, 31),
        association_signed_on=None,
    )
    for year in convention.years:
        CommitmentFactory(convention=convention, funder=ville, year=year, amount=Decimal("1"))
    return convention


def test_two_agents_on_the_same_version_one_wins(draft):
    seen = draft.version
    steps = [signature.mark_ready, signature.mark_ready, signature.mark_ready]

    results = run_together(
        len(steps),
        lambda index: outcome(
            lambda: steps[index](Convention.objects.get(pk=draft.pk), expected_version=seen)
        ),
    )

    assert sorted(results).count("ok") == 1, results
    assert all("modifiée entre-temps" in r or "cette étape" in r for r in results if r != "ok")
    draft.refresh_from_db()
    assert draft.status == ConventionStatus.READY and draft.version == seen + 1


def test_a_convention_is_renewed_once_when_two_agents_click_together(draft):
    Convention.objects.filter(pk=draft.pk).update(status=ConventionStatus.IN_FORCE)

    results = run_together(
        4, lambda index: outcome(lambda: renewal.renew(Convention.objects.get(pk=draft.pk)))
    )

    assert results.count("ok") == 1, results
    assert all("déjà renouvelée" in r for r in results if r != "ok")
    assert Convention.objects.filter(renews=draft).count() == 1
