import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from conventions.models import ReportStatus, YearlyReport


class YearlyReportFilter(django_filters.FilterSet):
    """The agents' filters on the list of yearly reports (applied after `visible_to`)."""

    status = django_filters.ChoiceFilter(
        label=_("Statut"), choices=ReportStatus.choices, empty_label=_("Tous")
    )
    year = django_filters.ChoiceFilter(label=_("Année"), choices=[], empty_label=_("Toutes"))
    overdue = django_filters.BooleanFilter(
        label=_("En retard seulement"),
        method="filter_overdue",
        widget=forms.CheckboxInput(),
    )

    class Meta:
        model = YearlyReport
        fields = ["status", "year", "overdue"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        years = (
            self.queryset.order_by("-year").values_list("year", flat=True).distinct()
            if self.queryset is not None
            else []
        )
        self.filters["year"].extra["choices"] = [(year, str(year)) for year in years]

    def filter_overdue(self, queryset, name, value):
        if value:
            return queryset.overdue(timezone.localdate())
        return queryset
