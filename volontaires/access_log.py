"""The access log of residents' records: every page that shows staff a resident's record
writes one row (who, when, which resident, from which page), never the data it showed.

The data protection officer reads it (`ResidentAccessLog.objects.visible_to`); nobody edits
it; the retention job deletes rows older than `RESIDENT_ACCESS_LOG_RETENTION_MONTHS`.
"""

from __future__ import annotations

import datetime

from django.db.models import QuerySet

from solidaren.models import User
from volontaires.models import ResidentAccessLog, ResidentAccessSource

PATH_LENGTH = ResidentAccessLog._meta.get_field("path").max_length


def record_resident_access(
    *, user: User, resident_id: int, source: ResidentAccessSource, path: str
) -> ResidentAccessLog:
    """`path` is the page's path without its query string (filters may hold search text)."""
    return ResidentAccessLog.objects.create(
        user=user, resident_id=resident_id, source=source, path=path[:PATH_LENGTH]
    )


def delete_entries_before(moment: datetime.datetime) -> int:
    deleted, _per_model = ResidentAccessLog.objects.filter(accessed_at__lt=moment).delete()
    return deleted


def readers(entries: QuerySet) -> QuerySet:
    """The people who appear in `entries`, for the "by user" filter of the log page."""
    return User.objects.filter(pk__in=entries.values("user_id")).order_by("last_name", "email")
