"""The back-office user admin: agents correct accounts, only superusers touch rights.

Who may change which account is decided in solidaren/roles.py; every path of the user admin
(change and save-as-new, password, delete and bulk delete, inlines) goes through the permission
methods below, so an account one may not change answers 403 and nothing is written. On the
accounts they may change, non-superusers find the rights fields read-only: posted anyway,
they are ignored.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters

from associations.models import Membership
from solidaren import roles
from solidaren.autocomplete import TamperProofAutocomplete
from solidaren.models import User

RIGHTS_FIELDS = ["is_staff", "is_superuser", "groups", "user_permissions"]


class MembershipInline(TamperProofAutocomplete, admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["association"]
    verbose_name = _("association coordonnée")
    verbose_name_plural = _("associations coordonnées")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Identité"), {"fields": ("first_name", "last_name")}),
        (
            _("Droits"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)

    def has_change_permission(self, request, obj=None):
        if obj is not None and not roles.may_change_account(actor=request.user, account=obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not roles.may_delete_account(actor=request.user, account=obj):
            return False
        return super().has_delete_permission(request, obj)

    def get_fieldsets(self, request, obj=None):
        """Without the password row (and its button) for those who may not set one."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or roles.may_set_password(actor=request.user):
            return fieldsets
        return [
            (title, {**options, "fields": [f for f in options["fields"] if f != "password"]})
            for title, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        """Only superusers grant rights, and nobody else deactivates their own account."""
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += RIGHTS_FIELDS
            if obj is not None and obj.pk == request.user.pk:
                readonly.append("is_active")
        return readonly

    @method_decorator(sensitive_post_parameters())
    def user_change_password(self, request, id, form_url=""):
        if not roles.may_set_password(actor=request.user):
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)
