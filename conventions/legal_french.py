"""French legal wording for the convention documents: each party with its article and
preposition ("la Ville de Rennes", "de Rennes Métropole", "du Département d'Ille-et-Vilaine"),
dates as legal texts write them ("le 1er janvier 2023") and amounts in words, as the State's
subsidy tools print them ("vingt mille euros")."""

from __future__ import annotations

import datetime
from decimal import Decimal

from num2words import num2words

from conventions.rules import legal_date

# The article a public body's name takes from its first word; a proper name ("Rennes
# Métropole") takes none.
ARTICLES = {
    "ville": "la",
    "commune": "la",
    "métropole": "la",
    "communauté": "la",
    "région": "la",
    "préfecture": "la",
    "caisse": "la",
    "agence": "la",
    "département": "le",
    "centre": "le",
    "conseil": "le",
    "syndicat": "le",
    "état": "l'",
    "etat": "l'",
}
VOWELS = tuple("aeiouyhéèêàâîôû")


def article(name: str) -> str:
    first = (name.split() or [""])[0].split("'")[0].lower()
    found = ARTICLES.get(first, "")
    if found in ("la", "le") and first.startswith(VOWELS):
        return "l'"
    return found


def with_article(name: str) -> str:
    """ "Ville de Rennes" → "la Ville de Rennes"; "Rennes Métropole" → "Rennes Métropole"."""
    found = article(name)
    if not found:
        return name
    return f"{found}{name}" if found == "l'" else f"{found} {name}"


def of(name: str) -> str:
    """The name after "de": "de la Ville de Rennes", "du Département…", "de Rennes Métropole"."""
    found = article(name)
    if found == "le":
        return f"du {name}"
    if found == "l'":
        return f"de l'{name}"
    if found == "la":
        return f"de la {name}"
    return f"d'{name}" if name.lower().startswith(VOWELS) else f"de {name}"


def on_date(value: datetime.date | None) -> str:
    """ "le 1er janvier 2023"."""
    return f"le {legal_date(value)}" if value else ""


def amount_in_words(amount: Decimal | int | float) -> str:
    """ "12500.50" → "douze mille cinq cents euros et cinquante centimes"."""
    value = Decimal(amount).quantize(Decimal("0.01"))
    if value == value.to_integral_value():  # no "et zéro centimes"
        euros = int(value)
        return f"{num2words(euros, lang='fr')} euro{'s' if euros > 1 else ''}"
    return num2words(value, lang="fr", to="currency", currency="EUR")
