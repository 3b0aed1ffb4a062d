"""Open data: the grants in the SCDL "subventions" schema, public (amounts, no personal data)."""

import io

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.http import require_GET

from conventions.opendata import parse_year, subsidy_rows, write_csv
from solidaren import page_cache


@require_GET
def subsidies_csv(request: HttpRequest) -> HttpResponse:
    """`?annee=2024` keeps one year; without it, every year."""
    year = None
    if request.GET.get("annee", "").strip():
        try:
            year = parse_year(request.GET["annee"])
        except ValidationError as error:
            return HttpResponseBadRequest(
                error.messages[0], content_type="text/plain; charset=utf-8"
            )
    # The same for everyone: made again only once a convention, an amount or a beneficiary
    # changed (solidaren/page_cache.py), not on each download.
    content = page_cache.cached(
        "opendata-subsidies", scopes=("grants",), variant=(year,), compute=lambda: _csv(year)
    )
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="subventions.csv"'
    return response


def _csv(year: int | None) -> bytes:
    buffer = io.StringIO()
    write_csv(subsidy_rows(year), buffer)
    return buffer.getvalue().encode("utf-8")
