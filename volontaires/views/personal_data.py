"""Personal data rights: a volunteer's own export; a resident's export and erasure (agents);
the access log of residents' records (data protection officer); the public page saying what
is kept, why and how long.

Every page showing staff a resident's record writes one access log row
(`access_log.record_resident_access`).
"""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from solidaren.access import (
    get_editable_or_404,
    get_visible_or_404,
    is_data_protection_officer,
    role_required,
)
from volontaires import resident_data, retention
from volontaires.access_log import record_resident_access
from volontaires.filters import AccessLogFilter
from volontaires.models import Resident, ResidentAccessLog, ResidentAccessSource
from volontaires.staff_forms import ResidentErasureForm
from volontaires.volunteer_data import volunteer_export

LOG_ENTRIES_PER_PAGE = 50


def _json_download(data: dict, filename: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- Volunteers ----------------------------------------------------------------------------


@never_cache
@require_GET
@role_required("volunteer")
def account_export(request):
    """The signed-in volunteer's own data; there is no id in the URL to try others'."""
    return _json_download(volunteer_export(request.user), "mes-donnees-solidaren.json")


# --- Residents (agents) --------------------------------------------------------------------


@never_cache
@require_GET
@role_required("agent")
def resident_export(request, pk):
    resident = get_visible_or_404(
        Resident.objects.select_related("programme", "quartier", "language"), request.user, pk=pk
    )
    record_resident_access(
        user=request.user,
        resident_id=resident.pk,
        source=ResidentAccessSource.EXPORT,
        path=request.path,
    )
    return _json_download(resident_data.resident_export(resident), f"habitant-{resident.pk}.json")


@require_http_methods(["GET", "POST"])
@role_required("agent")
def resident_erase(request, pk):
    """A confirmation page showing whom it is about, then the erasure."""
    resident = get_editable_or_404(Resident, request.user, pk=pk)
    form = ResidentErasureForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and resident.anonymised_at is None and form.is_valid():
        try:
            resident_data.erase_resident(resident)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            record_resident_access(
                user=request.user,
                resident_id=resident.pk,
                source=ResidentAccessSource.ERASURE,
                path=request.path,
            )
            messages.success(
                request,
                _(
                    "Les données personnelles de l'habitant·e n°%(pk)s sont effacées : ses "
                    "missions restent comptées dans les chiffres, sans son identité."
                )
                % {"pk": resident.pk},
            )
            return redirect("volontaires:staff_missions")
    if resident.anonymised_at is None:
        record_resident_access(
            user=request.user,
            resident_id=resident.pk,
            source=ResidentAccessSource.ERASURE_CONFIRMATION,
            path=request.path,
        )
    return render(
        request,
        "volontaires/staff_resident_erase.html",
        {"resident": resident, "form": form, "missions": resident.missions.count()},
    )


# --- Access log (data protection officer) --------------------------------------------------


@never_cache
@require_GET
def access_log(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not is_data_protection_officer(request.user):
        raise PermissionDenied
    entries = ResidentAccessLog.objects.visible_to(request.user).select_related("user")
    log_filter = AccessLogFilter(request.GET, queryset=entries)
    page = Paginator(log_filter.qs, LOG_ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "volontaires/access_log.html",
        {"filter": log_filter, "page": page, "query": query.urlencode()},
    )


# --- What is kept, why and how long (public) -----------------------------------------------


@require_GET
def policy(request):
    """The retention periods come from the settings the jobs apply, so the page stays true."""
    return render(
        request,
        "personal_data.html",
        {
            "resident_months": settings.RESIDENT_RETENTION_MONTHS,
            "volunteer_months": settings.VOLUNTEER_RETENTION_MONTHS,
            "notice_months": retention.NOTICE_MONTHS,
            "access_log_months": settings.RESIDENT_ACCESS_LOG_RETENTION_MONTHS,
            "orientation_months": settings.ORIENTATION_RETENTION_MONTHS,
            "is_data_protection_officer": is_data_protection_officer(request.user),
        },
    )
