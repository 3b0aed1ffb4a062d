"""Forms of the volunteers' pages (the staff's forms are in `staff_forms.py`)."""

from __future__ import annotations

import re
from itertools import pairwise

from django import forms
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from associations.models import Association
from solidaren.geography import RENNES
from solidaren.models import User
from volontaires.enrolments import enrol
from volontaires.models import (
    AvailabilitySlot,
    EngagementArea,
    Language,
    MissionType,
    Quartier,
    TransportMode,
    VolunteerProfile,
    Weekday,
)
from volontaires.self_service import current_programmes

PHONE_CHARACTERS = re.compile(r"^\+?[0-9 .()\-]+$")


def validate_phone(value: str) -> None:
    digits = re.sub(r"\D", "", value)
    if not PHONE_CHARACTERS.match(value) or not 10 <= len(digits) <= 15:
        raise forms.ValidationError(
            _("Indiquez un numéro de téléphone valide, par exemple 06 12 34 56 78.")
        )


class VolunteerProfileForm(forms.ModelForm):
    """Who the volunteer is, where, what they can do, and their programme(s)."""

    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    last_name = forms.CharField(label=_("Nom"), max_length=150)
    mission_types = forms.ModelMultipleChoiceField(
        label=_("Missions que vous acceptez"),
        queryset=MissionType.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choisissez au moins un type de mission.")},
    )
    languages = forms.ModelMultipleChoiceField(
        label=_("Langues parlées"),
        queryset=Language.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    transport_modes = forms.MultipleChoiceField(
        label=_("Moyens de déplacement"),
        choices=TransportMode.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    engagement_areas = forms.MultipleChoiceField(
        label=_("Domaines d'engagement"),
        choices=EngagementArea.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    programmes = forms.ModelMultipleChoiceField(
        label=_("Programme(s) à rejoindre"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={"required": _("Choisissez le programme que vous rejoignez.")},
    )
    accept_charter = forms.BooleanField(
        label=_("J'ai lu et j'accepte la charte des volontaires."),
        error_messages={
            "required": _("Vous devez accepter la charte des volontaires pour vous inscrire.")
        },
    )
    accept_data_policy = forms.BooleanField(
        label=_("J'accepte la politique de protection des données personnelles."),
        error_messages={
            "required": _(
                "Vous devez accepter la politique de protection des données pour vous inscrire."
            )
        },
    )

    class Meta:
        model = VolunteerProfile
        fields = [
            "phone",
            "commune",
            "quartier",
            "mission_types",
            "languages",
            "transport_modes",
            "engagement_areas",
            "max_missions_per_month",
        ]
        labels = {
            "commune": _("Commune de Rennes Métropole"),
            "quartier": _("Quartier (si vous habitez Rennes)"),
            "max_missions_per_month": _("Nombre de missions par mois, au plus"),
        }
        widgets = {"phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})}

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        profile = self.instance
        self.fields["phone"].required = True
        self.fields["phone"].validators.append(validate_phone)
        self.fields["quartier"].queryset = Quartier.objects.all()
        self.fields["first_name"].initial = user.first_name
        self.fields["last_name"].initial = user.last_name
        enrolled = profile.enrolments.values("programme") if profile.pk else []
        joinable = current_programmes(timezone.localdate()).exclude(pk__in=enrolled)
        self.fields["programmes"].queryset = joinable
        self.has_enrolments = bool(profile.pk and profile.enrolments.exists())
        # The first time, a programme must be chosen (when one is open).
        self.fields["programmes"].required = not self.has_enrolments and joinable.exists()
        if not profile.pk:
            self.fields["languages"].initial = Language.objects.filter(code="fr")
        self.fields["accept_charter"].initial = profile.charter_accepted_at is not None
        self.fields["accept_data_policy"].initial = profile.data_policy_accepted_at is not None

    def clean(self):
        cleaned = super().clean()
        commune, quartier = cleaned.get("commune"), cleaned.get("quartier")
        if commune == RENNES and quartier is None and "quartier" not in self.errors:
            self.add_error("quartier", _("Indiquez votre quartier de Rennes."))
        elif commune and commune != RENNES:
            cleaned["quartier"] = None  # the quartiers are Rennes'
        return cleaned


class AvailabilitySlotForm(forms.ModelForm):
    class Meta:
        model = AvailabilitySlot
        fields = ["weekday", "start_time", "end_time"]
        labels = {"weekday": _("Jour"), "start_time": _("De"), "end_time": _("À")}
        widgets = {
            "start_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "end_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_time"), cleaned.get("end_time")
        if start and end and end <= start:
            # On the field: the model's check constraint is then not run a second time.
            self.add_error("end_time", _("L'heure de fin doit être après l'heure de début."))
        return cleaned


class BaseAvailabilitySlotFormSet(forms.BaseInlineFormSet):
    def clean(self):
        slots = [
            form.cleaned_data
            for form in self.forms
            if (form.instance.pk or form.has_changed())  # blank extra rows are ignored
            and not self._should_delete_form(form)
            and form.cleaned_data.get("start_time")
            and form.cleaned_data.get("end_time")
            and form.cleaned_data.get("weekday") is not None
        ]
        if any(form.errors for form in self.forms):
            return
        if not slots:
            raise forms.ValidationError(_("Indiquez au moins un créneau de disponibilité."))
        slots.sort(key=lambda slot: (slot["weekday"], slot["start_time"]))
        for previous, slot in pairwise(slots):
            if previous["weekday"] == slot["weekday"] and slot["start_time"] < previous["end_time"]:
                raise forms.ValidationError(
                    _("Deux créneaux du %(day)s se chevauchent : réunissez-les en un seul.")
                    % {"day": Weekday(slot["weekday"]).label}
                )
        super().clean()


AvailabilitySlotFormSet = forms.inlineformset_factory(
    VolunteerProfile,
    AvailabilitySlot,
    form=AvailabilitySlotForm,
    formset=BaseAvailabilitySlotFormSet,
    extra=3,
    can_delete=True,
    max_num=21,
    validate_max=True,
)


class ProfileForms:
    """The profile form and the availability slots, valid and saved together or not at all."""

    def __init__(self, user: User, data=None) -> None:
        self.user = user
        profile = VolunteerProfile.objects.filter(user=user).first() or VolunteerProfile(user=user)
        self.is_new = profile.pk is None
        self.profile = VolunteerProfileForm(data, instance=profile, user=user)
        self.slots = AvailabilitySlotFormSet(data, instance=profile, prefix="creneaux")

    def is_valid(self) -> bool:
        return all([self.profile.is_valid(), self.slots.is_valid()])

    @transaction.atomic
    def save(self) -> VolunteerProfile:
        data = self.profile.cleaned_data
        now = timezone.now()
        self.user.first_name = data["first_name"].strip()
        self.user.last_name = data["last_name"].strip()
        self.user.save(update_fields=["first_name", "last_name"])
        profile = self.profile.save(commit=False)
        # The first acceptance is the one that counts; later edits keep its date.
        profile.charter_accepted_at = profile.charter_accepted_at or now
        profile.data_policy_accepted_at = profile.data_policy_accepted_at or now
        profile.save()
        self.profile.save_m2m()
        self.slots.instance = profile
        self.slots.save()
        for programme in data["programmes"]:
            enrol(volunteer=profile, programme=programme, at=now, by=self.user)
        self.user._is_volunteer = True  # the roles cached on the user (solidaren.access)
        return profile


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif (facultatif)"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": _("Par exemple : pas disponible ce jour-là")}),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif du désistement (facultatif)"),
        required=False,
        max_length=500,
    )


class CancelAcceptanceForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif de l'annulation"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("L'équipe le reçoit par e-mail et propose la mission à une autre personne."),
        error_messages={
            "required": _(
                "Indiquez le motif de l'annulation : l'équipe en a besoin pour s'organiser."
            )
        },
    )


class CompletionForm(forms.Form):
    done_on = forms.DateField(
        label=_("Réalisée le"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    duration_minutes = forms.IntegerField(
        label=_("Durée (en minutes)"), min_value=1, max_value=24 * 60
    )
    note = forms.CharField(
        label=_("Compte rendu (facultatif)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class KeepInTouchForm(forms.Form):
    association = forms.ModelChoiceField(
        label=_("Association qui pourrait prendre le relais"),
        queryset=Association.objects.all(),
        required=False,
        empty_label=_("Je ne sais pas : les agents choisiront"),
    )


class AccountDeletionForm(forms.Form):
    password = forms.CharField(
        label=_("Votre mot de passe, pour confirmer"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("Mot de passe incorrect : le compte n'est pas supprimé."))
        return password
