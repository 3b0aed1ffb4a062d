"""The programmes' figures: a public page and a JSON document (aggregates only, never a name),
and the agents' dashboard with what is left to do."""

from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from solidaren import page_cache
from solidaren.access import role_required
from volontaires import casework
from volontaires.figures import (
    DEFAULT_PROGRAMME_SLUG,
    cached,
    cached_figures_html,
    cached_figures_report,
    cached_programme_figures,
)
from volontaires.models import Programme
from volontaires.staff_forms import ProgrammeChoiceForm


def _chosen_programme(request) -> tuple[ProgrammeChoiceForm, Programme | None]:
    """`?programme=<slug>`, else Volontaires Solidaires; an unknown slug is a form error and
    the default programme is shown."""
    form = ProgrammeChoiceForm(
        request.GET if "programme" in request.GET else {"programme": DEFAULT_PROGRAMME_SLUG}
    )
    if form.is_valid():
        return form, form.cleaned_data["programme"]
    fallback = form.programmes.get(DEFAULT_PROGRAMME_SLUG) or next(
        iter(form.programmes.values()), None
    )
    return form, fallback


@require_GET
def public_figures(request):
    form, programme = _chosen_programme(request)
    report = cached_figures_report(programme) if programme else None
    return render(
        request,
        "volontaires/figures_public.html",
        {
            "form": form,
            "report": report,
            "figures_html": cached_figures_html(report) if report else "",
        },
    )


@require_GET
def figures_json(request):
    slug = request.GET.get("programme", DEFAULT_PROGRAMME_SLUG)
    programme = Programme.objects.filter(slug=slug).first()
    if programme is None:
        return JsonResponse(
            {"erreur": _("Programme inconnu : « %(slug)s ».") % {"slug": slug[:80]}},
            status=404,
            json_dumps_params={"ensure_ascii": False},
        )
    return JsonResponse(cached_programme_figures(programme))


@require_GET
@role_required("agent")
def staff_figures(request):
    from associations.orientation import orientation_figures

    def context() -> dict:
        form, programme = _chosen_programme(request)
        report = cached_figures_report(programme) if programme else None
        return {
            "form": form,
            "report": report,
            "figures_html": cached_figures_html(report) if report else "",
            "workload": cached(
                f"volontaires:workload:{programme.pk}",
                lambda: casework.programme_workload(programme, today=timezone.localdate()),
            )
            if programme
            else None,
            # The network's orientation requests (associations/orientation.py).
            "orientations": orientation_figures(),
        }

    return page_cache.signed_in_page(request, "volontaires/figures_staff.html", context)
