"""Back-office autocompletes that survive a tampered value.

Django's autocomplete widget re-displays a refused value by querying the related table with
it: a posted id that is not a number ("abc", "1.5") then raises inside the template and the
form error becomes a 500. These widgets keep only the values the related key can hold, so the
form shows its French error ("Sélectionnez un choix valide") with an empty field instead.
The same goes for a value out of the key's range or holding a NUL character.
Every back-office admin or inline with `autocomplete_fields` mixes in `TamperProofAutocomplete`.

On the search side, Django passes the autocomplete's `term` to the database as it came, and
PostgreSQL refuses a NUL character (a 500); the back-office site (`BackOfficeSite`, installed
by `solidaren.apps.BackOfficeAdminConfig`) searches without it, as the change lists do.
"""

from django.contrib.admin import AdminSite, widgets
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core.exceptions import ValidationError


class _ValidKeysOnly:
    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [v for v in value if self._is_valid_key(v)], attr)

    def _is_valid_key(self, value) -> bool:
        remote_opts = self.field.remote_field.model._meta
        to_field_name = getattr(self.field.remote_field, "field_name", remote_opts.pk.attname)
        key_field = remote_opts.get_field(to_field_name)
        if "\x00" in str(value):  # PostgreSQL refuses it even in a text key
            return False
        try:
            key_field.run_validators(key_field.to_python(value))  # type and database range
        except (TypeError, ValueError, ValidationError):
            return False
        return True


class AutocompleteSelect(_ValidKeysOnly, widgets.AutocompleteSelect):
    pass


class AutocompleteSelectMultiple(_ValidKeysOnly, widgets.AutocompleteSelectMultiple):
    pass


class TamperProofAutocomplete:
    """ModelAdmin / InlineModelAdmin mixin: the autocomplete fields use the widgets above."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = AutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = AutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class BackOfficeAutocompleteJsonView(AutocompleteJsonView):
    def process_request(self, request):
        term, model_admin, source_field, to_field_name = super().process_request(request)
        return term.replace("\x00", ""), model_admin, source_field, to_field_name


class BackOfficeSite(AdminSite):
    """Django's admin site, whose autocomplete search survives a NUL character."""

    def autocomplete_view(self, request):
        return BackOfficeAutocompleteJsonView.as_view(admin_site=self)(request)
