"""The demo of the grant cycle: two renewal requests in progress (one déposée, one en
instruction), and `load_demo` serving again after a newcomer played with the demo — it never
fights the closed-year rule."""

import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import time_machine
from django.core.management import call_command
from django.urls import reverse

from conventions.models import Commitment, Convention, RequestStatus, SubsidyRequest
from solidaren.demo import AGENT_EMAIL, DEMO_PASSWORD

# The demo's 2023–2026 conventions end on 31 December 2026: their renewal campaign is seen from
# its December (the dashboard's window is the next 12 months), whatever day the suite runs.
CAMPAIGN_DAY = time_machine.travel(
    datetime.datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Europe/Paris")), tick=True
)


def load() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


@CAMPAIGN_DAY
def test_two_renewal_requests_are_in_progress(client, db):
    load()
    requests = SubsidyRequest.objects.order_by("association__slug")
    assert [(r.association.slug, r.status) for r in requests] == [
        ("banque-alimentaire", RequestStatus.SUBMITTED),
        ("croix-rouge-rennes", RequestStatus.IN_REVIEW),
    ]
    assert all(r.renews.start_date.year == 2023 and r.amounts.count() for r in requests)
    assert all(r.events.exists() and r.attachments.count() == 2 for r in requests)

    # The campaign panel then shows every case: no request, request déposée, en instruction.
    assert client.login(email=AGENT_EMAIL, password=DEMO_PASSWORD)
    page = client.get(reverse("conventions:dashboard")).content.decode()
    for stage in [
        "Aucune demande de renouvellement",
        "Demande de renouvellement : déposée",
        "Demande de renouvellement : en instruction",
    ]:
        assert stage in page


def test_load_demo_serves_again_after_rows_were_removed(db):
    """A closed year's amount removed behind the rules' back (as the back-office allowed before
    issue 9) is left missing and reported, an open year's is restored; no crash."""
    load()
    closed = Commitment.objects.filter(convention__reference="CPO-2023-BA", year=2023).first()
    open_year = Commitment.objects.filter(convention__reference="CPO-2023-BA", year=2026).first()
    # The queryset's delete refuses; the raw delete stands for the old back-office's.
    Commitment.objects.filter(pk__in=[closed.pk, open_year.pk])._raw_delete("default")
    SubsidyRequest.objects.filter(association__slug="banque-alimentaire").update(
        status=RequestStatus.CLOSED
    )

    output = load()

    assert "ligne(s) d'années closes laissée(s) telle(s) quelle(s)" in output
    assert "make demo-reset" in output
    assert not Commitment.objects.filter(pk=closed.pk).exists()
    assert Commitment.objects.filter(
        convention__reference="CPO-2023-BA", year=2026, funder=open_year.funder
    ).exists()
    # What staff did with a request is theirs: the loader does not put it back.
    assert SubsidyRequest.objects.get(association__slug="banque-alimentaire").status == (
        RequestStatus.CLOSED
    )
    assert load().count("années closes") == 1  # still reported, still no crash
    assert Convention.objects.filter(start_date__year=2023).count() == 7
