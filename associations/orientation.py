"""Orientation requests: a prescriber orients a person to a service; the receiving structure
answers through a private link that needs no account.

- The person's consent is recorded with the request; only what the service needs is asked.
- The receiving structure's coordinators (or the structure's e-mail when it has none) get a
  link signed with the site's key: it names the request, its structure and the link's version,
  and is valid `LINK_VALID_DAYS` days; renewing it (a new e-mail) makes the previous one void.
- The prescriber is told of the answer. While open, a reminder every `REMINDER_DAYS` days; after
  `EXPIRY_DAYS` days the request expires. Personal fields of closed requests are blanked after
  `settings.ORIENTATION_RETENTION_MONTHS` months (periodic task `associations.orientation_upkeep`).
E-mails are tasks recorded in the outbox, sent once the transaction commits.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from associations.freshness import add_months
from associations.models import (
    OrientationRequest,
    OrientationStatus,
    PrescriberRole,
    Service,
    Structure,
)
from solidaren.access import coordinated_association_ids, is_agent, is_volunteer
from solidaren.models import User

LINK_VALID_DAYS = 8
REMINDER_DAYS = 10
EXPIRY_DAYS = 30
TOKEN_SALT = "associations.orientation.answer"  # noqa: S105 — a signing namespace, not a secret
PERSONAL_FIELDS = ("first_name", "last_name", "phone", "email", "how_to_reach", "reason")


class LinkRefused(Exception):
    """The link is forged, for another request, replaced by a newer one, or expired."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


# --- who orients ------------------------------------------------------------------------------


def prescriber_role_of(user: User) -> str | None:
    """Agents (CCAS, Ville), coordinators, then volunteers during a mission."""
    if is_agent(user):
        return PrescriberRole.AGENT
    if coordinated_association_ids(user):
        return PrescriberRole.COORDINATOR
    if is_volunteer(user):
        return PrescriberRole.VOLUNTEER
    return None


def volunteer_missions(user: User):
    """The missions during which a volunteer may orient someone: accepted or done recently."""
    from volontaires.models import Assignment, AssignmentStatus

    since = timezone.localdate() - datetime.timedelta(days=30)
    return (
        Assignment.objects.filter(
            volunteer__user=user,
            status__in=[AssignmentStatus.ACCEPTED, AssignmentStatus.DONE],
            mission__date__gte=since,
        )
        .select_related("mission")
        .order_by("-mission__date")
    )


def recipients(structure: Structure) -> list[str]:
    """The receiving structure's coordinators, or the structure's own e-mail."""
    association_id = structure.association_id
    emails = []
    if association_id:
        emails = list(
            User.objects.filter(memberships__association_id=association_id, is_active=True)
            .exclude(email="")
            .order_by("email")
            .values_list("email", flat=True)
        )
    if not emails and structure.email:
        emails = [structure.email]
    return emails


@transaction.atomic
def orient(
    *,
    service: Service,
    prescriber: User,
    first_name: str,
    reason: str,
    consent_given: bool,
    last_name: str = "",
    phone: str = "",
    email: str = "",
    how_to_reach: str = "",
    assignment=None,
) -> OrientationRequest:
    role = prescriber_role_of(prescriber)
    if role is None:
        raise PermissionDenied
    if not consent_given:
        raise ValidationError(
            {"consent_given": _("Recueillez d'abord l'accord de la personne pour l'orienter.")}
        )
    if role == PrescriberRole.VOLUNTEER and (
        assignment is None or not volunteer_missions(prescriber).filter(pk=assignment.pk)
    ):
        raise ValidationError(
            {"assignment": _("Choisissez la mission pendant laquelle vous orientez.")}
        )
    if not recipients(service.structure):
        raise ValidationError(
            _("Cette structure n'a ni coordinateur ni e-mail : appelez-la directement.")
        )
    prescriber_association = None
    if role == PrescriberRole.COORDINATOR:
        prescriber_association = prescriber.coordinated_associations.order_by("name").first()
    now = timezone.now()
    orientation = OrientationRequest.objects.create(
        structure=service.structure,
        service=service,
        prescriber=prescriber,
        prescriber_role=role,
        prescriber_association=prescriber_association,
        assignment=assignment if role == PrescriberRole.VOLUNTEER else None,
        first_name=first_name,
        last_name=last_name,
        phone=phone,
        email=email,
        how_to_reach=how_to_reach,
        reason=reason,
        consent_given=True,
        consent_recorded_at=now,
        link_sent_at=now,
    )
    _notify(orientation, "new")
    return orientation


def person_shown_to(user: User, orientation: OrientationRequest, *, today=None) -> bool:
    """Whether `user`'s pages and e-mails show the oriented person (name, contact, reason).

    Agents and the receiving structure's coordinators always (they answer); the prescriber
    under the resident's rule (`volontaires.privacy`): a volunteer who oriented someone during
    a mission, "garder le lien" included, no longer reads them once the mission is over —
    the request's state and structure stay theirs. Select `assignment__mission` and
    `structure` with the request."""
    from volontaires.privacy import orientation_person_is_current

    if is_agent(user) or orientation.structure.association_id in coordinated_association_ids(user):
        return True
    return orientation_person_is_current(orientation, today=today or timezone.localdate())


