"""Parts of pages kept in the shared cache until the data they show change.

A scope names the models a part reads ("associations": the directory's). Every save or delete
of one of those models gives the scope a new version, at once and again when the transaction
commits (a request that read the old rows meanwhile cannot keep them under the new version);
a part is cached under the current versions of its scopes, so a change shows on the very next
request. Writes that bypass the model signals (QuerySet.update, bulk_create) are covered when
a model of the scope is saved in the same transaction (the version changes again on commit);
otherwise they call `data_changed`. Every part expires after PAGE_CACHE_SECONDS anyway.

Used only with a cache that every process shares (Redis, CACHE_URL): with a per-process cache
a change made in one worker would not reach the others. While Redis does not answer, parts are
computed on each request (solidaren/cache.py answers from a per-process memory then).
Only what is the same for everyone who may see the page is cached here, and the view checks
who may see the page before asking for it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import translation

T = TypeVar("T")


def enabled() -> bool:
    return settings.PAGE_CACHE_SECONDS > 0 and getattr(cache, "redis_available", True)


def _version_key(scope: str) -> str:
    return f"page-cache:version:{scope}"


def data_changed(scope: str) -> None:
    """The data of `scope` changed: every part that reads them is computed again."""
    if settings.PAGE_CACHE_SECONDS > 0:
        cache.set(_version_key(scope), secrets.token_hex(8), None)


def _versions(scopes: Iterable[str]) -> list[str] | None:
    keys = [_version_key(scope) for scope in scopes]
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            cache.add(key, secrets.token_hex(8), None)  # the first to ask names the version
            found[key] = cache.get(key)
    versions = [found[key] for key in keys]
    return None if None in versions else versions


def cached(name: str, *, scopes: tuple[str, ...], variant: tuple, compute: Callable[[], T]) -> T:
    """`compute()`, or what it returned for the same `variant` (e.g. the query string) in the
    current language since the data of `scopes` last changed."""
    if not enabled():
        return compute()
    versions = _versions(scopes)
    if versions is None:
        return compute()
    signature = repr((name, versions, translation.get_language(), variant))
    key = f"page-cache:{name}:{hashlib.sha256(signature.encode()).hexdigest()}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, settings.PAGE_CACHE_SECONDS)
    return value


def cache_choices(form, names: Iterable[str], *, scope: str) -> None:
    """The selects `names` of `form` offer their options as kept under `scope`: the choices of
    reference data (quartiers, mission types...) without their queries on every list page.
    A submitted value is still checked against the database by the field."""
    for name in names:
        field = form.fields[name]
        field.widget.choices = cached(
            f"choices:{type(form).__module__}.{type(form).__qualname__}.{name}",
            scopes=(scope,),
            variant=(),
            compute=lambda field=field: [
                (str(value), str(label)) for value, label in field.choices
            ],
        )


def invalidate_on(scope: str, *app_labels: str, models: Iterable[str] = (), skip=()) -> None:
    """Every model of `app_labels` (and each of `models`, "app.Model"), except `skip`, changes
    the data of `scope`; called from the apps' `ready()`."""

    def changed(**_kwargs) -> None:
        data_changed(scope)
        transaction.on_commit(lambda: data_changed(scope))

    chosen = [model for label in app_labels for model in apps.get_app_config(label).get_models()]
    chosen += [apps.get_model(label) for label in models]
    for model in chosen:
        if model._meta.label in skip:
            continue
        uid = f"page-cache:{scope}:{model._meta.label}"
        post_save.connect(changed, sender=model, weak=False, dispatch_uid=uid)
        post_delete.connect(changed, sender=model, weak=False, dispatch_uid=uid)
        for field in model._meta.many_to_many:
            m2m_changed.connect(
                changed, sender=field.remote_field.through, weak=False, dispatch_uid=uid
            )
