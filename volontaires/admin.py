from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from solidaren.access import is_data_protection_officer
from solidaren.autocomplete import TamperProofAutocomplete
from volontaires.access_log import record_resident_access
from volontaires.models import (
    Assignment,
    AvailabilitySlot,
    Enrolment,
    EnrolmentStatusChange,
    KeepInTouchRequest,
    Language,
    Mission,
    MissionType,
    Programme,
    Quartier,
    Resident,
    ResidentAccessLog,
    ResidentAccessSource,
    TrainingRegistration,
    TrainingSession,
    VolunteerProfile,
)


@admin.register(Quartier)
class QuartierAdmin(admin.ModelAdmin):
    list_display = ["name", "position"]
    search_fields = ["name"]
    filter_horizontal = ["neighbours"]


@admin.register(MissionType)
class MissionTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "engagement_area", "at_residents_home"]
    list_filter = ["engagement_area", "at_residents_home"]
    search_fields = ["name"]


@admin.register(Language)
class LanguageAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "start_date", "end_date"]
    prepopulated_fields = {"slug": ["name"]}


class AvailabilitySlotInline(admin.TabularInline):
    model = AvailabilitySlot
    extra = 0


class EnrolmentInline(admin.TabularInline):
    model = Enrolment
    extra = 0
    fields = ["programme", "signed_up_at", "status", "status_changed_at", "withdrawn_at"]


@admin.register(VolunteerProfile)
class VolunteerProfileAdmin(TamperProofAutocomplete, admin.ModelAdmin):
    list_display = ["user", "commune", "quartier", "is_verified", "created_at"]
    list_filter = ["is_verified", "programmes", "commune", "quartier"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user", "quartier", "verified_by"]
    filter_horizontal = ["mission_types", "languages"]
    list_select_related = ["user", "quartier"]
    inlines = [AvailabilitySlotInline, EnrolmentInline]
    actions = ["mark_verified"]

    @admin.action(description=_("Marquer comme vérifié·es (missions à domicile)"))
    def mark_verified(self, request, queryset):
        from volontaires.casework import verify_volunteer

        for volunteer in queryset.filter(is_verified=False):
            verify_volunteer(volunteer, by=request.user)


class EnrolmentStatusChangeInline(TamperProofAutocomplete, admin.TabularInline):
    model = EnrolmentStatusChange
    extra = 0
    autocomplete_fields = ["changed_by"]


@admin.register(Enrolment)
class EnrolmentAdmin(TamperProofAutocomplete, admin.ModelAdmin):
    list_display = ["volunteer", "programme", "status", "signed_up_at", "withdrawn_at"]
    list_filter = ["programme", "status"]
    search_fields = ["volunteer__user__email", "volunteer__user__last_name"]
    autocomplete_fields = ["volunteer"]
    list_select_related = ["volunteer__user", "programme"]
    inlines = [EnrolmentStatusChangeInline]


@admin.register(Resident)
class ResidentAdmin(TamperProofAutocomplete, admin.ModelAdmin):
    """Each reading of a resident's record (change form, history) is written to the access
    log. Residents are erased (anonymised) from the portal's erasure page, never deleted:
    their missions are counted in the figures."""

    list_display = ["__str__", "programme", "commune", "quartier", "referred_by", "anonymised_at"]
    list_filter = ["programme", "referred_by", "quartier"]
    search_fields = ["first_name", "last_name", "phone"]
    autocomplete_fields = ["quartier", "language", "referring_association", "consent_recorded_by"]
    list_select_related = ["programme", "quartier"]
    readonly_fields = ["anonymised_at"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.anonymised_at is not None:
            return False  # nothing left to change; re-entering an identity is not allowed
        return super().has_change_permission(request, obj)

    def _log_reading(self, request, response, context_key: str, source) -> None:
        resident = (getattr(response, "context_data", None) or {}).get(context_key)
        if request.method == "GET" and response.status_code == 200 and resident is not None:
            record_resident_access(
                user=request.user, resident_id=resident.pk, source=source, path=request.path
            )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        self._log_reading(request, response, "original", ResidentAccessSource.BACK_OFFICE_CHANGE)
        return response

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        self._log_reading(request, response, "object", ResidentAccessSource.BACK_OFFICE_HISTORY)
        return response


class AssignmentInline(TamperProofAutocomplete, admin.TabularInline):
    model = Assignment
    extra = 0
    fields = ["volunteer", "status", "proposed_at", "answered_at", "done_on", "duration_minutes"]
    autocomplete_fields = ["volunteer"]


@admin.register(Mission)
class MissionAdmin(TamperProofAutocomplete, admin.ModelAdmin):
    list_display = ["title", "programme", "mission_type", "date", "status", "places", "urgency"]
    list_filter = ["programme", "status", "origin", "urgency", "mission_type"]
    search_fields = ["title", "description"]
    date_hierarchy = "date"
    autocomplete_fields = [
        "resident",
        "association",
        "quartier",
        "required_language",
        "created_by",
    ]
    list_select_related = ["programme", "mission_type"]
    inlines = [AssignmentInline]


@admin.register(Assignment)
class AssignmentAdmin(TamperProofAutocomplete, admin.ModelAdmin):
    list_display = ["mission", "volunteer", "status", "source", "proposed_at", "done_on"]
    list_filter = ["status", "source", "mission__programme"]
    search_fields = ["mission__title", "volunteer__user__email", "volunteer__user__last_name"]
    autocomplete_fields = ["mission", "volunteer", "proposed_by"]
    list_select_related = ["mission", "volunteer__user"]


class TrainingRegistrationInline(TamperProofAutocomplete, admin.TabularInline):
    model = TrainingRegistration
    extra = 0
    autocomplete_fields = ["volunteer"]


@admin.register(TrainingSession)
class TrainingSessionAdmin(admin.ModelAdmin):
    list_display = ["title", "programme", "starts_at", "place", "capacity"]
    list_filter = ["programme"]
    search_fields = ["title"]
    inlines = [TrainingRegistrationInline]


@admin.register(KeepInTouchRequest)
class KeepInTouchRequestAdmin(TamperProofAutocomplete, admin.ModelAdmin):
    """Keep-in-touch requests of volunteers, for the agents to hand over to an association."""

    list_display = ["assignment", "association", "created_at", "handled"]
    list_filter = ["handled", "assignment__mission__programme"]
    list_editable = ["handled"]
    search_fields = ["assignment__mission__title", "assignment__volunteer__user__last_name"]
    autocomplete_fields = ["association"]
    raw_id_fields = ["assignment"]
    list_select_related = ["assignment__mission", "assignment__volunteer__user", "association"]


@admin.register(ResidentAccessLog)
class ResidentAccessLogAdmin(admin.ModelAdmin):
    """The access log, for the data protection officer only; nobody adds, changes or deletes
    a row (the retention job removes the old ones)."""

    list_display = ["accessed_at", "user", "resident_id", "source", "path"]
    list_filter = ["source", "accessed_at"]
    search_fields = ["user__email", "user__last_name"]
    list_select_related = ["user"]
    date_hierarchy = "accessed_at"
    fields = ["accessed_at", "user", "resident_id", "source", "path"]
    readonly_fields = fields

    def has_view_permission(self, request, obj=None) -> bool:
        return is_data_protection_officer(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
