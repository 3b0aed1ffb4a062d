from django import forms
from django.utils.translation import gettext_lazy as _

from associations import directory
from associations.models import Association, OrientationRequest, Service, ServiceChange
from associations.vocabulary import (
    CATEGORIE_CHOICES,
    MOBILISABLE_PAR_CHOICES,
    MODE_ACCUEIL_CHOICES,
    MODE_MOBILISATION_CHOICES,
    PUBLIC_CHOICES,
    THEMATIQUE_CHOICES,
)
from solidaren.geography import COMMUNE_CHOICES
from volontaires.models import Language, Quartier


class AssociationProfileForm(forms.ModelForm):
    """What a coordinator may change on their association's public page."""

    class Meta:
        model = Association
        fields = [
            "description",
            "publics",
            "address",
            "postal_code",
            "commune",
            "email",
            "phone",
            "website",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 6}),
            "publics": forms.Textarea(attrs={"rows": 3}),
        }


# --- Directory of services ---------------------------------------------------------------------


def thematique_choices() -> list:
    """Categories (every thématique under them) and thématiques, grouped by category."""
    groups = []
    for value, label in CATEGORIE_CHOICES:
        members = [
            (thematique, thematique_label)
            for thematique, thematique_label in THEMATIQUE_CHOICES
            if thematique.startswith(f"{value}--")
        ]
        groups.append((label, [(value, _("%(category)s (tout)") % {"category": label}), *members]))
    return [("", _("Tous les besoins")), *groups]


class DirectorySearchForm(forms.Form):
    """The public directory's search; an unknown value gets Django's French "choix valide"."""

    thematique = forms.ChoiceField(label=_("Besoin"), required=False, choices=thematique_choices)
    public = forms.ChoiceField(
        label=_("Public"), required=False, choices=[("", _("Tous les publics")), *PUBLIC_CHOICES]
    )
    ouvert = forms.ChoiceField(
        label=_("Ouvert"),
        required=False,
        choices=[
            ("", _("Peu importe")),
            (directory.OPEN_NOW, _("Maintenant")),
            (directory.OPEN_TODAY, _("Aujourd'hui")),
            (directory.OPEN_THIS_WEEK, _("Cette semaine")),
        ],
    )
    quartier = forms.ModelChoiceField(
        label=_("Quartier de Rennes"),
        required=False,
        queryset=Quartier.objects.all(),
        to_field_name="slug",
        empty_label=_("Tous"),
    )
    commune = forms.ChoiceField(
        label=_("Commune"), required=False, choices=[("", _("Toutes")), *COMMUNE_CHOICES]
    )
    langue = forms.ModelChoiceField(
        label=_("Langue parlée"),
        required=False,
        queryset=Language.objects.all(),
        empty_label=_("Toutes"),
    )
    inconditionnel = forms.BooleanField(label=_("Accueil inconditionnel"), required=False)
    q = forms.CharField(label=_("Mot-clé"), required=False, max_length=100)

    def search(self) -> directory.Search:
        data = self.cleaned_data
        return directory.Search(
            thematique=data.get("thematique") or "",
            public=data.get("public") or "",
            quartier=data["quartier"].slug if data.get("quartier") else "",
            commune=data.get("commune") or "",
            unconditional=bool(data.get("inconditionnel")),
            language=data["langue"].code if data.get("langue") else "",
            opening=data.get("ouvert") or "",
            text=(data.get("q") or "").strip(),
        )


# --- Orientation requests ----------------------------------------------------------------------


class OrientationForm(forms.ModelForm):
    """Only what the receiving service needs, and the person's consent."""

    consent_given = forms.BooleanField(
        label=_(
            "La personne est d'accord pour être orientée et pour que ces informations soient "
            "transmises à la structure."
        ),
        required=True,
        error_messages={"required": _("Recueillez d'abord l'accord de la personne.")},
    )
    assignment = forms.ModelChoiceField(
        label=_("Mission pendant laquelle vous orientez"), queryset=None, required=False
    )

    class Meta:
        model = OrientationRequest
        fields = ["first_name", "last_name", "phone", "email", "how_to_reach", "reason"]
        widgets = {"reason": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "first_name": _("Un prénom suffit."),
            "reason": _(
                "Ce dont la personne a besoin, sans détail médical ni administratif inutile."
            ),
        }

    def __init__(self, *args, missions=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if missions is None:
            del self.fields["assignment"]
        else:
            self.fields["assignment"].queryset = missions
            self.fields["assignment"].required = True
            self.fields["assignment"].label_from_instance = lambda assignment: (
                f"{assignment.mission.title} — {assignment.mission.date:%d/%m/%Y}"
            )

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("phone") or cleaned.get("email") or cleaned.get("how_to_reach")):
            raise forms.ValidationError(
                _("Indiquez comment joindre la personne (téléphone, e-mail ou autre moyen).")
            )
        return cleaned


class OrientationAnswerForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Votre réponse"),
        choices=[("accepter", _("Accepter")), ("refuser", _("Refuser"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Motif (obligatoire pour un refus)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    name = forms.CharField(
        label=_("Votre nom"),
        max_length=120,
        help_text=_("Pour que la personne qui oriente sache qui a répondu."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "refuser" and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Indiquez le motif du refus."))
        return cleaned


class ServiceEditForm(forms.ModelForm):
    """What a structure's coordinator keeps up to date; the lists use the schema's values."""

    thematiques = forms.MultipleChoiceField(
        label=_("Thématiques"), choices=THEMATIQUE_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    publics = forms.MultipleChoiceField(
        label=_("Publics"), choices=PUBLIC_CHOICES, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Service
        fields = [
            "name",
            "description",
            "thematiques",
            "publics",
            "publics_details",
            "opening_hours",
            "welcome",
            "on_appointment",
            "on_referral",
            "access_conditions",
            "documents_to_bring",
            "address",
            "how_to_get_there",
            "phone",
            "email",
            "contact_is_organisation",
            "update_frequency",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "publics_details": forms.Textarea(attrs={"rows": 2}),
            "access_conditions": forms.Textarea(attrs={"rows": 2}),
            "documents_to_bring": forms.Textarea(attrs={"rows": 2}),
        }


class ServiceChangeForm(forms.ModelForm):
    """A temporary closure or changed hours, from the coordinator's edit page."""

    class Meta:
        model = ServiceChange
        fields = ["starts_on", "ends_on", "opening_hours", "reason"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }


class ServiceAdminForm(forms.ModelForm):
    """The back-office's service form: the data·inclusion lists as boxes to tick."""

    thematiques = forms.MultipleChoiceField(
        label=_("Thématiques"), choices=THEMATIQUE_CHOICES, required=False
    )
    publics = forms.MultipleChoiceField(
        label=_("Publics"),
        choices=PUBLIC_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    modes_accueil = forms.MultipleChoiceField(
        label=_("Modes d'accueil"),
        choices=MODE_ACCUEIL_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    modes_mobilisation = forms.MultipleChoiceField(
        label=_("Comment le mobiliser"),
        choices=MODE_MOBILISATION_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    mobilisable_par = forms.MultipleChoiceField(
        label=_("Qui peut le mobiliser"),
        choices=MOBILISABLE_PAR_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Service
        fields = "__all__"  # noqa: DJ007 — the back-office edits every field of a service