# --- the private link -------------------------------------------------------------------------


def make_token(orientation: OrientationRequest) -> str:
    return signing.dumps(
        {
            "o": orientation.pk,
            "s": orientation.structure_id,
            "v": orientation.link_version,
        },
        salt=TOKEN_SALT,
        compress=True,
    )


def answer_url(orientation: OrientationRequest) -> str:
    return settings.SITE_URL + reverse(
        "associations:orientation_answer", kwargs={"token": make_token(orientation)}
    )


def read_token(token: str) -> OrientationRequest:
    """The request a link is for, or `LinkRefused` with the French reason."""
    try:
        payload = signing.loads(
            token, salt=TOKEN_SALT, max_age=datetime.timedelta(days=LINK_VALID_DAYS)
        )
    except signing.SignatureExpired:
        payload = signing.loads(token, salt=TOKEN_SALT)  # authentic, only too old
        orientation = OrientationRequest.objects.filter(pk=payload.get("o")).first()
        raise LinkRefused(
            _("Ce lien a expiré (il est valable %(days)s jours).") % {"days": LINK_VALID_DAYS},
            expired=orientation is not None,
        ) from None
    except signing.BadSignature:
        raise LinkRefused(_("Ce lien n'est pas valide.")) from None
    orientation = (
        OrientationRequest.objects.select_related("structure", "service")
        .filter(pk=payload.get("o"), structure_id=payload.get("s"))
        .first()
    )
    if orientation is None:
        raise LinkRefused(_("Ce lien ne correspond à aucune demande de votre structure."))
    if orientation.link_version != payload.get("v"):
        raise LinkRefused(
            _("Un lien plus récent a été envoyé pour cette demande : utilisez le dernier reçu."),
            expired=True,
        )
    return orientation


def token_request_id(token: str) -> int | None:
    """The request an authentic (even expired) link names, to send a fresh one."""
    try:
        return signing.loads(token, salt=TOKEN_SALT).get("o")
    except signing.BadSignature:
        return None


@transaction.atomic
def renew_link(orientation: OrientationRequest) -> OrientationRequest:
    """A new link for the receiving structure (the previous ones stop working)."""
    orientation = OrientationRequest.objects.select_for_update().get(pk=orientation.pk)
    if not orientation.is_open:
        raise ValidationError(_("Cette demande est close : plus de lien à renouveler."))
    orientation.link_version += 1
    orientation.link_sent_at = timezone.now()
    orientation.save(update_fields=["link_version", "link_sent_at"])
    _notify(orientation, "new")
    return orientation


# --- the answer -------------------------------------------------------------------------------


@transaction.atomic
def answer(
    orientation: OrientationRequest, *, accept: bool, reason: str, by: str
) -> OrientationRequest:
    orientation = OrientationRequest.objects.select_for_update().get(pk=orientation.pk)
    if not orientation.is_open:
        raise ValidationError(
            _("Cette demande a déjà reçu une réponse ou a expiré (%(status)s).")
            % {"status": orientation.get_status_display()}
        )
    if not accept and not reason.strip():
        raise ValidationError({"reason": _("Indiquez le motif du refus.")})
    orientation.status = OrientationStatus.ACCEPTED if accept else OrientationStatus.REFUSED
    orientation.decision_reason = reason.strip()
    orientation.decided_at = timezone.now()
    orientation.decided_by = by[:200]
    orientation.save(update_fields=["status", "decision_reason", "decided_at", "decided_by"])
    _notify(orientation, "answered")
    return orientation


# --- periodic upkeep --------------------------------------------------------------------------


