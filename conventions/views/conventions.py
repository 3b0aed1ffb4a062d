from django.db.models import Prefetch
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from conventions import campaign, documents, rules, signature
from conventions.forms import SignatureForm
from conventions.models import (
    Convention,
    ConventionParty,
    ConventionStatus,
    InKindSupport,
    Objective,
    Payment,
)
from conventions.totals import yearly_table
from solidaren import page_cache
from solidaren.access import get_visible_or_404, is_agent, role_required


def _with_parties(queryset):
    return queryset.select_related("association").prefetch_related(
        Prefetch("parties", queryset=ConventionParty.objects.select_related("funder"))
    )


@require_GET
@role_required("agent", "coordinator")
def convention_list(request):
    conventions = _with_parties(Convention.objects.visible_to(request.user)).order_by(
        "association__name", "-start_date"
    )
    return render(request, "conventions/convention_list.html", {"conventions": conventions})


@require_GET
@role_required("agent", "coordinator")
def convention_detail(request, pk):
    visible = get_visible_or_404(Convention.objects.only("pk"), request.user, pk=pk)
    return page_cache.signed_in_page(
        request,
        "conventions/convention_detail.html",
        lambda: _convention_context(request, visible.pk),
    )


def _convention_context(request, pk: int) -> dict:
    queryset = _with_parties(Convention.objects).prefetch_related(
        "commitments",
        Prefetch(
            "in_kind_supports",
            queryset=InKindSupport.objects.select_related("premises", "funder"),
        ),
        "in_kind_supports__values",
        Prefetch("objectives", queryset=Objective.objects.select_related("priority")),
        "reports",
        Prefetch("payments", queryset=Payment.objects.select_related("funder")),
    )
    convention = queryset.get(pk=pk)
    chain = convention.renewal_chain()
    table = yearly_table(convention)
    reports = {report.year: report for report in convention.reports.all()}
    document, stale = documents.existing_document(f"convention:{convention.pk}")
    return {
        "convention": convention,
        "table": table,
        "rows_with_reports": [(row, reports.get(row.year)) for row in table.rows],
        "chain": chain,
        "document": document,
        "stale": stale,
        "readiness_errors": signature.readiness_errors(convention)
        if convention.status == ConventionStatus.DRAFT
        else [],
        "signature_form": SignatureForm(convention=convention),
        "scdl_deadline": rules.scdl_deadline(convention),
        "scdl_published": rules.is_published_in_opendata(convention),
        "campaign": campaign.convention_campaign(
            convention, chain, timezone.localdate(), for_staff=is_agent(request.user)
        ),
    }
