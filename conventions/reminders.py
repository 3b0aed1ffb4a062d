"""Reminders and status upkeep of conventions, run daily by Celery beat."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from conventions import rules
from conventions.models import Convention, ConventionStatus
from solidaren.models import User


def alert_recipients() -> list[str]:
    if settings.CONVENTION_ALERT_EMAILS:
        return list(settings.CONVENTION_ALERT_EMAILS)
    return list(
        User.objects.filter(is_staff=True, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )


def send_due_renewal_reminders(today: datetime.date | None = None) -> int:
    """One e-mail per convention ending within 6 months; the sending date is recorded."""
    today = today or timezone.localdate()
    recipients = alert_recipients()
    if not recipients:
        return 0
    sent = 0
    for convention in rules.conventions_due_for_renewal_reminder(today):
        with transaction.atomic():
            locked = Convention.objects.select_for_update().get(pk=convention.pk)
            if locked.renewal_reminder_sent_on is not None:
                continue  # another run got there first
            send_mail(
                subject=_("[SolidaRen] Convention %(reference)s : renouvellement à préparer")
                % {"reference": convention.reference},
                message=render_to_string(
                    "conventions/email/renewal_reminder.txt",
                    {
                        "convention": convention,
                        "months": rules.RENEWAL_REMINDER_MONTHS,
                        "url": settings.SITE_URL + convention.get_absolute_url(),
                    },
                ),
                from_email=None,
                recipient_list=recipients,
            )
            locked.renewal_reminder_sent_on = today
            locked.save(update_fields=["renewal_reminder_sent_on"])
            sent += 1
    return sent


def close_ended(today: datetime.date | None = None) -> int:
    """In force past their end: échue, or renouvelée when the successor is signed
    (conventions/signature.py)."""
    from conventions import signature

    today = today or timezone.localdate()
    ended = Convention.objects.filter(status=ConventionStatus.IN_FORCE, end_date__lt=today)
    for convention in ended:
        signature.end(convention, today=today)
    return len(ended)


def enter_notified_into_force(today: datetime.date | None = None) -> int:
    """Notified conventions whose first day has come are in force."""
    from conventions import signature

    today = today or timezone.localdate()
    starting = Convention.objects.filter(status=ConventionStatus.NOTIFIED, start_date__lte=today)
    for convention in starting:
        signature.enter_into_force(convention, today=today)
    return len(starting)
