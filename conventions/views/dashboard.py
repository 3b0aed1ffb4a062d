"""The staff dashboard of the conventions: support per funder and year, deadlines and alerts."""

import datetime

from django.contrib import messages
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from conventions.dashboard import build_dashboard
from solidaren.access import role_required

FIRST_YEAR, LAST_YEAR = 2000, 2100


def today() -> datetime.date:
    """The dashboard's date, in one place so that tests can set it."""
    return timezone.localdate()


def requested_year(request, default: int) -> int:
    """`?annee=YYYY`, or `default` with an error message when it is not a sensible year."""
    raw = request.GET.get("annee", "").strip()
    if not raw:
        return default
    try:
        year = int(raw)
    except ValueError:
        messages.error(
            request,
            _("« %(value)s » n'est pas une année : indiquez-la en chiffres, par exemple %(year)s.")
            % {"value": raw[:20], "year": default},
        )
        return default
    if not FIRST_YEAR <= year <= LAST_YEAR:
        messages.error(
            request,
            _("Choisissez une année entre %(first)s et %(last)s.")
            % {"first": FIRST_YEAR, "last": LAST_YEAR},
        )
        return default
    return year


@require_GET
@role_required("agent")
def dashboard(request):
    date = today()
    year = requested_year(request, default=date.year)
    return render(
        request,
        "conventions/dashboard.html",
        {
            "dashboard": build_dashboard(today=date, year=year),
            "first_year": FIRST_YEAR,
            "last_year": LAST_YEAR,
        },
    )
