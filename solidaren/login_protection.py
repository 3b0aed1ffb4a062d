"""Failed logins: counted in the database per account and per IP, locked with a growing delay.

django-axes records each failure (`AccessAttempt` rows: survive restarts, need no Redis) and
refuses a locked login before any password is checked. Its stock database handler applies one
limit to every key and forgets the failures as soon as a lock ends, so it cannot make a delay
grow; `LoginFailureHandler` keeps the failures past a lock and locks each key (the address
typed, the client's IP) with its own allowance:

- an account is locked after `LOGIN_FAILURES_PER_ACCOUNT` failures within
  `LOGIN_ACCOUNT_FAILURES_KEPT_HOURS`, an IP after `LOGIN_FAILURES_PER_IP` within
  `LOGIN_IP_FAILURES_KEPT_MINUTES` (many accounts tried from one address);
- the lock lasts `LOGIN_LOCKOUT_MINUTES` from the last failure, doubled for each failure after
  a lock ended, at most `LOGIN_LOCKOUT_MAX_MINUTES`;
- attempts during a lock are refused, the right password included, but not counted (so an
  attacker cannot prolong the lock); the owner gets in once it ends, or at once through the
  password-reset e-mail, which forgets the account's failures.

Unknown and existing addresses are counted alike: the lock says nothing about an account.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


def login_identifier(request: HttpRequest | None, credentials: dict | None) -> str | None:
    """The address a login attempt is for (AXES_USERNAME_CALLABLE), normalised.

    allauth authenticates with `email=`, Django's forms with `username=`, axes' own calls with
    its AXES_USERNAME_FORM_FIELD (`login`). Lower-cased so that "Nom@Exemple.fr" and
    "nom@exemple.fr" share one counter, as they share one account.
    """
    credentials = credentials or {}
    value = (
        credentials.get("email")
        or credentials.get(settings.AXES_USERNAME_FORM_FIELD)
        or credentials.get("username")
    )
    if not value and request is not None:
        value = request.POST.get(settings.AXES_USERNAME_FORM_FIELD)
    if not value:
        return None
    return str(value).strip().lower()[:255]


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP as allauth's rate limits see it (AXES_CLIENT_IP_CALLABLE): one
    definition, which follows TRUSTED_PROXY_COUNT behind a proxy."""
    from allauth.account.adapter import get_adapter

    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:
        return None


def lockout_delay(*, failures: int, allowance: int) -> timedelta:
    """How long a key stays locked after its last failure: nothing below its allowance, then
    LOGIN_LOCKOUT_MINUTES doubled for each failure beyond it, capped."""
    if failures < allowance:
        return timedelta(0)
    base = timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    longest = timedelta(minutes=settings.LOGIN_LOCKOUT_MAX_MINUTES)
    doublings = min(failures - allowance, 32)  # 2**32 × base is beyond any cap already
    return min(base * 2**doublings, longest)


@dataclass(frozen=True)
class Lock:
    """One locked key of a login attempt (its account or its IP)."""

    failures: int
    delay: timedelta
    until: datetime


@dataclass(frozen=True)
class Key:
    """What failures are counted by (the address typed, or the client's IP), how many are
    allowed, and for how long after a failure it still counts."""

    lookup: dict
    allowance: int
    kept: timedelta


def failures_kept_longest() -> timedelta:
    return max(
        timedelta(hours=settings.LOGIN_ACCOUNT_FAILURES_KEPT_HOURS),
        timedelta(minutes=settings.LOGIN_IP_FAILURES_KEPT_MINUTES),
    )


