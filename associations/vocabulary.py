"""The data·inclusion v1 enumerations (thématiques, publics, types, frais, modes...) as Django
choices, taken from the `data-inclusion-schema` package rather than copied, plus the Soliguide
access vocabulary that data·inclusion does not have."""

from __future__ import annotations

import re

from data_inclusion.schema import v1
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


def choices_of(enum) -> list[tuple[str, str]]:
    return [(member.value, member.label) for member in enum]


THEMATIQUE_CHOICES = choices_of(v1.Thematique)
CATEGORIE_CHOICES = choices_of(v1.Categorie)
PUBLIC_CHOICES = choices_of(v1.Public)
TYPE_CHOICES = choices_of(v1.TypeService)
FRAIS_CHOICES = choices_of(v1.Frais)
MODE_ACCUEIL_CHOICES = choices_of(v1.ModeAccueil)
MODE_MOBILISATION_CHOICES = choices_of(v1.ModeMobilisation)
MOBILISABLE_PAR_CHOICES = choices_of(v1.PersonneMobilisatrice)

THEMATIQUE_LABELS = dict(THEMATIQUE_CHOICES)
PUBLIC_LABELS = dict(PUBLIC_CHOICES)
CATEGORIE_LABELS = dict(CATEGORIE_CHOICES)


class Welcome(models.TextChoices):
    """Soliguide's conditions of welcome."""

    UNCONDITIONAL = "inconditionnel", gettext_lazy("Accueil inconditionnel")
    PREFERENTIAL = "preferentiel", gettext_lazy("Accueil préférentiel")
    EXCLUSIVE = "exclusif", gettext_lazy("Accueil exclusif")


@deconstructible
class ValuesIn:
    """Validator of a JSON list whose values must belong to one data·inclusion enumeration."""

    enumerations = {
        "thematique": THEMATIQUE_CHOICES,
        "public": PUBLIC_CHOICES,
        "mode_accueil": MODE_ACCUEIL_CHOICES,
        "mode_mobilisation": MODE_MOBILISATION_CHOICES,
        "mobilisable_par": MOBILISABLE_PAR_CHOICES,
    }
    names = {
        "thematique": gettext_lazy("Thématique"),
        "public": gettext_lazy("Public"),
        "mode_accueil": gettext_lazy("Mode d'accueil"),
        "mode_mobilisation": gettext_lazy("Mode de mobilisation"),
        "mobilisable_par": gettext_lazy("Personne mobilisatrice"),
    }

    def __init__(self, enumeration: str) -> None:
        self.enumeration = enumeration

    def __call__(self, values) -> None:
        if not isinstance(values, list):
            raise ValidationError(_("Une liste de valeurs est attendue."), code="not_a_list")
        allowed = {value for value, _label in self.enumerations[self.enumeration]}
        unknown = [
            str(value) for value in values if not isinstance(value, str) or value not in allowed
        ]
        if unknown:
            raise ValidationError(
                _("%(what)s inconnu(e) du schéma data·inclusion : %(values)s."),
                code="unknown_value",
                params={"what": self.names[self.enumeration], "values": ", ".join(unknown)},
            )

    def __eq__(self, other) -> bool:
        return isinstance(other, ValuesIn) and other.enumeration == self.enumeration


def validate_tous_publics(values) -> None:
    if isinstance(values, list) and "tous-publics" in values and len(values) > 1:
        raise ValidationError(
            _("« Tous publics » ne peut pas être combiné avec d'autres publics."),
            code="tous_publics",
        )


ZONE_CODE = re.compile(r"^(\w{5}|\w{2,3}|\d{9}|france)$")


def validate_eligibility_zone(values) -> None:
    """INSEE codes: commune (5), département (2–3), EPCI (9 digits), or "france"."""
    if not isinstance(values, list):
        raise ValidationError(_("Une liste de codes est attendue."), code="not_a_list")
    wrong = [
        str(value) for value in values if not (isinstance(value, str) and ZONE_CODE.match(value))
    ]
    if wrong:
        raise ValidationError(
            _(
                "Code de zone inconnu : %(values)s (codes INSEE de commune, d'EPCI, de "
                "département ou « france »)."
            ),
            code="unknown_zone",
            params={"values": ", ".join(wrong)},
        )
