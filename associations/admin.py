from django.contrib import admin

from associations.models import Association, FieldOfAction, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(FieldOfAction)
class FieldOfActionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Association)
class AssociationAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "commune", "is_structuring", "network_member_since"]
    list_filter = ["is_structuring", "fields_of_action", "commune"]
    search_fields = ["name", "short_name", "rna", "siret"]
    prepopulated_fields = {"slug": ["short_name"]}
    filter_horizontal = ["fields_of_action"]
    inlines = [MembershipInline]