def send_reminders(now: datetime.datetime | None = None) -> int:
    """A reminder every `REMINDER_DAYS` days while a request is open."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=REMINDER_DAYS)
    due = OrientationRequest.objects.filter(
        status=OrientationStatus.PENDING, created_at__lte=cutoff
    ).filter(Q(reminded_at__isnull=True) | Q(reminded_at__lte=cutoff))
    count = 0
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            orientation = OrientationRequest.objects.select_for_update().get(pk=pk)
            if not orientation.is_open or (
                orientation.reminded_at and orientation.reminded_at > cutoff
            ):
                continue
            # The reminder carries a fresh link: the first one lasted 8 days only.
            orientation.link_version += 1
            orientation.link_sent_at = now
            orientation.reminded_at = now
            orientation.save(update_fields=["link_version", "link_sent_at", "reminded_at"])
            _notify(orientation, "reminder")
            count += 1
    return count


def expire(now: datetime.datetime | None = None) -> int:
    now = now or timezone.now()
    expired = list(
        OrientationRequest.objects.filter(
            status=OrientationStatus.PENDING,
            created_at__lte=now - datetime.timedelta(days=EXPIRY_DAYS),
        ).values_list("pk", flat=True)
    )
    count = 0
    for pk in expired:
        with transaction.atomic():
            updated = OrientationRequest.objects.filter(
                pk=pk, status=OrientationStatus.PENDING
            ).update(status=OrientationStatus.EXPIRED, decided_at=now)
            if updated:  # not answered meanwhile
                _notify(OrientationRequest.objects.get(pk=pk), "expired")
                count += 1
    return count


def anonymise(now: datetime.datetime | None = None) -> int:
    """Blanks the personal fields of requests closed for longer than the retention period."""
    now = now or timezone.now()
    months = settings.ORIENTATION_RETENTION_MONTHS
    cutoff_day = add_months(timezone.localdate(now), -months)
    cutoff = datetime.datetime.combine(cutoff_day, datetime.time(), tzinfo=datetime.UTC)
    closed = OrientationRequest.objects.filter(anonymised_at__isnull=True).exclude(
        status=OrientationStatus.PENDING
    )
    old = closed.filter(
        Q(decided_at__lt=cutoff) | Q(decided_at__isnull=True, created_at__lt=cutoff)
    )
    return blank_personal_data(old, now)


def blank_personal_data(requests, now: datetime.datetime) -> int:
    """Blanks the person's fields (retention, or the resident's erasure); the row stays for
    the figures."""
    return requests.filter(anonymised_at__isnull=True).update(
        first_name=_("Personne anonymisée"),
        last_name="",
        phone="",
        email="",
        how_to_reach="",
        reason="",
        decision_reason="",
        anonymised_at=now,
    )


def upkeep(now: datetime.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    return {
        "relances": send_reminders(now),
        "expirees": expire(now),
        "anonymisees": anonymise(now),
    }


# --- e-mails ----------------------------------------------------------------------------------


def _notify(orientation: OrientationRequest, event: str) -> None:
    from associations.tasks import notify_orientation
    from solidaren import outbox

    outbox.enqueue(notify_orientation, args=[orientation.pk, event])


# --- "garder le lien" at the end of a volunteer's mission -------------------------------------


def keep_in_touch(*, assignment, association, volunteer: User) -> OrientationRequest | None:
    """The handover to the chosen association becomes an orientation request to its structure,
    so that the association hears of it and answers. The person's consent is the one recorded
    with the resident's request (none recorded: no request, the agents handle the handover);
    only their first name and phone travel."""
    from associations.structures import structure_of

    resident = assignment.mission.resident
    if association is None or resident is None or resident.consent_recorded_at is None:
        return None
    structure = structure_of(association)
    if not recipients(structure):
        return None
    orientation = OrientationRequest.objects.create(
        structure=structure,
        prescriber=volunteer,
        prescriber_role=PrescriberRole.VOLUNTEER,
        assignment=assignment,
        first_name=resident.first_name,
        phone=resident.phone,
        how_to_reach=_("Par le ou la volontaire de la mission, ou au téléphone."),
        reason=_(
            "« Garder le lien » après la mission « %(mission)s » du %(date)s : la personne "
            "aidée souhaite être suivie par votre association."
        )
        % {
            "mission": assignment.mission.title,
            "date": assignment.mission.date.strftime("%d/%m/%Y"),
        },
        consent_given=True,
        consent_recorded_at=resident.consent_recorded_at,
        link_sent_at=timezone.now(),
    )
    _notify(orientation, "new")
    return orientation


# --- figures (staff figures page), counted from the rows -------------------------------------


def orientation_figures() -> dict:
    """Orientations per month, per thématique and per outcome, by aggregate queries."""
    from django.db.models import Count
    from django.db.models.functions import TruncMonth

    from associations.vocabulary import THEMATIQUE_LABELS

    # One aggregate query, grouped by month, outcome and the service's list of thématiques (a
    # JSON list: one row per distinct list); the three views are summed from its few rows.
    grouped = (
        OrientationRequest.objects.order_by()
        .annotate(month=TruncMonth("created_at"))
        .values("month", "status", "service__thematiques")
        .annotate(count=Count("pk"))
    )
    months: dict = {}
    per_outcome: dict[str, int] = {}
    per_thematique: dict[str, int] = {}
    for row in grouped:
        months[row["month"]] = months.get(row["month"], 0) + row["count"]
        per_outcome[row["status"]] = per_outcome.get(row["status"], 0) + row["count"]
        for thematique in row["service__thematiques"] or []:
            label = THEMATIQUE_LABELS.get(thematique, thematique)
            per_thematique[label] = per_thematique.get(label, 0) + row["count"]
    per_month = [{"month": month, "count": count} for month, count in sorted(months.items())]
    return {
        "per_month": per_month,
        "per_outcome": [
            (label, per_outcome.get(value, 0)) for value, label in OrientationStatus.choices
        ],
        "per_thematique": sorted(per_thematique.items(), key=lambda item: (-item[1], item[0])),
        "total": sum(per_outcome.values()),
    }
