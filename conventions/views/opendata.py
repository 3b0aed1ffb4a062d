"""Open data: the grants in the SCDL "subventions" schema, public (amounts, no personal data)."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.http import require_GET

from conventions.opendata import parse_year, subsidy_rows, write_csv


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
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="subventions.csv"'
    write_csv(subsidy_rows(year), response)
    return response
