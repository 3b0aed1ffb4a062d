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
