"""Freshness of the directory: each service is checked every 1, 3, 6 or 12 months.

- fresh: updated within its frequency;
- to check: past its frequency (its structure's coordinators are asked to confirm or edit);
- stale: past twice its frequency.
"""

from __future__ import annotations

import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _


class Freshness(models.TextChoices):
    FRESH = "a-jour", _("À jour")
    TO_CHECK = "a-verifier", _("À vérifier")
    STALE = "perime", _("Ancienne information")


def add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last_day = [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30,
                31, 30, 31, 31, 30, 31, 30, 31][month - 1]  # fmt: skip
    return day.replace(year=year, month=month, day=min(day.day, last_day))


def due_on(updated_on: datetime.date, frequency_months: int) -> datetime.date:
    """The day from which the service is to be checked."""
    return add_months(updated_on, frequency_months)


def freshness(updated_on: datetime.date, frequency_months: int, today: datetime.date) -> str:
    if today < due_on(updated_on, frequency_months):
        return Freshness.FRESH
    if today < add_months(updated_on, 2 * frequency_months):
        return Freshness.TO_CHECK
    return Freshness.STALE


def freshness_label(value: str) -> str:
    return str(Freshness(value).label)


# --- reminders, one-click confirmation, campaigns -------------------------------------------

CONFIRM_SALT = "associations.freshness.confirm"
CONFIRM_VALID_DAYS = 60


def due(services, today: datetime.date) -> list:
    """Services past their frequency, stalest first."""
    late = [s for s in services if freshness(s.updated_on, s.update_frequency, today) != "a-jour"]
    return sorted(late, key=lambda s: due_on(s.updated_on, s.update_frequency))


def by_staleness(services, today: datetime.date) -> list:
    return sorted(services, key=lambda s: (due_on(s.updated_on, s.update_frequency), s.name))


def confirm_token(service) -> str:
    from django.core import signing

    return signing.dumps({"s": service.pk, "d": service.updated_on.isoformat()}, salt=CONFIRM_SALT)


def service_from_token(token: str):
    """The service a confirmation link is for, or a French reason (str) why not."""
    from django.core import signing
    from django.utils.translation import gettext as _

    from associations.models import Service

    try:
        payload = signing.loads(
            token, salt=CONFIRM_SALT, max_age=datetime.timedelta(days=CONFIRM_VALID_DAYS)
        )
    except signing.SignatureExpired:
        return _("Ce lien a expiré : un nouveau vous sera envoyé à la prochaine relance.")
    except signing.BadSignature:
        return _("Ce lien n'est pas valide.")
    service = Service.objects.select_related("structure").filter(pk=payload.get("s")).first()
    if service is None:
        return _("Ce service n'existe plus.")
    if service.updated_on.isoformat() != payload.get("d"):
        return _("Ce service a déjà été confirmé ou modifié depuis l'envoi de ce lien : merci !")
    return service


def confirm(service, today: datetime.date | None = None) -> None:
    """ "Still correct": the service is fresh again from today."""
    from django.utils import timezone

    service.updated_on = today or timezone.localdate()
    service.freshness_reminded_on = None
    service.save(update_fields=["updated_on", "freshness_reminded_on"])


def remind(services, today: datetime.date, *, again: bool = False) -> int:
    """E-mails the structures' coordinators of the services to check (once per period unless
    `again`, for a staff campaign); returns how many services were asked about."""
    from associations.tasks import notify_freshness
    from solidaren import outbox

    count = 0
    for service in due(services, today):
        already = service.freshness_reminded_on and service.freshness_reminded_on >= due_on(
            service.updated_on, service.update_frequency
        )
        if already and not again:
            continue
        service.freshness_reminded_on = today
        service.save(update_fields=["freshness_reminded_on"])
        outbox.enqueue(notify_freshness, args=[service.pk])
        count += 1
    return count
