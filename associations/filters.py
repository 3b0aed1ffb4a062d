import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from associations.models import Association, FieldOfAction
from solidaren.geography import COMMUNE_CHOICES


class AssociationDirectoryFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Recherche"), method="search")
    field_of_action = django_filters.ModelChoiceFilter(
        label=_("Champ d'action"),
        field_name="fields_of_action",
        queryset=FieldOfAction.objects.all(),
        to_field_name="slug",
        empty_label=_("Tous"),
    )
    commune = django_filters.ChoiceFilter(
        label=_("Commune"), choices=COMMUNE_CHOICES, empty_label=_("Toutes")
    )

    class Meta:
        model = Association
        fields = ["q", "field_of_action", "commune"]

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(name__icontains=value)
            | Q(short_name__icontains=value)
            | Q(description__icontains=value)
            | Q(publics__icontains=value)
        )
