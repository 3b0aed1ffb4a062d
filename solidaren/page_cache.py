"""Pages and parts of pages kept in the shared cache until the data they show change.

A scope names the tables a part reads ("associations": the directory's). Every statement that
writes one of those tables (INSERT, UPDATE, DELETE, whatever the code that sends it: save(),
QuerySet.update, bulk_create, a Celery task) gives the scope a new version, at once and again
when the transaction commits (a request that read the old rows meanwhile cannot keep them
under the new version); a part is cached under the current versions of its scopes, so a change
shows on the very next request. Every part expires after PAGE_CACHE_SECONDS anyway.

Signed-in pages (`signed_in_page`) are kept per user and session, after the view has checked
who may see them, under the scope "signed-in": every table a page may show, people and rights
included. Their CSRF token is put in when the copy is served, masked anew each time.

Used only with a cache that every process shares (Redis, CACHE_URL): with a per-process cache
a change made in one worker would not reach the others. While Redis does not answer, parts are
computed on each request (solidaren/cache.py answers from a per-process memory then).
Public parts hold only what is the same for everyone who may see the page, and the view checks
who may see the page before asking for it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import weakref
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import connections
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac

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


def cached(
    name: str,
    *,
    scopes: tuple[str, ...],
    variant: tuple,
    compute: Callable[[], T],
    seconds: int | None = None,
) -> T:
    """`compute()`, or what it returned for the same `variant` (e.g. the query string) in the
    current language since the data of `scopes` last changed (at most `seconds`, by default
    PAGE_CACHE_SECONDS)."""
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
        cache.set(key, value, seconds or settings.PAGE_CACHE_SECONDS)
    return value


SIGNED_IN = "signed-in"


def _csrf_placeholder() -> str:
    """What the cached copy holds where the CSRF token goes: derived from SECRET_KEY, so that
    nobody can type it into a page's text."""
    return salted_hmac("solidaren.page_cache.csrf", "placeholder").hexdigest()


def signed_in_page(request: HttpRequest, template_name: str, context: Callable[[], dict]):
    """`render(request, template_name, context())`, or the copy made for this user and
    session at the same address since no table of the "signed-in" scope changed, and in the
    same minute (the pages compare dates and times with now). Call it once the view has checked
    that the user may see the page: the copy is served without the view's work.

    Not kept: a page with messages to show, a request other than GET."""
    seconds = settings.SIGNED_IN_PAGE_CACHE_SECONDS
    if (
        not seconds
        or not enabled()
        or request.method != "GET"
        or not request.user.is_authenticated
        or not request.session.session_key
        or len(messages.get_messages(request))
    ):
        return render(request, template_name, context())
    placeholder = _csrf_placeholder()
    html = cached(
        f"page:{template_name}",
        scopes=(SIGNED_IN,),
        variant=(
            # A copy made under another SECRET_KEY holds another placeholder (a new key also
            # renews sessions, but a copy must never depend on that).
            placeholder,
            request.user.pk,
            request.session.session_key,
            request.get_full_path(),
            timezone.now().replace(second=0, microsecond=0).isoformat(),
        ),
        compute=lambda: render_to_string(
            template_name, {**context(), "csrf_token": placeholder}, request
        ),
        seconds=seconds,
    )
    return HttpResponse(html.replace(placeholder, get_token(request)))


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


# Scopes of each table, filled by `invalidate_on` from the apps' `ready()`.
_scopes_of_table: dict[str, set[str]] = {}

_WRITE = re.compile(
    r"\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+[\"`]?(\w+)", re.IGNORECASE
)


def invalidate_on(scope: str, *app_labels: str, models: Iterable[str] = (), skip=()) -> None:
    """Writing the table of a model of `app_labels` (or of `models`, "app.Model"), except
    `skip`, or one of their many-to-many tables, changes the data of `scope`."""
    chosen = [model for label in app_labels for model in apps.get_app_config(label).get_models()]
    chosen += [apps.get_model(label) for label in models]
    for model in chosen:
        if model._meta.label in skip:
            continue
        tables = [model._meta.db_table]
        tables += [field.remote_field.through._meta.db_table for field in model._meta.many_to_many]
        for table in tables:
            _scopes_of_table.setdefault(table, set()).add(scope)
    connection_created.connect(_watch_connection, dispatch_uid="solidaren.page_cache.watch")
    for connection in connections.all(initialized_only=True):
        _watch_connection(connection=connection)


def _watch_connection(*, connection, **_kwargs) -> None:
    if _note_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(_note_writes)


def _note_writes(execute, sql, params, many, context):
    """Database execute wrapper: the scopes of a table written change, at once and on commit."""
    result = execute(sql, params, many, context)
    match = _WRITE.match(sql) if isinstance(sql, str) else None
    if match and settings.PAGE_CACHE_SECONDS > 0:
        for scope in _scopes_of_table.get(match[1], ()):
            _changed(scope, context["connection"])
    return result


class _OnCommit:
    def __init__(self, scope: str) -> None:
        self.scope = scope

    def __call__(self) -> None:
        data_changed(self.scope)


def _changed(scope: str, connection) -> None:
    data_changed(scope)
    if not connection.in_atomic_block:
        return
    # On commit once per transaction and scope (a bulk write sends thousands of statements).
    # Only the connection's list of commit hooks holds the hook: once run, or dropped by a
    # rollback, it is gone and the weak reference says so.
    pending = connection.__dict__.setdefault("_page_cache_hooks", {})
    hook = pending.get(scope)
    if hook is None or hook() is None:
        callback = _OnCommit(scope)
        connection.on_commit(callback)
        pending[scope] = weakref.ref(callback)
