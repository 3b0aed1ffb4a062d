"""The back-office history (Django admin's LogEntry rows) of anonymised rows.

The admin keeps, for every addition or change, the object's name as it was then
(`object_repr`) and, for inlines, the names of the related rows (`change_message`). Once a
resident or a volunteer is anonymised, those names are personal data: the entries stay (who
changed what field, when) but say the anonymised name, and "anonymisé·e" for related rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q

REPR_LENGTH = LogEntry._meta.get_field("object_repr").max_length
# Written in place of a name: stored data, the same in every language.
ANONYMISED = "anonymisé·e"


def scrubbed_change_message(message: str) -> str:
    """The admin's JSON change message with the names of added/changed/deleted inline rows
    replaced (the admin needs the key to show the history); any other text is dropped."""
    try:
        actions = json.loads(message)
    except ValueError:
        return ""
    if not isinstance(actions, list):
        return ""
    for action in actions:
        if isinstance(action, dict):
            for detail in action.values():
                if isinstance(detail, dict) and "object" in detail:
                    detail["object"] = ANONYMISED
    return json.dumps(actions)


def purge_identity(instances: Iterable[models.Model]) -> int:
    """Rewrites the history of `instances` (saved, already anonymised) with their current
    name; returns the number of entries rewritten."""
    objects: dict[tuple[int, str], models.Model] = {}
    for instance in instances:
        content_type = ContentType.objects.get_for_model(instance, for_concrete_model=False)
        objects[content_type.pk, str(instance.pk)] = instance
    if not objects:
        return 0
    by_type: dict[int, list[str]] = {}
    for content_type_id, object_id in objects:
        by_type.setdefault(content_type_id, []).append(object_id)
    about = Q()
    for content_type_id, object_ids in by_type.items():
        about |= Q(content_type_id=content_type_id, object_id__in=object_ids)
    entries = list(LogEntry.objects.filter(about))
    for entry in entries:
        entry.object_repr = str(objects[entry.content_type_id, entry.object_id])[:REPR_LENGTH]
        entry.change_message = scrubbed_change_message(entry.change_message)
    LogEntry.objects.bulk_update(entries, ["object_repr", "change_message"], batch_size=500)
    return len(entries)
