from decimal import Decimal, InvalidOperation

from django import template

from conventions.rules import euro

register = template.Library()


@register.filter
def euros(value) -> str:
    """12500 → « 12 500,00 € » (non-breaking spaces)."""
    if value is None or value == "":
        return "—"
    try:
        return euro(Decimal(value))
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
