"""The portal's allauth adapter and sign-up form: login failures left to axes, and the same work
for existing and unknown addresses so that neither the answer nor its time tells them apart."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.account.models import EmailAddress
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest

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


class SignupForm(AllauthSignupForm):
    def try_save(self, request: HttpRequest):
        """An address already in use gets the same answer as a new one (allauth sends its owner
        an e-mail instead of creating an account); hash the password all the same, as creating
        the account does, so that the answer does not come ten times faster."""
        if self.account_already_exists:
            make_password(self.cleaned_data["password1"])
        return super().try_save(request)
