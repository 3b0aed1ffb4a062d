"""What a volunteer may browse and join by themselves: the current programmes and the open
calls for volunteers (association and city missions without a resident), with their filters.

The list is a part of `Mission.objects.visible_to(user)` and reads the places held and the
volunteer's own answer through subqueries, so that the number of queries does not grow with
the number of missions.
"""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from volontaires import candidates
from volontaires.filters import ReferenceChoicesMixin
from volontaires.matching import reasons_for_volunteer
from volontaires.models import (
    PLACE_HOLDING,
    Assignment,
    EngagementArea,
    Mission,
    MissionStatus,
    MissionType,
    Programme,
    Quartier,
    VolunteerProfile,
)


def current_programmes(today: datetime.date) -> QuerySet:
    """Programmes a volunteer may join: no end date, or one not passed yet."""
    return Programme.objects.filter(Q(end_date__isnull=True) | Q(end_date__gte=today))


def open_calls(user, *, today: datetime.date) -> QuerySet:
    """Open association and city calls of the current programmes, today or later (or weekly),
    annotated with `free_places` and `my_status` (the user's assignment status, or None)."""
    held = (
        Assignment.objects.filter(mission=OuterRef("pk"), status__in=PLACE_HOLDING)
        .order_by()
        .values("mission")
        .annotate(count=Count("pk"))
        .values("count")
    )
    mine = Assignment.objects.filter(mission=OuterRef("pk"), volunteer__user=user).values("status")[
        :1
    ]
    # Every open call is visible to every active user (`MissionQuerySet.visible_to`, third
    # case); the list says so by its filters rather than by a subquery on `visible_to`, so
    # that it reads its page from the index `open_call_order_idx` in date order.
    # tests/test_volontaires_volunteer.py checks that the two agree.
    if not (user.is_authenticated and user.is_active):
        return Mission.objects.none()
    return (
        Mission.objects.filter(
            volunteer_calls=True,
            resident__isnull=True,
            status=MissionStatus.OPEN,
            programme__in=current_programmes(today),
        )
        .filter(Q(date__gte=today) | Q(date__isnull=True))
        .select_related("mission_type", "quartier", "association", "programme", "required_language")
        .annotate(
            free_places=Greatest(
                F("places") - Coalesce(Subquery(held, output_field=IntegerField()), Value(0)),
                Value(0),
            ),
            my_status=Subquery(mine),
        )
        .order_by("date", "start_time", "pk")
    )


# Where a volunteer changes what stops them from taking a mission: (URL name, anchor, label).
REASON_LINKS = {
    "availability": ("volontaires:profile", "disponibilites", _("modifier mes disponibilités")),
    "type": ("volontaires:profile", "engagement", _("modifier les missions que j'accepte")),
    "monthly": ("volontaires:profile", "engagement", _("modifier mon maximum par mois")),
    "programme": ("volontaires:profile", "engagement", _("m'inscrire à un programme")),
    "language": ("volontaires:profile", "vous", _("modifier mes langues")),
    "paused": ("volontaires:my_space", "", _("reprendre mon engagement")),
    "busy": ("volontaires:my_space", "", _("voir mes missions")),
}


def reasons_for_page(missions, user, *, today: datetime.date) -> dict[int, list[dict]]:
    """Per mission of the page, why the signed-in volunteer cannot take it, addressed to them,
    each with the link to change it; an empty list when they can. A fixed number of queries
    whatever the number of missions (the volunteer's snapshot)."""
    missions = list(missions)
    if not (missions and user.is_authenticated):
        return {}
    found = candidates.volunteer_snapshots(VolunteerProfile.objects.filter(user=user))
    if not found:
        return {}
    [volunteer] = found
    result = {}
    for mission in missions:
        # The name a reason may show: the required language's (read with the list).
        language = mission.required_language
        names = {language.code: language.name} if language else {}
        data = candidates.rules_snapshot(mission, today=today, language_names=names)
        rows = []
        for reason in reasons_for_volunteer(data, volunteer):
            link = REASON_LINKS.get(reason.key)
            url = ""
            if link:
                url = reverse(link[0]) + (f"#{link[1]}" if link[1] else "")
            rows.append({"text": reason.text, "url": url, "label": link[2] if link else ""})
        result[mission.pk] = rows
    return result


class OpenCallFilter(ReferenceChoicesMixin, django_filters.FilterSet):
    """Filters of the self-service list (applied after `visible_to`)."""

    reference_selects = ("mission_type", "quartier")

    mission_type = django_filters.ModelChoiceFilter(
        label=_("Type de mission"), queryset=MissionType.objects.all(), empty_label=_("Tous")
    )
    quartier = django_filters.ModelChoiceFilter(
        label=_("Quartier"), queryset=Quartier.objects.all(), empty_label=_("Tous")
    )
    engagement_area = django_filters.ChoiceFilter(
        label=_("Domaine d'engagement"), choices=EngagementArea.choices, empty_label=_("Tous")
    )
    date_from = django_filters.DateFilter(
        label=_("À partir du"),
        method="filter_date_from",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = django_filters.DateFilter(
        label=_("Jusqu'au"),
        method="filter_date_to",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    class Meta:
        model = Mission
        fields = ["mission_type", "quartier", "engagement_area", "date_from", "date_to"]

    # Weekly missions take place every week: a date range does not leave them out.
    def filter_date_from(self, queryset, name, value):
        return queryset.filter(Q(date__gte=value) | Q(date__isnull=True))

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(Q(date__lte=value) | Q(date__isnull=True))
