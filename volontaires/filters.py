import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from solidaren import page_cache
from solidaren.models import User
from volontaires.access_log import readers
from volontaires.models import (
    Mission,
    MissionOrigin,
    MissionStatus,
    MissionType,
    Programme,
    Quartier,
    ResidentAccessLog,
    Urgency,
)

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_ID = 2**63 - 1  # BigAutoField


class ReferenceChoicesMixin:
    """Selects of programmes, mission types and quartiers offer options kept in the shared
    cache until one of those tables changes (solidaren/page_cache.py, scope
    "missions-reference"): two or three queries fewer on each page of a mission list."""

    reference_selects: tuple[str, ...] = ()

    @property
    def form(self):
        form = super().form
        if not getattr(form, "reference_choices_cached", False):
            page_cache.cache_choices(form, self.reference_selects, scope="missions-reference")
            form.reference_choices_cached = True
        return form


class StaffMissionFilter(ReferenceChoicesMixin, django_filters.FilterSet):
    """The agents' filters on the missions (applied after `visible_to`)."""

    reference_selects = ("programme", "mission_type", "quartier")

    programme = django_filters.ModelChoiceFilter(
        label=_("Programme"), queryset=Programme.objects.all(), empty_label=_("Tous")
    )
    status = django_filters.ChoiceFilter(
        label=_("Statut"), choices=MissionStatus.choices, empty_label=_("Tous")
    )
    mission_type = django_filters.ModelChoiceFilter(
        label=_("Type"), queryset=MissionType.objects.all(), empty_label=_("Tous")
    )
    quartier = django_filters.ModelChoiceFilter(
        label=_("Quartier"), queryset=Quartier.objects.all(), empty_label=_("Tous")
    )
    urgency = django_filters.ChoiceFilter(
        label=_("Urgence"), choices=Urgency.choices, empty_label=_("Toutes")
    )
    origin = django_filters.ChoiceFilter(
        label=_("Origine"), choices=MissionOrigin.choices, empty_label=_("Toutes")
    )

    class Meta:
        model = Mission
        fields = ["programme", "status", "mission_type", "quartier", "urgency", "origin"]


class IdFilter(django_filters.NumberFilter):
    """A record number: an integer within the database's ids (no decimal, no overflow)."""

    field_class = forms.IntegerField


class AccessLogFilter(django_filters.FilterSet):
    """The data protection officer's filters on the access log of residents' records."""

    resident = IdFilter(
        label=_("N° de l'habitant·e"), field_name="resident_id", min_value=1, max_value=MAX_ID
    )
    user = django_filters.ModelChoiceFilter(
        label=_("Consulté par"), queryset=User.objects.none(), empty_label=_("Tout le monde")
    )
    since = django_filters.DateFilter(
        label=_("Du"), field_name="accessed_at__date", lookup_expr="gte", widget=DATE_WIDGET
    )
    until = django_filters.DateFilter(
        label=_("Au"), field_name="accessed_at__date", lookup_expr="lte", widget=DATE_WIDGET
    )

    class Meta:
        model = ResidentAccessLog
        fields = ["resident", "user", "since", "until"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.filters["user"].queryset = readers(self.queryset)
