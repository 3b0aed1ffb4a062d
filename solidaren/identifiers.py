"""Validators for French legal identifiers (SIREN, SIRET, RNA), backed by python-stdnum."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.fr import siren, siret

RNA_PATTERN = re.compile(r"^W\d{9}$")


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
            _("« %(value)s » n'est pas un numéro RNA valide (la lettre W suivie de 9 chiffres)."),
            code="invalid_rna",
            params={"value": value},
        )
