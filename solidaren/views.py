from django.conf import settings
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from associations.models import Association
from solidaren import page_cache
from solidaren.health import overall_status


@require_GET
def home(request):
    def structuring_html() -> str:
        structuring = Association.objects.filter(is_structuring=True).prefetch_related(
            "fields_of_action"
        )
        return render_to_string(
            "_structuring_associations.html", {"structuring_associations": structuring}
        )

    structuring = page_cache.cached(
        "structuring", scopes=("associations",), variant=(), compute=structuring_html
    )
    return render(request, "home.html", {"structuring_associations": structuring})


@never_cache
@require_GET
@transaction.non_atomic_requests  # must answer 503, not fail, when the database is down
def healthz(request):
    healthy, report = overall_status()
    return JsonResponse(report, status=200 if healthy else 503)


def bench_bare(request):
    """`make bench` only (BENCH_BARE_VIEW=1): the bare view whose throughput, through the same
    middleware, every page's is compared with."""
    return HttpResponse("ok")


@require_GET
def accessibility(request):
    """The accessibility statement (déclaration d'accessibilité) required of French public
    bodies: RGAA compliance level, what was tested, how to report a problem."""
    return render(request, "accessibility.html", {"contact_email": settings.CONTACT_EMAIL})


@require_GET
def legal_notices(request):
    """Legal notices (mentions légales): publisher, host, personal data."""
    return render(request, "legal_notices.html", {"contact_email": settings.CONTACT_EMAIL})
