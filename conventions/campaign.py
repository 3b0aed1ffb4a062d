"""The renewal campaign: each signed convention ending within 12 months, its days left, where
its renewal stands (no request / request at step X / successor at step Y) and the next action,
for staff (dashboard) and for the association's coordinators (their convention's page).

A convention ending within 60 days without a signed successor stands out: its payment clock
and the funders' deliberations make it late already.
"""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.urls import reverse
from django.utils.translation import gettext as _

from conventions.models import (
    OPEN_REQUEST_STATUSES,
    SIGNED_STATUSES,
    Convention,
    ConventionStatus,
    RequestStatus,
    SubsidyRequest,
)

URGENT_DAYS = 60
RUNNING_STATUSES = [ConventionStatus.SIGNED, ConventionStatus.NOTIFIED, ConventionStatus.IN_FORCE]


@dataclass(frozen=True)
class CampaignRow:
    convention: Convention
    days_left: int
    stage: str
    action_label: str
    action_url: str
    urgent: bool


def _next_step(successor: Convention, for_staff: bool) -> tuple[str, str]:
    url = successor.get_absolute_url()
    if not for_staff:
        return _("Voir la convention suivante"), url
    labels = {
        ConventionStatus.DRAFT: _("Relire et déclarer prête"),
        ConventionStatus.READY: _("Envoyer en signature"),
        ConventionStatus.OUT_FOR_SIGNATURE: _("Recueillir les signatures"),
        ConventionStatus.SIGNED: _("Notifier l'association"),
    }
    return labels.get(successor.status, _("Voir la convention suivante")), url


def _request_step(request: SubsidyRequest, for_staff: bool) -> tuple[str, str]:
    if for_staff:
        label = {
            RequestStatus.SUBMITTED: _("Instruire la demande"),
            RequestStatus.IN_REVIEW: _("Décider de la demande"),
        }.get(request.status, _("Voir la demande"))
    else:
        label = (
            _("Compléter et déposer la demande") if request.is_editable else _("Suivre la demande")
        )
    return label, request.get_absolute_url()


def campaign_row(
    convention: Convention,
    today: datetime.date,
    *,
    for_staff: bool,
    requests=None,
    successors: dict[int, Convention] | None = None,
) -> CampaignRow:
    if successors is None:
        successor = Convention.objects.filter(renews=convention).first()
    else:
        successor = successors.get(convention.pk)
    days_left = (convention.end_date - today).days
    if successor is not None:
        stage = _("Convention suivante %(reference)s : %(status)s") % {
            "reference": successor.reference,
            "status": successor.get_status_display().lower(),
        }
        label, url = _next_step(successor, for_staff)
        signed = successor.status in SIGNED_STATUSES
    else:
        signed = False
        candidates = (
            requests
            if requests is not None
            else SubsidyRequest.objects.filter(renews=convention, status__in=OPEN_REQUEST_STATUSES)
        )
        request = next((r for r in candidates if r.renews_id == convention.pk), None)
        if request is not None:
            stage = _("Demande de renouvellement : %(status)s") % {
                "status": request.get_status_display().lower()
            }
            label, url = _request_step(request, for_staff)
        else:
            stage = _("Aucune demande de renouvellement")
            if for_staff:
                label, url = _("Renouveler"), reverse("conventions:renew", args=[convention.pk])
            else:
                label, url = (
                    _("Déposer la demande de renouvellement"),
                    reverse("conventions:requests"),
                )
    if signed:
        stage = _("Renouvelée : %(stage)s") % {"stage": stage}
    return CampaignRow(
        convention=convention,
        days_left=days_left,
        stage=stage,
        action_label=label,
        action_url=url,
        urgent=days_left <= URGENT_DAYS and not signed,
    )


def ending_within(today: datetime.date, months: int = 12):
    return (
        Convention.objects.filter(
            status__in=RUNNING_STATUSES,
            end_date__gte=today,
            end_date__lte=today + relativedelta(months=months),
        )
        .select_related("association")
        .order_by("end_date", "association__name")
    )


def is_ending_within(convention: Convention, today: datetime.date, months: int = 12) -> bool:
    """`ending_within` for one convention already read (no query)."""
    return (
        convention.status in RUNNING_STATUSES
        and today <= convention.end_date <= today + relativedelta(months=months)
    )


def convention_campaign(
    convention: Convention, chain: list[Convention], today: datetime.date, *, for_staff: bool
) -> list[CampaignRow]:
    """The campaign panel of one convention page: its row when it ends within 12 months, the
    successor taken from its renewal chain (already read for the page)."""
    if not is_ending_within(convention, today):
        return []
    successors = {earlier.pk: later for earlier, later in itertools.pairwise(chain)}
    return [campaign_row(convention, today, for_staff=for_staff, successors=successors)]


def renewal_campaign(
    today: datetime.date, *, for_staff: bool = True, conventions=None
) -> list[CampaignRow]:
    conventions = list(ending_within(today) if conventions is None else conventions)
    requests = list(
        SubsidyRequest.objects.filter(
            renews__in=conventions, status__in=OPEN_REQUEST_STATUSES
        ).order_by("-created_at")
    )
    successors = {
        successor.renews_id: successor
        for successor in Convention.objects.filter(renews__in=conventions)
    }
    return [
        campaign_row(
            convention, today, for_staff=for_staff, requests=requests, successors=successors
        )
        for convention in conventions
    ]
