"""Two-factor authentication (allauth.mfa, TOTP): optional for staff, required for superusers."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

# The account pages (allauth's `account_*` and `mfa_*` URLs: e-mail verification, re-authentication,
# TOTP activation, logout) stay open, so that a superuser can get through the activation.
OPEN_URL_NAME_PREFIXES = ("account_", "mfa_")
OPEN_VIEW_NAMES = {"set_language", "healthz", "admin:logout"}


def totp_required(user) -> bool:
    """Superusers hold every right: their account must not fall to a password alone."""
    return bool(user.is_authenticated and user.is_superuser)


def has_totp(user) -> bool:
    return is_mfa_enabled(user, [Authenticator.Type.TOTP])


class SuperuserTOTPRequiredMiddleware:
    """Sends a superuser without an active TOTP authenticator to its activation page before
    any page of the portal or the back-office."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not totp_required(user) or self._is_open(request):
            return None
        if has_totp(user):
            return None
        messages.warning(
            request,
            _(
                "La double authentification est obligatoire pour les super-utilisateurs : "
                "activez-la avec une application d'authentification pour continuer."
            ),
        )
        return redirect("mfa_activate_totp")

    @staticmethod
    def _is_open(request) -> bool:
        match = request.resolver_match
        if match is None:
            return True
        if match.view_name in OPEN_VIEW_NAMES:
            return True
        # allauth's pages are not namespaced; the back-office's lists of e-mail addresses and
        # authenticators (admin:account_..., admin:mfa_...) are not account pages.
        return (
            not match.namespaces
            and bool(match.url_name)
            and match.url_name.startswith(OPEN_URL_NAME_PREFIXES)
        )
