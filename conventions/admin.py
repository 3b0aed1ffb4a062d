"""The staff back-office for funders, conventions, amounts and yearly reports.

Every amount and convention keeps its change history (django-simple-history) and every list
exports to CSV or Excel (django-import-export). Rules are enforced by the models' `clean()`,
so the messages here are the same as everywhere else.
"""

import datetime

import tablib
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.forms.models import BaseInlineFormSet
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources
from import_export.admin import ExportMixin
from simple_history.admin import SimpleHistoryAdmin

from conventions import articles, documents, renewal, rules
from conventions.forms import RenewForm, ReportAttachmentForm
from conventions.models import (
    ArticleTemplate,
    BudgetLine,
    Commitment,
    Convention,
    ConventionParty,
    DocumentBatch,
    Funder,
    GeneratedDocument,
    InKindSupport,
    InKindValue,
    NetworkPriority,
    Objective,
    Payment,
    ReportAction,
    ReportAttachment,
    ReportStatus,
    RequestAmount,
    RequestAttachment,
    RequestBudgetLine,
    RequestEvent,
    Subsidy,
    SubsidyRequest,
    YearlyReport,
)
from conventions.reports import return_report, validate_report
from solidaren.autocomplete import TamperProofAutocomplete

# --- exports ----------------------------------------------------------------------------------


class ConventionResource(resources.ModelResource):
    association = fields.Field(attribute="association__name", column_name="association")
    funders = fields.Field(column_name="financeurs")
    total = fields.Field(column_name="total engagé (€)")

    class Meta:
        model = Convention
        fields = [
            "reference",
            "association",
            "funders",
            "purpose",
            "start_date",
            "end_date",
            "status",
            "republican_contract_attested_on",
            "total",
        ]
        export_order = fields

    def dehydrate_funders(self, convention):
        return ", ".join(party.funder.name for party in convention.parties.all())

    def dehydrate_total(self, convention):
        return sum((c.amount for c in convention.commitments.all()), start=0)


class CommitmentResource(resources.ModelResource):
    convention = fields.Field(attribute="convention__reference", column_name="convention")
    association = fields.Field(attribute="convention__association__name", column_name="association")
    funder = fields.Field(attribute="funder__name", column_name="financeur")

    class Meta:
        model = Commitment
        fields = ["convention", "association", "funder", "year", "kind", "amount"]
        export_order = fields


class SubsidyResource(resources.ModelResource):
    association = fields.Field(attribute="association__name", column_name="association")
    funder = fields.Field(attribute="funder__name", column_name="financeur")

    class Meta:
        model = Subsidy
        fields = [
            "association",
            "funder",
            "year",
            "nature",
            "amount",
            "purpose",
            "decision_reference",
            "decided_on",
        ]
        export_order = fields


class PaymentResource(resources.ModelResource):
    convention = fields.Field(attribute="convention__reference", column_name="convention")
    association = fields.Field(attribute="convention__association__name", column_name="association")
    funder = fields.Field(attribute="funder__name", column_name="financeur")
    deadline = fields.Field(attribute="deadline", column_name="échéance légale")

    class Meta:
        model = Payment
        fields = [
            "convention",
            "association",
            "funder",
            "year",
            "amount",
            "notified_on",
            "deadline",
            "scheduled_on",
            "paid_on",
        ]
        export_order = fields


class YearlyReportResource(resources.ModelResource):
    convention = fields.Field(attribute="convention__reference", column_name="convention")
    association = fields.Field(attribute="convention__association__name", column_name="association")

    class Meta:
        model = YearlyReport
        fields = [
            "convention",
            "association",
            "year",
            "status",
            "beneficiaries_count",
            "volunteers_count",
            "volunteer_hours",
            "premises_value",
            "submitted_at",
            "reviewed_at",
        ]
        export_order = fields


