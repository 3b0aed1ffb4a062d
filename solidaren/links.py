"""Absolute links to the portal, always from the one SITE_URL setting.

A link in an e-mail or a calendar feed must work from another device, and it must not depend on
which host name the request that caused it happened to use (127.0.0.1, a proxy's internal name).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


def absolute_url(path: str) -> str:
    """`path` (starting with /) on the portal's public address."""
    return settings.SITE_URL + path


@dataclass(frozen=True)
class SiteIdentity:
    """What allauth's mail templates read from `current_site`: the portal's name and address
    instead of the request's host (django.contrib.sites is not installed)."""

    name: str
    domain: str


def site_identity() -> SiteIdentity:
    return SiteIdentity(name=settings.SITE_NAME, domain=settings.SITE_URL)
