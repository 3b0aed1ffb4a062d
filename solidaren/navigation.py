"""The main navigation, which depends on who is signed in."""

import functools
from dataclasses import dataclass

from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext_lazy as _

from solidaren.access import Roles, roles_of


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str


def navigation_items(user) -> list[NavItem]:
    return list(
        _items_for(roles_of(user), user.is_authenticated, get_script_prefix(), get_urlconf())
    )


@functools.lru_cache(maxsize=32)
def _items_for(
    roles: Roles, authenticated: bool, _script_prefix: str, _urlconf: str | None
) -> tuple[NavItem, ...]:
    """The menu of a combination of roles, built once per process: its URLs never change and
    its labels are translated when the page is rendered (lazy). Reversing a dozen URLs on
    every page was a tenth of a signed-in page's time (make bench)."""
    items = [
        NavItem(_("Accueil"), reverse("home")),
        NavItem(_("Associations"), reverse("associations:list")),
        NavItem(_("Trouver de l'aide"), reverse("associations:services")),
    ]
    if roles.coordinator:
        items.append(NavItem(_("Mes associations"), reverse("associations:mine")))
    if roles.agent or roles.coordinator:
        label = _("Conventions") if roles.agent else _("Mes conventions")
        items.append(NavItem(label, reverse("conventions:list")))
        items.append(NavItem(_("Comptes rendus"), reverse("conventions:reports")))
        items.append(NavItem(_("Demandes de subvention"), reverse("conventions:requests")))
    if roles.agent:
        items.append(NavItem(_("Tableau de bord"), reverse("conventions:dashboard")))
        items.append(NavItem(_("Demandes et missions"), reverse("volontaires:staff_missions")))
        items.append(NavItem(_("Bilan des volontaires"), reverse("volontaires:staff_figures")))
    elif roles.coordinator:
        items.append(NavItem(_("Appels à volontaires"), reverse("volontaires:calls")))
    if roles.volunteer:
        items.append(NavItem(_("Mon espace volontaire"), reverse("volontaires:my_space")))
        items.append(NavItem(_("Missions ouvertes"), reverse("volontaires:mission_list")))
    elif authenticated and not (roles.agent or roles.coordinator):
        # Signed up through allauth, profile not completed yet.
        items.append(NavItem(_("Devenir volontaire"), reverse("volontaires:profile")))
    if roles.volunteer:
        items.append(NavItem(_("Parcours citoyen"), reverse("volontaires:training")))
    if roles.agent or roles.coordinator or roles.volunteer:
        items.append(NavItem(_("Orientations"), reverse("associations:orientations")))
    if roles.agent:
        items.append(NavItem(_("Back-office"), reverse("admin:index")))
        # TOTP: optional for agents, required for superusers (solidaren.two_factor).
        items.append(NavItem(_("Double authentification"), reverse("mfa_index")))
    if not authenticated:
        items.append(NavItem(_("Devenir volontaire"), reverse("account_signup")))
    return tuple(items)


def navigation(request) -> dict:
    """Context processor: the navigation and the roles of the current user."""
    user = getattr(request, "user", None)
    if user is None:
        return {}
    return {"nav_items": navigation_items(user), "roles": roles_of(user)}