class InKindSupportResource(resources.ModelResource):
    """One row per support and year, at that year's value (values per year)."""

    HEADERS = ["convention", "association", "financeur", "type", "locaux", "année", "valeur (€)"]

    class Meta:
        model = InKindSupport
        fields = ["id"]

    def export(self, queryset=None, **kwargs):
        queryset = queryset if queryset is not None else self.get_queryset()
        queryset = queryset.select_related(
            "convention__association", "funder", "premises"
        ).prefetch_related("values")
        data = tablib.Dataset(headers=self.HEADERS)
        for support in queryset:
            for year in support.convention.years:
                data.append(
                    [
                        support.convention.reference,
                        support.convention.association.name,
                        support.funder.name,
                        support.get_kind_display(),
                        support.premises.label if support.premises else support.description,
                        year,
                        support.value_for(year),
                    ]
                )
        return data


class SubsidyRequestResource(resources.ModelResource):
    association = fields.Field(attribute="association__name", column_name="association")
    renews = fields.Field(attribute="renews__reference", column_name="renouvelle")
    asked = fields.Field(column_name="montant demandé (€)")
    granted = fields.Field(column_name="montant accordé (€)")

    class Meta:
        model = SubsidyRequest
        fields = [
            "association",
            "kind",
            "renews",
            "grant_kind",
            "first_year",
            "last_year",
            "status",
            "submitted_at",
            "asked",
            "granted",
        ]
        export_order = fields

    def dehydrate_asked(self, request):
        return sum((amount.asked for amount in request.amounts.all()), start=0)

    def dehydrate_granted(self, request):
        return sum((amount.granted or 0 for amount in request.amounts.all()), start=0)


class FunderResource(resources.ModelResource):
    class Meta:
        model = Funder
        fields = ["name", "short_name", "kind", "siret", "address", "representative"]


def regenerate_stale_convention_document(request, convention_id: int) -> None:
    """After a change, a PDF made from the old data is regenerated (it is now stale)."""
    document, stale = documents.existing_document(f"convention:{convention_id}")
    if stale:
        documents.queue([document])
        messages.info(request, gettext("Le PDF de la convention va être produit à nouveau."))


