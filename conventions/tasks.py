"""Periodic tasks of the conventions (scheduled by Celery beat, see CELERY_BEAT_SCHEDULE)."""

from celery import shared_task


@shared_task(name="conventions.send_renewal_reminders")
def send_renewal_reminders() -> int:
    """E-mail staff 6 months before a convention ends; each convention is reminded once."""
    from conventions.reminders import send_due_renewal_reminders

    return send_due_renewal_reminders()


@shared_task(name="conventions.close_ended_conventions")
def close_ended_conventions() -> int:
    """Mark conventions in force whose end date has passed as expired (or renewed)."""
    from conventions.reminders import close_ended

    return close_ended()
