from django.contrib import admin
from import_export import fields, resources
from import_export.admin import ExportMixin
from simple_history.admin import SimpleHistoryAdmin

from associations.forms import ServiceAdminForm
from associations.models import (
    Association,
    FieldOfAction,
    Membership,
    OrientationRequest,
    Premises,
    Service,
    ServiceChange,
    ServiceStop,
    Structure,
)
from solidaren.autocomplete import TamperProofAutocomplete


class AssociationResource(resources.ModelResource):
    fields_of_action = fields.Field(column_name="champs d'action")

    class Meta:
        model = Association
        fields = [
            "name",
            "short_name",
            "rna",
            "siret",
            "address",
            "postal_code",
            "commune",
            "email",
            "phone",
            "website",
            "is_structuring",
            "network_member_since",
            "fields_of_action",
        ]
        export_order = fields

    def dehydrate_fields_of_action(self, association):
        return ", ".join(field.name for field in association.fields_of_action.all())


class MembershipInline(TamperProofAutocomplete, admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class PremisesInline(admin.TabularInline):
    model = Premises
    extra = 0


@admin.register(FieldOfAction)
class FieldOfActionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Association)
class AssociationAdmin(ExportMixin, SimpleHistoryAdmin):
    resource_classes = [AssociationResource]
    list_display = ["name", "short_name", "commune", "is_structuring", "network_member_since"]
    list_filter = ["is_structuring", "fields_of_action", "commune"]
    search_fields = ["name", "short_name", "rna", "siret"]
    prepopulated_fields = {"slug": ["short_name"]}
    filter_horizontal = ["fields_of_action"]
    inlines = [MembershipInline, PremisesInline]

    def get_export_queryset(self, request):
        return super().get_export_queryset(request).prefetch_related("fields_of_action")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        from associations.structures import sync_from_association

        sync_from_association(obj)  # the directory's structure publishes the same fields


@admin.register(Premises)
class PremisesAdmin(TamperProofAutocomplete, admin.ModelAdmin):
    list_display = ["label", "association", "address", "commune", "surface_m2"]
    search_fields = ["label", "address", "association__name"]
    autocomplete_fields = ["association"]
    list_select_related = ["association"]


# --- Directory of services and orientation requests --------------------------------------------


@admin.register(Structure)
class StructureAdmin(TamperProofAutocomplete, admin.ModelAdmin):
    list_display = ["name", "kind", "commune", "source", "updated_on"]
    list_filter = ["kind", "source", "is_demo"]
    search_fields = ["name", "siret", "source_id"]
    autocomplete_fields = ["association"]


class ServiceStopInline(TamperProofAutocomplete, admin.TabularInline):
    model = ServiceStop
    extra = 0
    autocomplete_fields = ["quartier"]


class ServiceChangeInline(admin.TabularInline):
    model = ServiceChange
    extra = 0


@admin.register(Service)
class ServiceAdmin(TamperProofAutocomplete, admin.ModelAdmin):
    form = ServiceAdminForm
    list_display = ["name", "structure", "quartier", "welcome", "updated_on"]
    list_filter = ["welcome", "is_itinerant", "quartier", "source", "is_demo"]
    search_fields = ["name", "structure__name", "source_id"]
    autocomplete_fields = ["structure", "quartier", "languages"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["structure", "quartier"]
    inlines = [ServiceStopInline, ServiceChangeInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        from associations.pocket_guide import queue_guides_of_service

        queue_guides_of_service(form.instance)  # its pocket guides follow the change


@admin.register(OrientationRequest)
class OrientationRequestAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "prescriber_role", "created_at", "decided_at"]
    list_filter = ["status", "prescriber_role"]
    search_fields = ["service__name"]
    list_select_related = ["service"]
    readonly_fields = [
        "prescriber",
        "assignment",
        "consent_given",
        "consent_recorded_at",
        "link_version",
        "link_sent_at",
        "reminded_at",
        "created_at",
        "anonymised_at",
    ]
    raw_id_fields = ["service", "prescriber_association"]

    def has_add_permission(self, request):
        return False  # made in the portal, where consent is recorded