class ConventionAmountAdmin(SimpleHistoryAdmin):
    """Amounts edited outside the convention form also refresh the convention's PDF."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        regenerate_stale_convention_document(request, obj.convention_id)


# --- list filters -----------------------------------------------------------------------------


class CoveredYearFilter(admin.SimpleListFilter):
    title = _("année couverte")
    parameter_name = "annee"

    def lookups(self, request, model_admin):
        bounds = Convention.objects.order_by("start_date").values_list("start_date", flat=True)
        first = bounds.first()
        last = Convention.objects.order_by("-end_date").values_list("end_date", flat=True).first()
        if first is None or last is None:
            return []
        return [(year, year) for year in range(last.year, first.year - 1, -1)]

    def queryset(self, request, queryset):
        if self.value():
            try:
                return queryset.covering_year(int(self.value()))
            except ValueError:
                return queryset.none()
        return queryset


class LatePaymentFilter(admin.SimpleListFilter):
    title = _("retard de versement")
    parameter_name = "retard"

    def lookups(self, request, model_admin):
        return [("oui", _("En retard (plus de 60 jours après la notification)"))]

    def queryset(self, request, queryset):
        if self.value() == "oui":
            late = [payment.pk for payment in rules.late_payments(datetime.date.today())]
            return queryset.filter(pk__in=late)
        return queryset


# --- inlines ----------------------------------------------------------------------------------


class PartyFormSet(BaseInlineFormSet):
    """Tells the convention which funders will sign it, before the other inlines validate."""

    def clean(self):
        super().clean()
        self.instance.pending_funder_ids = {
            form.cleaned_data["funder"].pk
            for form in self.forms
            if form.cleaned_data.get("funder") and not form.cleaned_data.get("DELETE")
        }


class ClosedYearFormSet(BaseInlineFormSet):
    """Rows of a closed year (validated report) cannot be deleted either."""

    def clean(self):
        super().clean()
        refusals = rules.deletion_refusals(
            form.instance for form in self.deleted_forms if form.instance.pk
        )
        if refusals:
            raise ValidationError(refusals)


class ClosedYearAdminMixin:
    """A closed year's rows are read only in the back-office: their change and delete pages
    refuse to write (403), and the bulk delete action lists them as what cannot be deleted.
    `rules` stays the one judge (the models refuse the same on every other path)."""

    closed_rows_read_only = True

    def _refusals(self, obj) -> list[str]:
        return rules.deletion_refusals([obj]) if obj is not None and obj.pk else []

    def has_change_permission(self, request, obj=None):
        if self.closed_rows_read_only and self._refusals(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if self._refusals(obj):
            return False
        return super().has_delete_permission(request, obj)

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        refusals = rules.deletion_refusals(objs)
        if refusals:
            # Said with the reason rather than as a missing right (has_delete_permission).
            return deleted, counts, set(), [*protected, *refusals]
        return deleted, counts, perms_needed, protected

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if self.closed_rows_read_only and self._refusals(obj):
            messages.warning(
                request,
                gettext(
                    "Cette ligne appartient à une année close (compte rendu validé) : elle ne "
                    "peut plus être modifiée ni supprimée."
                ),
            )
        return super().change_view(request, object_id, form_url, extra_context)


class PartyInline(TamperProofAutocomplete, admin.TabularInline):
    model = ConventionParty
    formset = PartyFormSet
    extra = 0
    min_num = 1
    autocomplete_fields = ["funder"]


class ObjectiveInline(admin.TabularInline):
    model = Objective
    extra = 0
    fields = ["position", "priority", "title", "indicators"]


class CommitmentInline(TamperProofAutocomplete, admin.TabularInline):
    model = Commitment
    formset = ClosedYearFormSet
    extra = 0
    autocomplete_fields = ["funder"]


class PaymentInline(TamperProofAutocomplete, admin.TabularInline):
    model = Payment
    formset = ClosedYearFormSet
    extra = 0
    autocomplete_fields = ["funder"]
    fields = ["funder", "year", "amount", "notified_on", "scheduled_on", "paid_on", "late"]
    readonly_fields = ["late"]

    @admin.display(description=_("en retard"), boolean=True)
    def late(self, payment):
        return payment.is_late() if payment.pk else None


class InKindSupportInline(TamperProofAutocomplete, admin.TabularInline):
    model = InKindSupport
    formset = ClosedYearFormSet
    extra = 0
    autocomplete_fields = ["funder", "premises"]
    show_change_link = True  # its values per year are on its own page


class InKindValueInline(admin.TabularInline):
    model = InKindValue
    formset = ClosedYearFormSet
    extra = 0


@admin.register(Funder)
class FunderAdmin(ExportMixin, admin.ModelAdmin):
    resource_classes = [FunderResource]
    list_display = ["name", "kind", "siret", "representative"]
    list_filter = ["kind"]
    search_fields = ["name", "short_name", "siret"]


@admin.register(NetworkPriority)
class NetworkPriorityAdmin(admin.ModelAdmin):
    list_display = ["position", "title"]


@admin.register(Convention)
class ConventionAdmin(
    ClosedYearAdminMixin, TamperProofAutocomplete, ExportMixin, SimpleHistoryAdmin
):
    closed_rows_read_only = False  # its open years stay editable; the rows judge themselves

    resource_classes = [ConventionResource]
    list_display = [
        "reference",
        "association",
        "kind",
        "start_date",
        "end_date",
        "status",
        "total_committed",
    ]
    list_filter = [
        "status",
        "funders",
        CoveredYearFilter,
        "association__fields_of_action",
        "association__is_structuring",
    ]
    search_fields = ["reference", "purpose", "association__name", "association__short_name"]
    # Explicit: the total's GROUP BY drops the model's ordering, and the autocomplete pages.
    ordering = ["-start_date", "association__name", "pk"]
    autocomplete_fields = ["association", "renews"]
    date_hierarchy = "start_date"
    readonly_fields = [
        "renewal_reminder_sent_on",
        "created_at",
        "renewal_timeline",
        "notified_on",
        "signed_scan_sha256",
    ]
    inlines = [PartyInline, ObjectiveInline, CommitmentInline, PaymentInline, InKindSupportInline]
    fieldsets = [
        (None, {"fields": ["reference", "association", "purpose", "status"]}),
        (_("Période"), {"fields": ["start_date", "end_date", "renews", "renewal_timeline"]}),
        (
            _("Signature"),
            {
                "fields": [
                    "association_signatory",
                    "association_signed_on",
                    "republican_contract_attested_on",
                    "payment_terms",
                    "notified_on",
                    "signed_scan_sha256",
                ]
            },
        ),
        (_("Suivi"), {"fields": ["notes", "renewal_reminder_sent_on", "created_at"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        # Once created, a convention moves through its signature workflow on its portal page
        # (conventions/signature.py: each step checked, dated and version-checked), not by
        # picking a status here. A new one may be entered at any status (past conventions).
        if obj is not None:
            return [*super().get_readonly_fields(request, obj), "status"]
        return super().get_readonly_fields(request, obj)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("association")
            .prefetch_related("parties__funder", "commitments")
            .annotate(total=Sum("commitments__amount"))
        )

    def get_export_queryset(self, request):
        return (
            super().get_export_queryset(request).prefetch_related("parties__funder", "commitments")
        )

    actions = ["generate_documents", "renew_selected"]

    @admin.action(
        description=_("Renouveler les conventions sélectionnées (brouillons 4 ans)"),
        permissions=["add"],
    )
    def renew_selected(self, request, queryset):
        queryset = queryset.select_related("association").order_by("end_date", "pk")
        form = RenewForm(request.POST if "confirm" in request.POST else None)
        if form.is_bound and form.is_valid():
            result = renewal.renew_many(
                queryset, indexation_percent=form.cleaned_data["indexation_percent"]
            )
            for successor in result.created:
                messages.success(
                    request,
                    gettext("%(reference)s créée en brouillon.")
                    % {"reference": successor.reference},
                )
            for _convention, message in result.refused:
                messages.error(request, message)
            return None
        rows = [(convention, renewal.renewal_refusal(convention)) for convention in queryset]
        return render(
            request,
            "admin/conventions/convention/renew_selected.html",
            {
                **self.admin_site.each_context(request),
                "rows": rows,
                "form": form,
                "opts": self.opts,
            },
        )

    @admin.action(description=_("Produire les PDF des conventions sélectionnées"))
    def generate_documents(self, request, queryset):
        batch = documents.queue_batch(
            gettext("Conventions choisies dans le back-office"),
            [documents.convention_document(convention) for convention in queryset],
            user=request.user,
        )
        return redirect(batch)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        regenerate_stale_convention_document(request, form.instance.pk)

    @admin.display(description=_("parties"))
    def kind(self, convention):
        return convention.kind_label

    @admin.display(description=_("total engagé"), ordering="total")
    def total_committed(self, convention):
        return rules.euro(convention.total or 0)

    @admin.display(description=_("renouvellements"))
    def renewal_timeline(self, convention):
        if not convention.pk:
            return "—"
        # Plain text: the back-office escapes it (no markup needed, so no format_html).
        return " → ".join(
            f"{item.start_date.year} ({item.reference})" for item in convention.renewal_chain()
        )


@admin.register(Commitment)
class CommitmentAdmin(
    ClosedYearAdminMixin, TamperProofAutocomplete, ExportMixin, ConventionAmountAdmin
):
    resource_classes = [CommitmentResource]
    list_display = ["convention", "funder", "year", "kind", "amount"]
    list_filter = ["year", "funder", "kind", "convention__status"]
    search_fields = ["convention__reference", "convention__association__name"]
    autocomplete_fields = ["convention", "funder"]
    list_select_related = ["convention__association", "funder"]


@admin.register(Payment)
class PaymentAdmin(
    ClosedYearAdminMixin, TamperProofAutocomplete, ExportMixin, ConventionAmountAdmin
):
    resource_classes = [PaymentResource]
    list_display = [
        "convention",
        "funder",
        "year",
        "amount",
        "notified_on",
        "deadline",
        "paid_on",
        "late",
    ]
    list_filter = [LatePaymentFilter, "year", "funder"]
    search_fields = ["convention__reference", "convention__association__name"]
    autocomplete_fields = ["convention", "funder"]
    list_select_related = ["convention__association", "funder"]

    @admin.display(description=_("échéance légale"))
    def deadline(self, payment):
        return payment.deadline

    @admin.display(description=_("en retard"), boolean=True)
    def late(self, payment):
        return payment.is_late()


@admin.register(InKindSupport)
class InKindSupportAdmin(
    ClosedYearAdminMixin, TamperProofAutocomplete, ExportMixin, ConventionAmountAdmin
):
    resource_classes = [InKindSupportResource]
    closed_rows_read_only = False  # new values from an open year are added on its page
    inlines = [InKindValueInline]
    list_display = ["convention", "funder", "kind", "premises", "yearly_value"]
    list_filter = ["kind", "funder"]
    search_fields = ["convention__reference", "convention__association__name", "description"]
    autocomplete_fields = ["convention", "funder", "premises"]
    list_select_related = ["convention__association", "funder", "premises"]


@admin.register(Subsidy)
class SubsidyAdmin(TamperProofAutocomplete, ExportMixin, SimpleHistoryAdmin):
    resource_classes = [SubsidyResource]
    list_display = ["association", "funder", "year", "nature", "amount", "decided_on"]
    list_filter = ["year", "funder", "nature"]
    search_fields = ["association__name", "purpose", "decision_reference"]
    autocomplete_fields = ["association", "funder"]
    list_select_related = ["association", "funder"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        for alert in rules.uncovered_support_alerts(obj.year):
            if (alert.association_id, alert.funder_id) == (obj.association_id, obj.funder_id):
                messages.warning(
                    request,
                    rules.uncovered_support_message(
                        obj.association, obj.funder, obj.year, alert.total
                    ),
                )


class BudgetLineInline(admin.TabularInline):
    model = BudgetLine
    extra = 0


class ReportActionInline(admin.StackedInline):
    model = ReportAction
    extra = 0


class ReportAttachmentInline(admin.TabularInline):
    model = ReportAttachment
    form = ReportAttachmentForm  # uploads: the same PDF checks as in the portal
    extra = 0


@admin.register(YearlyReport)
class YearlyReportAdmin(TamperProofAutocomplete, ExportMixin, SimpleHistoryAdmin):
    resource_classes = [YearlyReportResource]
    list_display = ["convention", "year", "status", "due", "submitted_at", "reviewed_at"]
    list_filter = ["status", "year", "convention__funders"]
    search_fields = ["convention__reference", "convention__association__name"]
    autocomplete_fields = ["convention"]
    list_select_related = ["convention__association"]
    readonly_fields = ["submitted_at", "submitted_by", "reviewed_at", "reviewed_by"]
    inlines = [ReportActionInline, BudgetLineInline, ReportAttachmentInline]
    actions = ["validate_selected", "return_selected"]

    @admin.display(description=_("échéance"))
    def due(self, report):
        return report.due_date

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status == ReportStatus.VALIDATED:
            return [field.name for field in obj._meta.fields]
        return super().get_readonly_fields(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.status == ReportStatus.VALIDATED:
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description=_("Valider les comptes rendus sélectionnés (clôt l'année)"))
    def validate_selected(self, request, queryset):
        self._transition(request, queryset, validate_report)

    @admin.action(
        description=_("Renvoyer à l'association avec le commentaire saisi sur chaque compte rendu")
    )
    def return_selected(self, request, queryset):
        def return_with_comment(report, *, reviewer):
            return return_report(report, reviewer=reviewer, comment=report.staff_comment)

        self._transition(request, queryset, return_with_comment)

    def _transition(self, request, queryset, transition):
        done = 0
        for report in queryset.select_related("convention__association"):
            try:
                transition(report, reviewer=request.user)
                done += 1
            except ValidationError as error:
                messages.error(request, f"{report} : {' '.join(error.messages)}")
        if done:
            messages.success(
                request, gettext("%(count)d compte(s) rendu(s) traité(s).") % {"count": done}
            )


class ArticleTemplateForm(forms.ModelForm):
    """The text is checked by the model's `clean` (the sandbox); the help lists what it may use."""

    class Meta:
        model = ArticleTemplate
        fields = ["position", "title", "body", "is_active"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].help_text = articles.help_text()


