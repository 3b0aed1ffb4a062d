import django_filters
from django.utils.translation import gettext_lazy as _

from volontaires.models import (
    Mission,
    MissionOrigin,
    MissionStatus,
    MissionType,
    Programme,
    Quartier,
    Urgency,
)


class StaffMissionFilter(django_filters.FilterSet):
    """The agents' filters on the missions (applied after `visible_to`)."""

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
