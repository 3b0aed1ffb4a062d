"""Validators for French legal identifiers (SIREN, SIRET, RNA), backed by python-stdnum."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from stdnum.fr import siren, siret

# W and 9 digits, or letters in the Corsican départements' numbers (W2A…, W2B…): the RNA's own
# pattern, the one the SCDL schema checks.
RNA_PATTERN = re.compile(r"^W[0-9A-Z]{9}$")


def compact_digits(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value or "")


def validate_siret(value: str) -> None:
    if not siret.is_valid(compact_digits(value)):
        raise ValidationError(
            _("« %(value)s » n'est pas un numéro SIRET valide (14 chiffres, clé de contrôle)."),
            code="invalid_siret",
            params={"value": value},
        )


def validate_siren(value: str) -> None:
    if not siren.is_valid(compact_digits(value)):
        raise ValidationError(
            _("« %(value)s » n'est pas un numéro SIREN valide (9 chiffres, clé de contrôle)."),
            code="invalid_siren",
            params={"value": value},
        )


def validate_rna(value: str) -> None:
    if not RNA_PATTERN.match((value or "").strip().upper()):
        raise ValidationError(
            _(
                "« %(value)s » n'est pas un numéro RNA valide : la lettre W suivie de 9 chiffres "
                "ou lettres majuscules (ex. W353001234, W2A1234567 en Corse)."
            ),
            code="invalid_rna",
            params={"value": value},
        )


class SiretFormField(forms.CharField):
    """Accepts a SIRET as people type it ("123 456 789 00012") and keeps its 14 digits."""

    def to_python(self, value):
        return compact_digits(super().to_python(value))

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs["maxlength"] = "20"  # room for the spaces, removed on cleaning
        attrs["inputmode"] = "numeric"
        return attrs


class SiretField(models.CharField):
    """A SIRET stored as its 14 digits, whatever spaces, dots or dashes were typed."""

    def to_python(self, value):
        value = super().to_python(value)
        return compact_digits(value) if value else value

    def formfield(self, **kwargs):
        kwargs.setdefault("form_class", SiretFormField)
        return super().formfield(**kwargs)