@admin.register(ArticleTemplate)
class ArticleTemplateAdmin(SimpleHistoryAdmin):
    form = ArticleTemplateForm
    list_display = ["position", "title", "is_active"]
    list_editable = ["is_active"]


@admin.register(GeneratedDocument)
class GeneratedDocumentAdmin(admin.ModelAdmin):
    change_list_template = "admin/conventions/generateddocument/change_list.html"
    list_display = [
        "subject_key",
        "kind",
        "year",
        "status",
        "page_count",
        "attempts",
        "finished_at",
        "download",
    ]
    list_filter = ["kind", "status", "year"]
    search_fields = ["subject_key", "convention__reference", "association__name"]
    readonly_fields = [field.name for field in GeneratedDocument._meta.fields] + ["download"]
    list_select_related = ["convention", "association"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("fichier"))
    def download(self, document):
        if document.status != "termine":
            return "—"
        return format_html('<a href="{}">PDF</a>', document.get_download_url())

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "generate_year_url": reverse("conventions:generate_year"),
            "current_year": datetime.date.today().year,
        }
        return super().changelist_view(request, extra_context)


@admin.register(DocumentBatch)
class DocumentBatchAdmin(admin.ModelAdmin):
    list_display = ["label", "created_by", "created_at"]
    readonly_fields = ["label", "created_by", "created_at"]

    def has_add_permission(self, request):
        return False


