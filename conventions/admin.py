from django.contrib import admin

from conventions.models import Funder


@admin.register(Funder)
class FunderAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "siret", "representative"]
    list_filter = ["kind"]
    search_fields = ["name", "short_name", "siret"]
