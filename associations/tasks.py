"""Celery tasks of the directory: orientation e-mails and upkeep, freshness reminders.

Tasks take ids and import their domain module inside; they are enqueued through the outbox."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

SUBJECTS = {  # marked for translation, translated when sent
    "new": gettext_noop("[SolidaRen] Nouvelle demande d'orientation vers « %(service)s »"),
    "reminder": gettext_noop("[SolidaRen] Rappel : une demande d'orientation attend votre réponse"),
    "answered": gettext_noop(
        "[SolidaRen] Réponse à votre demande d'orientation vers « %(service)s »"
    ),
    "expired": gettext_noop("[SolidaRen] Demande d'orientation expirée sans réponse"),
}


@shared_task(name="associations.notify_orientation")
def notify_orientation(orientation_id: int, event: str) -> int:
    """New request or reminder → the receiving structure (with its private link); answer or
    expiry → the prescriber. The person's details never travel by e-mail: the link shows them."""
    from associations import orientation as orientations
    from associations.models import OrientationRequest

    orientation = (
        OrientationRequest.objects.select_related("structure", "service", "prescriber")
        .filter(pk=orientation_id)
        .first()
    )
    if orientation is None:
        return 0
    if event in ("new", "reminder"):
        if not orientation.is_open:
            return 0
        to = orientations.recipients(orientation.structure)
        context = {"url": orientations.answer_url(orientation)}
    else:
        if orientation.prescriber is None or not orientation.prescriber.email:
            return 0
        to = [orientation.prescriber.email]
        context = {"url": settings.SITE_URL + orientation.get_absolute_url()}
    with translation.override(settings.LANGUAGE_CODE):
        subject = _(SUBJECTS[event]) % {"service": orientation.target_name}
        body = render_to_string(
            f"associations/email/orientation_{event}.txt",
            {
                "orientation": orientation,
                "days": orientations.LINK_VALID_DAYS,
                **context,
            },
        )
    send_mail(subject, body, None, to)
    return len(to)


@shared_task(name="associations.orientation_upkeep")
def orientation_upkeep() -> dict:
    """Reminders every 10 days, expiry after 30 days, anonymisation after the retention."""
    from associations.orientation import upkeep

    return upkeep()


@shared_task(name="associations.notify_freshness")
def notify_freshness(service_id: int) -> int:
    """Asks the structure to confirm a service "still correct" in one click, or to edit it."""
    from django.urls import reverse

    from associations import freshness
    from associations.models import Service
    from associations.orientation import recipients

    service = Service.objects.select_related("structure").filter(pk=service_id).first()
    if service is None:
        return 0
    to = recipients(service.structure)
    if not to:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        body = render_to_string(
            "associations/email/freshness.txt",
            {
                "service": service,
                "confirm_url": settings.SITE_URL
                + reverse(
                    "associations:service_confirm",
                    kwargs={"token": freshness.confirm_token(service)},
                ),
                "edit_url": settings.SITE_URL
                + reverse("associations:service_edit", kwargs={"slug": service.slug}),
            },
        )
        subject = _("[SolidaRen] « %(service)s » : ces informations sont-elles à jour ?") % {
            "service": service.name
        }
    send_mail(subject, body, None, to)
    return len(to)


@shared_task(name="associations.freshness_reminders")
def freshness_reminders() -> int:
    """Daily: the services past their update frequency are sent to their structures."""
    from django.utils import timezone

    from associations.freshness import remind
    from associations.models import Service

    return remind(Service.objects.select_related("structure"), timezone.localdate())
