from django.contrib import admin

from volontaires.models import MissionType, Quartier, VolunteerProfile


@admin.register(Quartier)
class QuartierAdmin(admin.ModelAdmin):
    list_display = ["name", "position"]
    search_fields = ["name"]


@admin.register(MissionType)
class MissionTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "engagement_area", "at_residents_home"]
    list_filter = ["engagement_area", "at_residents_home"]
    search_fields = ["name"]


@admin.register(VolunteerProfile)
class VolunteerProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "commune", "quartier", "created_at"]
    list_filter = ["commune", "quartier"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user", "quartier"]
    filter_horizontal = ["mission_types"]
    list_select_related = ["user", "quartier"]