class LoginFailureHandler(AxesDatabaseHandler):
    """axes' database handler with one allowance per key and failures kept past a lock."""

    def _keys(self, request: HttpRequest, credentials: dict | None) -> list[Key]:
        keys = []
        username = get_client_username(request, credentials)
        if username:
            keys.append(
                Key(
                    lookup={"username": username},
                    allowance=settings.LOGIN_FAILURES_PER_ACCOUNT,
                    kept=timedelta(hours=settings.LOGIN_ACCOUNT_FAILURES_KEPT_HOURS),
                )
            )
        if request.axes_ip_address:
            # Kept for a shorter time: colleagues' typos behind one office address must not
            # add up over a whole day, while a spraying attacker is still held to ~20 an hour.
            keys.append(
                Key(
                    lookup={"ip_address": request.axes_ip_address},
                    allowance=settings.LOGIN_FAILURES_PER_IP,
                    kept=timedelta(minutes=settings.LOGIN_IP_FAILURES_KEPT_MINUTES),
                )
            )
        return keys

    @staticmethod
    def _now(request: HttpRequest | None) -> datetime:
        return getattr(request, "axes_attempt_time", None) or timezone.now()

    def _failures(
        self, request: HttpRequest, credentials: dict | None
    ) -> list[tuple[int, int, datetime | None]]:
        """(failures, allowance, last failure) for each key of this attempt."""
        now = self._now(request)
        counts = []
        for key in self._keys(request, credentials):
            totals = AccessAttempt.objects.filter(
                attempt_time__gt=now - key.kept, **key.lookup
            ).aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            counts.append((totals["failures"] or 0, key.allowance, totals["last"]))
        return counts

    def locks(self, request: HttpRequest, credentials: dict | None = None) -> list[Lock]:
        """The keys of this attempt that are locked now."""
        now = self._now(request)
        found = []
        for failures, allowance, last in self._failures(request, credentials):
            delay = lockout_delay(failures=failures, allowance=allowance)
            if last is not None and delay and last + delay > now:
                found.append(Lock(failures=failures, delay=delay, until=last + delay))
        return found

    def is_locked(self, request: HttpRequest, credentials: dict | None = None) -> bool:
        return settings.AXES_LOCK_OUT_AT_FAILURE and bool(self.locks(request, credentials))

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """Failures of the most constrained key, counted against the account allowance.

        axes compares this number with AXES_FAILURE_LIMIT (the account allowance) right after
        recording a failure; the IP's count is lowered by the difference of the allowances so
        that either key reaching its own allowance locks.
        """
        counts = self._failures(request, credentials)
        return max(
            (
                failures - allowance + settings.LOGIN_FAILURES_PER_ACCOUNT
                for failures, allowance, _last in counts
            ),
            default=0,
        )

    def clean_expired_user_attempts(
        self, request: HttpRequest | None = None, credentials: dict | None = None
    ) -> int:
        """Forget the failures no key counts any more, not those of an ended lock (the delay of
        the next lock grows from them)."""
        count, _ = AccessAttempt.objects.filter(
            attempt_time__lte=self._now(request) - failures_kept_longest()
        ).delete()
        return count

    def reset_user_attempts(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """After a successful login, forget the account's failures only: logging into one's
        own account must not clear the failures counted against one's IP."""
        username = get_client_username(request, credentials)
        return forget_failures(addresses=[username]) if username else 0


def forget_failures(*, addresses: list[str]) -> int:
    """Forget the failed logins typed for these addresses (their owner proved who they are)."""
    normalised = {address.strip().lower() for address in addresses if address}
    count, _ = AccessAttempt.objects.filter(username__in=normalised).delete()
    return count


def current_locks(request: HttpRequest, credentials: dict | None = None) -> list[Lock]:
    AxesProxyHandler.update_request(request)
    handler = AxesProxyHandler.get_implementation()
    return handler.locks(request, credentials)


def cooloff_time(request: HttpRequest | None) -> timedelta:
    """AXES_COOLOFF_TIME: the delay the current lock of this request lasts (the longest of its
    keys), or the first delay when nothing is locked."""
    base = timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    if request is None:
        return base
    return max((lock.delay for lock in current_locks(request)), default=base)


class LoginProtectionBackend(AxesStandaloneBackend):
    """axes' check, first of AUTHENTICATION_BACKENDS: a locked account or IP is refused before
    any password is checked, so the right password is refused too during the lock.

    `authenticate()` without a request comes from code (the shell, a management command, the
    test client), never from a login form: there is no client to count, so it is let through
    to the other backends instead of raising.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the French lockout page (HTTP 429), saying when to try again and
    offering the password reset, which lets the owner in at once."""
    locks = current_locks(request, credentials)
    now = timezone.now()
    until = max((lock.until for lock in locks), default=now + cooloff_time(request))
    seconds = max(1, math.ceil((until - now).total_seconds()))
    response = render(
        request,
        "login_protection/lockout.html",
        {"retry_at": until, "retry_minutes": math.ceil(seconds / 60)},
        status=HTTPStatus.TOO_MANY_REQUESTS,
    )
    response["Retry-After"] = str(seconds)
    return response
