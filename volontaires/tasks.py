"""Celery tasks of Volontaires Solidaires: notifications, expiry of proposals, reminders."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from solidaren.links import absolute_url


def _send(assignment, template: str, subject: str) -> None:
    from volontaires.privacy import contact_for_assignment, visible_place

    with translation.override(settings.LANGUAGE_CODE):
        body = render_to_string(
            template,
            {
                "assignment": assignment,
                "mission": assignment.mission,
                # A resident's home is written only while the volunteer may read the contact.
                "place": visible_place(assignment.mission, contact_for_assignment(assignment)),
                "volunteer": assignment.volunteer,
                "url": settings.SITE_URL + reverse("volontaires:my_space"),
                "hours": settings.VOLUNTEER_PROPOSAL_HOURS,
            },
        )
    send_mail(subject, body, None, [assignment.volunteer.user.email])


@shared_task(name="volontaires.notify_proposal")
def notify_proposal(assignment_id: int) -> bool:
    """Tells the volunteer a mission is proposed (no resident's contact details in the mail).

    Sent once: the e-mail leaves under the assignment's row lock and `notified_at` records it,
    so a task delivered twice (outbox sweep, broker re-delivery) sends nothing the second time.
    """
    from volontaires.models import Assignment, AssignmentStatus

    with transaction.atomic():
        assignment = (
            Assignment.objects.select_for_update(of=("self",))
            .select_related("mission__mission_type", "mission__quartier", "volunteer__user")
            .filter(pk=assignment_id, status=AssignmentStatus.PROPOSED, notified_at__isnull=True)
            .first()
        )
        if assignment is None:
            return False  # answered or withdrawn before the mail left, or already told
        _send(
            assignment,
            "volontaires/email/proposal.txt",
            f"[SolidaRen] Une mission vous est proposée : {assignment.mission.title}",
        )
        assignment.notified_at = timezone.now()
        assignment.save(update_fields=["notified_at"])
    return True


@shared_task(name="volontaires.notify_cancellation")
def notify_cancellation(assignment_id: int) -> bool:
    """Tells the mission's team that a volunteer called off an accepted mission, with the
    reason. Sent once: `cancellation_notified_at` is set under the row lock."""
    from volontaires.models import Assignment, AssignmentStatus
    from volontaires.proposals import cancellation_recipients

    with transaction.atomic():
        assignment = (
            Assignment.objects.select_for_update(of=("self",))
            .select_related("mission__mission_type", "volunteer__user")
            .filter(
                pk=assignment_id,
                status=AssignmentStatus.CANCELLED,
                cancellation_notified_at__isnull=True,
            )
            .first()
        )
        if assignment is None:
            return False
        recipients = cancellation_recipients(assignment.mission)
        if recipients:
            with translation.override(settings.LANGUAGE_CODE):
                body = render_to_string(
                    "volontaires/email/cancellation.txt",
                    {
                        "assignment": assignment,
                        "mission": assignment.mission,
                        "volunteer": assignment.volunteer,
                        "url": absolute_url(
                            reverse("volontaires:staff_mission", args=[assignment.mission_id])
                            if assignment.mission.association_id is None
                            else reverse("volontaires:call", args=[assignment.mission_id])
                        ),
                    },
                )
            send_mail(
                f"[{settings.SITE_NAME}] Désistement : {assignment.mission.title}",
                body,
                None,
                recipients,
            )
        assignment.cancellation_notified_at = timezone.now()
        assignment.save(update_fields=["cancellation_notified_at"])
    return True


@shared_task(name="volontaires.expire_proposals")
def expire_proposals() -> int:
    from volontaires.proposals import expire_overdue

    return expire_overdue()


@shared_task(name="volontaires.send_mission_reminders")
def send_mission_reminders() -> int:
    """The day before a mission, each accepted volunteer gets one reminder."""
    from volontaires.models import Assignment
    from volontaires.proposals import due_reminders

    today = timezone.localdate()
    sent = 0
    for assignment in due_reminders(today):
        with transaction.atomic():
            locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
            if locked.reminded_on is not None:
                continue
            _send(
                assignment,
                "volontaires/email/reminder.txt",
                f"[SolidaRen] Rappel : {assignment.mission.title} demain",
            )
            locked.reminded_on = today
            locked.save(update_fields=["reminded_on"])
            sent += 1
    return sent


@shared_task(name="volontaires.apply_retention")
def apply_retention() -> dict[str, int]:
    """Daily: anonymises residents and volunteers inactive for too long (warning volunteers
    one month before) and deletes the access log's old rows (volontaires/retention.py)."""
    from volontaires.retention import apply_retention as apply

    return apply().as_dict()


@shared_task(name="volontaires.run_batch_assignment")
def run_batch_assignment(run_id: int) -> bool:
    """Assigns every open mission of the run's scope (volontaires/batch_assignment.py)."""
    from volontaires.batch_assignment import run_batch

    return run_batch(run_id) is not None