class RequestAmountInline(TamperProofAutocomplete, admin.TabularInline):
    model = RequestAmount
    extra = 0
    autocomplete_fields = ["funder"]


class RequestBudgetLineInline(admin.TabularInline):
    model = RequestBudgetLine
    extra = 0


class RequestAttachmentInline(admin.TabularInline):
    model = RequestAttachment
    extra = 0
    fields = ["kind", "title", "file", "report", "sha256"]
    readonly_fields = ["file", "report", "sha256"]  # uploaded in the portal, through its checks

    def has_add_permission(self, request, obj=None):
        return False


class RequestEventInline(admin.TabularInline):
    model = RequestEvent
    extra = 0
    readonly_fields = ["status", "comment", "author", "at"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SubsidyRequest)
class SubsidyRequestAdmin(TamperProofAutocomplete, ExportMixin, SimpleHistoryAdmin):
    """Read and exported here; the steps (déposer, instruire, accepter...) are the portal's,
    so that each one is dated, signed and e-mailed (conventions/subsidy_requests.py)."""

    resource_classes = [SubsidyRequestResource]
    list_display = ["association", "kind", "first_year", "last_year", "status", "submitted_at"]
    list_filter = ["status", "kind", "first_year"]
    search_fields = ["association__name", "renews__reference"]
    autocomplete_fields = ["association", "renews"]
    list_select_related = ["association"]
    readonly_fields = ["status", "successor", "submitted_at", "created_by", "created_at"]
    inlines = [
        RequestAmountInline,
        RequestBudgetLineInline,
        RequestAttachmentInline,
        RequestEventInline,
    ]

    def get_export_queryset(self, request):
        return super().get_export_queryset(request).prefetch_related("amounts")
