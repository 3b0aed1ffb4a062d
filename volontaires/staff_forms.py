"""Forms of the staff and coordinators' pages: a resident's request taken by phone, calls for
volunteers, completion of a mission, training attendance, figures' programme choice."""

from __future__ import annotations

import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from associations.models import Association
from volontaires.casework import current_programme
from volontaires.models import (
    Mission,
    MissionType,
    Programme,
    ReferredBy,
    Resident,
)

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
PHONE_DIGITS = re.compile(r"\d")
PHONE_CHARACTERS = re.compile(r"^\+?[\d .\-()]+$")


def _default_programme(form: forms.BaseForm) -> None:
    if not form.is_bound and not form.initial.get("programme"):
        programme = current_programme()
        if programme is not None:
            form.initial["programme"] = programme.pk


class ResidentForm(forms.ModelForm):
    """The resident, as told on the phone: the minimum needed to help, with their consent."""

    consent = forms.BooleanField(
        label=_(
            "La personne a donné son accord pour que ses coordonnées soient enregistrées et "
            "transmises au ou à la volontaire qui acceptera la mission"
        ),
        help_text=_("La date et votre nom sont enregistrés avec cet accord."),
        error_messages={
            "required": _("Sans l'accord de la personne, sa demande ne peut pas être enregistrée.")
        },
    )

    class Meta:
        model = Resident
        fields = [
            "programme",
            "first_name",
            "last_name",
            "phone",
            "address",
            "commune",
            "quartier",
            "language",
            "needs",
            "referred_by",
            "referring_association",
        ]
        widgets = {
            "needs": forms.Textarea(attrs={"rows": 3}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phone"].required = True
        self.fields["referring_association"].queryset = Association.objects.order_by("name")
        _default_programme(self)

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        digits = len(PHONE_DIGITS.findall(phone))
        if not PHONE_CHARACTERS.match(phone) or not 10 <= digits <= 15:
            raise forms.ValidationError(
                _("Indiquez un numéro de téléphone à 10 chiffres, par exemple 02 99 12 34 56.")
            )
        return phone

    def clean(self):
        cleaned = super().clean()
        referred_by = cleaned.get("referred_by")
        association = cleaned.get("referring_association")
        if referred_by == ReferredBy.ASSOCIATION and association is None:
            self.add_error(
                "referring_association", _("Indiquez l'association qui oriente la personne.")
            )
        elif referred_by != ReferredBy.ASSOCIATION and association is not None:
            cleaned["referring_association"] = None
        return cleaned


MISSION_WHEN_FIELDS = ["date", "recurrence_weekday", "start_time", "end_time"]


def clean_when(form: forms.BaseForm, cleaned: dict, *, allow_past: bool = False) -> None:
    """A date or a weekday (not both), an end after the start, no date in the past."""
    date, weekday = cleaned.get("date"), cleaned.get("recurrence_weekday")
    if date is None and weekday is None and "date" not in form.errors:
        form.add_error("date", _("Indiquez une date, ou un jour de la semaine si c'est régulier."))
    if date is not None and weekday is not None:
        form.add_error(
            "recurrence_weekday",
            _("Choisissez une date ou un jour de la semaine, pas les deux."),
        )
    if date is not None and not allow_past and date < timezone.localdate():
        form.add_error("date", _("Cette date est passée."))
    start, end = cleaned.get("start_time"), cleaned.get("end_time")
    if start and end and end <= start:
        form.add_error("end_time", _("L'heure de fin doit suivre l'heure de début."))


class RequestMissionForm(forms.Form):
    """The first mission of a resident's request. A plain form: the mission is built once the
    resident exists (a model form would validate a resident's mission without its resident)."""

    mission_type = forms.ModelChoiceField(
        label=_("Type de mission"), queryset=MissionType.objects.order_by("name")
    )
    description = forms.CharField(
        label=_("Ce qu'il y a à faire"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Lu par les volontaires sollicité·es : pas de nom, d'adresse ni de téléphone."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(
            forms.fields_for_model(
                Mission,
                fields=[
                    *MISSION_WHEN_FIELDS,
                    "expected_duration_minutes",
                    "urgency",
                    "required_language",
                ],
                widgets={"date": DATE_WIDGET, "start_time": TIME_WIDGET, "end_time": TIME_WIDGET},
            )
        )
        self.fields["required_language"].help_text = _(
            "Seul·es les volontaires qui la parlent seront sollicité·es."
        )

    def clean(self):
        cleaned = super().clean()
        clean_when(self, cleaned)
        return cleaned

    def unsaved_mission(self) -> Mission:
        return Mission(**self.cleaned_data)


class CallForm(forms.ModelForm):
    """A call for volunteers: an association's (coordinators) or a city event (agents)."""

    class Meta:
        model = Mission
        fields = [
            "programme",
            "association",
            "mission_type",
            "title",
            "description",
            "engagement_area",
            "commune",
            "quartier",
            "place",
            *MISSION_WHEN_FIELDS,
            "expected_duration_minutes",
            "places",
            "urgency",
            "required_language",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "date": DATE_WIDGET,
            "start_time": TIME_WIDGET,
            "end_time": TIME_WIDGET,
        }

    def __init__(self, *args, associations=None, taken: int = 0, **kwargs) -> None:
        """`associations`: those the user may choose (None: no choice, a city event or an
        existing call); `taken`: volunteers already committed, the lowest number of places."""
        super().__init__(*args, **kwargs)
        self.taken = taken
        if associations is None:
            del self.fields["association"]
        else:
            self.fields["association"].queryset = associations
            self.fields["association"].required = True
            self.fields["association"].empty_label = None
        if self.instance.pk:
            self.fields["programme"].disabled = True
        _default_programme(self)

    def clean_places(self) -> int:
        places = self.cleaned_data["places"]
        if places < self.taken:
            raise forms.ValidationError(
                _(
                    "%(count)d volontaire(s) ont déjà accepté : le nombre de places ne peut pas "
                    "descendre en dessous."
                )
                % {"count": self.taken}
            )
        return places

    def clean(self):
        cleaned = super().clean()
        # An existing call keeps its past date (e.g. to fix a typo after the event).
        unchanged = self.instance.pk and cleaned.get("date") == self.instance.date
        clean_when(self, cleaned, allow_past=bool(unchanged))
        return cleaned


class CompletionForm(forms.Form):
    """Staff record that a volunteer did the mission."""

    done_on = forms.DateField(label=_("Réalisée le"), widget=DATE_WIDGET)
    duration_minutes = forms.IntegerField(
        label=_("Durée (minutes)"), min_value=1, max_value=24 * 60, required=False
    )
    note = forms.CharField(
        label=_("Compte rendu"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_done_on(self):
        done_on = self.cleaned_data["done_on"]
        if done_on > timezone.localdate():
            raise forms.ValidationError(_("La date de réalisation ne peut pas être dans le futur."))
        return done_on


ATTENDANCE_CHOICES = [("", _("Non renseigné")), ("1", _("Présent·e")), ("0", _("Absent·e"))]
ATTENDANCE_VALUES = {"": None, "1": True, "0": False}


class AttendanceForm(forms.Form):
    """One choice per registration of the session: present, absent or not known."""

    def __init__(self, *args, registrations, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.registrations = list(registrations)
        for registration in self.registrations:
            initial = {None: "", True: "1", False: "0"}[registration.attended]
            self.fields[self.field_name(registration)] = forms.ChoiceField(
                label=str(registration.volunteer),
                choices=ATTENDANCE_CHOICES,
                required=False,
                initial=initial,
                widget=forms.RadioSelect,
            )

    @staticmethod
    def field_name(registration) -> str:
        return f"presence_{registration.pk}"

    def rows(self):
        return [
            (registration, self[self.field_name(registration)])
            for registration in self.registrations
        ]

    def attendance(self) -> dict[int, bool | None]:
        return {
            registration.pk: ATTENDANCE_VALUES[self.cleaned_data[self.field_name(registration)]]
            for registration in self.registrations
        }


class ProgrammeChoiceForm(forms.Form):
    """`?programme=<slug>` on the figures pages: the programmes read once, for the list and
    the check."""

    programme = forms.ChoiceField(
        label=_("Programme"),
        error_messages={
            "invalid_choice": _("Ce programme n'existe pas : choisissez-en un dans la liste.")
        },
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.programmes = {
            programme.slug: programme for programme in Programme.objects.order_by("start_date")
        }
        self.fields["programme"].choices = [
            (slug, str(programme)) for slug, programme in self.programmes.items()
        ]

    def clean_programme(self) -> Programme:
        return self.programmes[self.cleaned_data["programme"]]


class ResidentErasureForm(forms.Form):
    """The confirmation step of a resident's erasure (it cannot be undone)."""

    confirm = forms.BooleanField(
        label=_(
            "Je confirme l'effacement : l'identité, le téléphone, l'adresse et les besoins de "
            "cette personne seront effacés définitivement."
        ),
        error_messages={"required": _("Cochez la case pour confirmer l'effacement.")},
    )


class VolunteerSearchForm(forms.Form):
    """The search box of the staff volunteers' list (a typed NUL or an over-long text is a
    message, not a database error)."""

    q = forms.CharField(required=False, max_length=100, label=_("Nom ou adresse e-mail"))
