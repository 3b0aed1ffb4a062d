"""Building blocks of `manage.py load_demo`: idempotent writes and the demo accounts.

Running the loader twice must leave every table unchanged, so nothing here saves an object
whose values did not change (that would also write needless history rows).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from allauth.account.models import EmailAddress
from django.db import models
from stdnum import luhn

from solidaren.models import User
from solidaren.roles import agents_group

DEMO_PASSWORD = "solidaren-demo"  # noqa: S105 — public, in the README: demo accounts only
DEMO_EMAIL_DOMAIN = "demo.solidaren.fr"
AGENT_EMAIL = f"agent@{DEMO_EMAIL_DOMAIN}"

M = TypeVar("M", bound=models.Model)


def upsert(
    model: type[M],
    lookup: dict[str, Any],
    values: dict[str, Any] | None = None,
    many: dict[str, Iterable[models.Model]] | None = None,
) -> M:
    """Create or update one row, writing only what differs (many-to-many sets included)."""
    values = values or {}
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        obj.full_clean()
        obj.save()
    else:
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        if changed:
            for name in changed:
                setattr(obj, name, values[name])
            obj.full_clean()
            obj.save(update_fields=changed)
    for name, related in (many or {}).items():
        wanted = {item.pk for item in related}
        manager = getattr(obj, name)
        if set(manager.values_list("pk", flat=True)) != wanted:
            manager.set(wanted)
    return obj


def demo_siret(serial: int) -> str:
    """A well-formed (Luhn-valid) SIRET for demo organisations whose real number we do not hold."""
    siren_body = f"8{serial:07d}"
    siren = siren_body + luhn.calc_check_digit(siren_body)
    siret_body = siren + "0001"
    return siret_body + luhn.calc_check_digit(siret_body)


def demo_user(email: str, first_name: str, last_name: str, *, is_staff: bool = False) -> User:
    """A demo account with a verified e-mail address, so that it can log in at once."""
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email, DEMO_PASSWORD, first_name=first_name, last_name=last_name, is_staff=is_staff
        )
    else:
        user = upsert(
            User,
            {"email": email},
            {"first_name": first_name, "last_name": last_name, "is_staff": is_staff},
        )
    upsert(EmailAddress, {"user": user, "email": email}, {"verified": True, "primary": True})
    return user


def load_agent() -> User:
    """The demo agent, in the agents' group that the migrations created (solidaren.roles)."""
    agent = demo_user(AGENT_EMAIL, "Camille", "Le Goff", is_staff=True)
    group = agents_group()
    if not agent.groups.filter(pk=group.pk).exists():
        agent.groups.add(group)
    return agent
