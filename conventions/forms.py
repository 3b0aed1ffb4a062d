"""Portal forms of the yearly reports: the report itself, its budget table, its actions per
objective, its PDF attachments and the staff review."""

from __future__ import annotations

from pathlib import PurePath

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from conventions.models import (
    BudgetLine,
    Convention,
    ReportAction,
    ReportAttachment,
    RequestAmount,
    RequestAttachment,
    RequestBudgetLine,
    SubsidyRequest,
    YearlyReport,
)
from solidaren.uploads import validate_pdf

MAX_BUDGET_LINES = 200


def _localized_decimals(form: forms.BaseForm) -> None:
    """Decimal fields accept the French comma (12,50) as well as the point."""
    for field in form.fields.values():
        if isinstance(field, forms.DecimalField):
            field.localize = True
            field.widget = forms.TextInput(attrs={"inputmode": "decimal", "size": 10})
            field.widget.is_localized = True


class ReportForm(forms.ModelForm):
    class Meta:
        model = YearlyReport
        fields = [
            "qualitative_report",
            "narrative",
            "annex",
            "beneficiaries_count",
            "beneficiaries_outside_rennes_percent",
            "volunteers_count",
            "volunteer_hours",
            "volunteer_hour_value",
            "premises_value",
        ]
        widgets = {
            "qualitative_report": forms.Textarea(attrs={"rows": 8}),
            "narrative": forms.Textarea(attrs={"rows": 5}),
            "annex": forms.Textarea(attrs={"rows": 5}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _localized_decimals(self)


class BudgetLineForm(forms.ModelForm):
    class Meta:
        model = BudgetLine
        fields = ["side", "label", "planned", "actual"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _localized_decimals(self)


BudgetLineFormSet = forms.inlineformset_factory(
    YearlyReport,
    BudgetLine,
    form=BudgetLineForm,
    extra=3,
    can_delete=True,
    max_num=MAX_BUDGET_LINES,
    validate_max=True,
)


class BaseReportActionFormSet(forms.BaseInlineFormSet):
    """Exactly the rows created by `ensure_objective_actions`: none can be added from the form,
    so a tampered TOTAL_FORMS never creates a row without its objective."""

    def total_form_count(self) -> int:
        return min(super().total_form_count(), self.initial_form_count())


ReportActionFormSet = forms.inlineformset_factory(
    YearlyReport,
    ReportAction,
    formset=BaseReportActionFormSet,
    fields=["actions", "results"],
    widgets={
        "actions": forms.Textarea(attrs={"rows": 4}),
        "results": forms.Textarea(attrs={"rows": 4}),
    },
    extra=0,
    can_delete=False,
)


class ReportAttachmentForm(forms.ModelForm):
    """A PDF checked from its content by the project's validator (solidaren/uploads.py)."""

    class Meta:
        model = ReportAttachment
        fields = ["title", "file"]
        help_texts = {"title": _("Facultatif : le nom du fichier par défaut.")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["title"].required = False
        self.fields["file"].widget.attrs["accept"] = "application/pdf,.pdf"
        self.fields["file"].help_text = _(
            "PDF uniquement, %(max)s Mo au maximum, sans script ni fichier intégré."
        ) % {"max": settings.UPLOAD_MAX_MB}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if isinstance(upload, UploadedFile):  # a new file; one already stored was checked then
            validate_pdf(upload)
        return upload

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload and not cleaned.get("title"):
            cleaned["title"] = PurePath(upload.name).stem[:200] or upload.name[:200]
        return cleaned


class ReviewForm(forms.Form):
    """The agents' decision on a submitted report; the workflow checks the rest."""

    VALIDATE = "valider"
    RETURN = "renvoyer"

    action = forms.ChoiceField(
        label=_("Décision"),
        choices=[(VALIDATE, _("Valider")), (RETURN, _("Renvoyer à l'association"))],
    )
    comment = forms.CharField(
        label=_("Commentaire pour l'association"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Obligatoire pour renvoyer le compte rendu : expliquez ce qui est à reprendre."
        ),
    )


class ReportEditForms:
    """The three forms of the editable report page, valid and saved together or not at all."""

    def __init__(self, report: YearlyReport, data=None) -> None:
        self.report = ReportForm(data, instance=report)
        self.budget = BudgetLineFormSet(data, instance=report, prefix="lignes")
        self.actions = ReportActionFormSet(
            data,
            instance=report,
            prefix="actions",
            queryset=ReportAction.objects.select_related("objective"),
        )

    def is_valid(self) -> bool:
        # Every form is validated (no short-circuit) so that all errors show at once.
        return all([self.report.is_valid(), self.budget.is_valid(), self.actions.is_valid()])

    @transaction.atomic
    def save(self) -> YearlyReport:
        report = self.report.save()
        self.budget.save()
        self.actions.save()
        return report


# --- signature workflow (conventions/signature.py) ------------------------------------------


class VersionForm(forms.Form):
    """The version of the convention the page showed: a change made meanwhile is refused."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)


class NotificationForm(VersionForm):
    notified_on = forms.DateField(
        label=_("Notifiée à l'association le"), widget=forms.DateInput(attrs={"type": "date"})
    )


class SignatureForm(VersionForm):
    """One party's signature: the association, or one of the funders signing the convention."""

    ASSOCIATION = "association"

    party = forms.ChoiceField(label=_("Partie"))
    signed_on = forms.DateField(
        label=_("Signée le"), widget=forms.DateInput(attrs={"type": "date"})
    )
    signatory = forms.CharField(label=_("Signataire (nom et qualité)"), max_length=200)

    def __init__(self, *args, convention, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.convention = convention
        choices = [(self.ASSOCIATION, str(convention.association))]
        choices += [(str(party.pk), str(party.funder)) for party in convention.parties.all()]
        self.fields["party"].choices = choices

    def clean_party(self):
        value = self.cleaned_data["party"]
        if value == self.ASSOCIATION:
            return None
        return self.convention.parties.get(pk=int(value))


class SignedScanForm(VersionForm):
    file = forms.FileField(label=_("Exemplaire signé (PDF)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        validate_pdf(upload)
        return upload


# --- renewal (conventions/renewal.py) ---------------------------------------------------------


def _indexation_field() -> forms.DecimalField:
    return forms.DecimalField(
        label=_("Indexation annuelle des montants (%)"),
        required=False,
        initial=0,
        min_value=-50,
        max_value=50,
        max_digits=5,
        decimal_places=2,
        help_text=_(
            "Appliquée chaque année au montant de la dernière année (0 : montants repris)."
        ),
    )


class RenewForm(forms.Form):
    indexation_percent = _indexation_field()

    def clean_indexation_percent(self):
        return self.cleaned_data["indexation_percent"] or 0


class BulkRenewForm(RenewForm):
    """The conventions ending within a period; `confirm` set once the list has been seen."""

    ending_from = forms.DateField(
        label=_("Se terminant à partir du"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ending_until = forms.DateField(
        label=_("jusqu'au"), widget=forms.DateInput(attrs={"type": "date"})
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("ending_from"), cleaned.get("ending_until")
        if start and end and end < start:
            raise forms.ValidationError(_("La fin de la période précède son début."))
        if start and end and (end - start).days > 3 * 366:
            raise forms.ValidationError(_("Choisissez une période de trois ans au plus."))
        return cleaned


# --- subsidy requests (conventions/subsidy_requests.py) ---------------------------------------


class NewRequestForm(forms.Form):
    """First request (its years) or renewal of one of the association's signed conventions."""

    renews = forms.ModelChoiceField(
        label=_("Convention à renouveler"),
        queryset=Convention.objects.none(),
        required=False,
        empty_label=_("Aucune : première demande"),
    )
    first_year = forms.IntegerField(
        label=_("Première année"), required=False, min_value=2000, max_value=2100
    )
    last_year = forms.IntegerField(
        label=_("Dernière année"), required=False, min_value=2000, max_value=2100
    )

    def __init__(self, *args, association, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.association = association
        self.fields["renews"].queryset = association.conventions.signed().order_by("-start_date")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("renews") and not (
            cleaned.get("first_year") and cleaned.get("last_year")
        ):
            raise forms.ValidationError(
                _("Choisissez la convention à renouveler, ou les années d'une première demande.")
            )
        return cleaned


class SubsidyRequestForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)

    class Meta:
        model = SubsidyRequest
        fields = [
            "grant_kind",
            "duration",
            "projects",
            "objectives",
            "volunteers_count",
            "employees_count",
            "members_count",
            "republican_contract_attested_on",
            "signatory",
            "honour_declaration",
        ]
        widgets = {
            "projects": forms.Textarea(attrs={"rows": 5}),
            "objectives": forms.Textarea(attrs={"rows": 4}),
            "republican_contract_attested_on": forms.DateInput(
                attrs={"type": "date"}, format="%Y-%m-%d"
            ),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version


class RequestAmountForm(forms.ModelForm):
    class Meta:
        model = RequestAmount
        fields = ["funder", "year", "asked"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _localized_decimals(self)

    def clean(self):
        cleaned = super().clean()
        year = cleaned.get("year")
        request = self.instance.request if self.instance.request_id else None
        if request is not None and year is not None and year not in request.years:
            self.add_error(
                "year",
                _("L'année %(year)s est hors de la période demandée (%(period)s).")
                % {"year": year, "period": request.period_label},
            )
        return cleaned


class RequestBudgetLineForm(forms.ModelForm):
    class Meta:
        model = RequestBudgetLine
        fields = ["year", "account", "label", "amount"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _localized_decimals(self)


RequestAmountFormSet = forms.inlineformset_factory(
    SubsidyRequest,
    RequestAmount,
    form=RequestAmountForm,
    extra=2,
    can_delete=True,
    max_num=60,
    validate_max=True,
)
RequestBudgetFormSet = forms.inlineformset_factory(
    SubsidyRequest,
    RequestBudgetLine,
    form=RequestBudgetLineForm,
    extra=4,
    can_delete=True,
    max_num=MAX_BUDGET_LINES,
    validate_max=True,
)


class RequestAttachmentForm(VersionForm):
    kind = forms.ChoiceField(label=_("Pièce"), choices=RequestAttachment.Kind.choices)
    title = forms.CharField(label=_("Intitulé"), max_length=200, required=False)
    file = forms.FileField(
        label=_("Fichier PDF"),
        required=False,
        help_text=_("Pour le dernier compte rendu, laissez vide : celui du portail est joint."),
    )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload:
            validate_pdf(upload)
        return upload


class RequestReviewForm(VersionForm):
    """A staff decision; the amounts granted come as `granted-<amount id>` fields."""

    ACTIONS = [
        ("instruire", _("Mettre en instruction")),
        ("commenter", _("Commenter")),
        ("corriger", _("Demander des corrections")),
        ("accepter", _("Accepter")),
        ("refuser", _("Refuser")),
        ("sans_suite", _("Classer sans suite")),
    ]
    action = forms.ChoiceField(label=_("Décision"), choices=ACTIONS)
    comment = forms.CharField(
        label=_("Commentaire ou motif"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, request_amounts=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.amount_fields = []
        for amount in request_amounts:
            name = f"granted-{amount.pk}"
            self.fields[name] = forms.DecimalField(
                label=_("%(funder)s %(year)s (demandé : %(asked)s €)")
                % {"funder": amount.funder, "year": amount.year, "asked": amount.asked},
                required=False,
                min_value=0,
                max_digits=12,
                decimal_places=2,
                initial=amount.granted if amount.granted is not None else amount.asked,
                localize=True,
            )
            self.amount_fields.append((amount, name))

    def granted(self) -> dict[int, object]:
        return {
            amount.pk: self.cleaned_data.get(name)
            for amount, name in self.amount_fields
            if self.cleaned_data.get(name) is not None
        }
