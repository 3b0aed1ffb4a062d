"""The one place that answers "may this user see / change this object?".

Each model with restricted access gives its manager a queryset deriving from `AccessQuerySet`
and implements `visible_to(user)` and `editable_by(user)`. Views, exports and downloads never
filter by hand: they call `get_visible_or_404` / `get_editable_or_404` or the queryset methods,
so that a rule changed here changes everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models
from django.shortcuts import get_object_or_404

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from solidaren.models import User


def is_agent(user: User | AnonymousUser) -> bool:
    """City staff: they run the back-office and see everything."""
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def _read_roles(user: User) -> None:
    """The memberships and the volunteer profile's existence in one query, cached on the user
    object (every page asks for the roles, for its menu and its rules)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Exists, OuterRef

    from volontaires.models import VolunteerProfile

    rows = list(
        get_user_model()
        .objects.filter(pk=user.pk)
        .annotate(has_profile=Exists(VolunteerProfile.objects.filter(user=OuterRef("pk"))))
        .values_list("has_profile", "memberships__association_id")
    )
    user._is_volunteer = any(has_profile for has_profile, _ in rows)
    user._coordinated_association_ids = {pk for _, pk in rows if pk is not None}


def coordinated_association_ids(user: User | AnonymousUser) -> set[int]:
    """Ids of the associations this user coordinates (cached on the user object)."""
    if not (user.is_authenticated and user.is_active):
        return set()
    if getattr(user, "_coordinated_association_ids", None) is None:
        _read_roles(user)
    return user._coordinated_association_ids


def is_coordinator(user: User | AnonymousUser) -> bool:
    return bool(coordinated_association_ids(user))


# Data protection officer (GDPR): reads the access log of residents' records. The group is
# created by the migration volontaires/0006_data_protection_officer_group.
DATA_PROTECTION_OFFICER_GROUP = "Délégué·e à la protection des données"


def is_data_protection_officer(user: User | AnonymousUser) -> bool:
    """Members of the data protection officer's group, and superusers."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or user.groups.filter(name=DATA_PROTECTION_OFFICER_GROUP).exists()


def is_volunteer(user: User | AnonymousUser) -> bool:
    """Has a volunteer profile (cached on the user object: asked several times a page)."""
    if not (user.is_authenticated and user.is_active):
        return False
    if getattr(user, "_is_volunteer", None) is None:
        _read_roles(user)
    return user._is_volunteer


@dataclass(frozen=True)
class Roles:
    agent: bool
    coordinator: bool
    volunteer: bool

    @property
    def anonymous(self) -> bool:
        return not (self.agent or self.coordinator or self.volunteer)


def roles_of(user: User | AnonymousUser) -> Roles:
    return Roles(
        agent=is_agent(user), coordinator=is_coordinator(user), volunteer=is_volunteer(user)
    )


class AccessQuerySet(models.QuerySet):
    """Default rule: agents see and change everything, nobody else sees anything."""

    def visible_to(self, user: User | AnonymousUser) -> models.QuerySet:
        return self.all() if is_agent(user) else self.none()

    def editable_by(self, user: User | AnonymousUser) -> models.QuerySet:
        return self.all() if is_agent(user) else self.none()


class OwnedQuerySet(AccessQuerySet):
    """Agents see and change every row; a signed-in user the rows they own (`owner_field`)."""

    owner_field = "user"

    def visible_to(self, user: User | AnonymousUser) -> models.QuerySet:
        if is_agent(user):
            return self.all()
        if user.is_authenticated and user.is_active:
            return self.filter(**{self.owner_field: user})
        return self.none()

    def editable_by(self, user: User | AnonymousUser) -> models.QuerySet:
        return self.visible_to(user)


class AssociationScopedQuerySet(AccessQuerySet):
    """Agents see every row; coordinators the rows of the associations they coordinate."""

    association_id_field = "association_id"

    def visible_to(self, user: User | AnonymousUser) -> models.QuerySet:
        if is_agent(user):
            return self.all()
        return self.filter(
            **{f"{self.association_id_field}__in": coordinated_association_ids(user)}
        )


def _access_queryset(model_or_queryset: type[models.Model] | models.QuerySet) -> AccessQuerySet:
    queryset = (
        model_or_queryset
        if isinstance(model_or_queryset, models.QuerySet)
        else model_or_queryset._default_manager.all()
    )
    if not isinstance(queryset, AccessQuerySet):
        raise TypeError(f"{queryset.model.__name__} has no access rules (AccessQuerySet).")
    return queryset


def get_visible_or_404(
    model_or_queryset: type[models.Model] | models.QuerySet, user: Any, /, **lookup: Any
) -> models.Model:
    """The object if `user` may see it; 404 otherwise, so that its existence does not leak."""
    return get_object_or_404(_access_queryset(model_or_queryset).visible_to(user), **lookup)


def get_editable_or_404(
    model_or_queryset: type[models.Model] | models.QuerySet, user: Any, /, **lookup: Any
) -> models.Model:
    """The object if `user` may change it; 404 if they may not even see it, 403 if read-only."""
    queryset = _access_queryset(model_or_queryset)
    obj = get_object_or_404(queryset.visible_to(user), **lookup)
    if not queryset.editable_by(user).filter(pk=obj.pk).exists():
        raise PermissionDenied
    return obj


def can_view(user: Any, obj: models.Model) -> bool:
    return _access_queryset(type(obj)).visible_to(user).filter(pk=obj.pk).exists()


def can_change(user: Any, obj: models.Model) -> bool:
    return _access_queryset(type(obj)).editable_by(user).filter(pk=obj.pk).exists()


def role_required(*allowed: str):
    """View decorator: the user must hold one of the roles ("agent", "coordinator", "volunteer").

    Anonymous users are sent to the login page; signed-in users without the role get a 403.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            # An agent is known from the user row alone: no query for the other roles.
            if not ("agent" in allowed and is_agent(request.user)):
                roles = roles_of(request.user)
                if not any(getattr(roles, role) for role in allowed):
                    raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
