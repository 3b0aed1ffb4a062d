"""The portal's allauth adapter and sign-up form: login failures left to axes, and the same work
for existing and unknown addresses so that neither the answer nor its time tells them apart."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.account.models import EmailAddress
from allauth.core import context as allauth_context
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest
from django.urls import reverse

from solidaren.links import absolute_url, site_identity
from solidaren.login_protection import forget_failures


class AccountAdapter(DefaultAccountAdapter):
    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """Wrong passwords are counted by axes (solidaren.login_protection), in the database and
        with a delay, not by allauth's cache counter, which refused the right password as well
        for 5 minutes after 5 failures typed by anyone."""

    def set_password(self, user: AbstractBaseUser, password: str) -> None:
        """A password set through the reset link (or by its logged-in owner) proves who they
        are: the failed logins typed for their addresses are forgotten, which ends a lock."""
        super().set_password(user, password)
        addresses = list(EmailAddress.objects.filter(user=user).values_list("email", flat=True))
        forget_failures(addresses=[user.email, *addresses])

    # Links and the site's name in allauth's e-mails come from SITE_URL and SITE_NAME, not from
    # the request's host (which gave "c'est 127.0.0.1:8801" and links to the wrong port).
    def get_email_confirmation_url(self, request: HttpRequest | None, emailconfirmation) -> str:
        return absolute_url(reverse("account_confirm_email", args=[emailconfirmation.key]))

    def get_reset_password_from_key_url(self, key: str) -> str:
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
        return absolute_url(path.replace("UID-KEY", quote(key)))

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Every allauth mail: the portal's identity, and any absolute link that allauth built
        from the request (sign-up and password-reset links of the "account already exists" and
        "unknown account" mails) moved onto SITE_URL."""
        request = allauth_context.request
        if request is not None:
            request_origin = request.build_absolute_uri("/")
            context = {
                key: absolute_url("/" + value.removeprefix(request_origin))
                if isinstance(value, str) and value.startswith(request_origin)
                else value
                for key, value in context.items()
            }
        super().send_mail(template_prefix, email, {**context, "current_site": site_identity()})


class SignupForm(AllauthSignupForm):
    def try_save(self, request: HttpRequest):
        """An address already in use gets the same answer as a new one (allauth sends its owner
        an e-mail instead of creating an account); hash the password all the same, as creating
        the account does, so that the answer does not come ten times faster."""
        if self.account_already_exists:
            make_password(self.cleaned_data["password1"])
        return super().try_save(request)
