from django import template

from conventions import legal_french
from conventions.rules import legal_date as _legal_date

register = template.Library()


@register.filter
def with_article(name: str) -> str:
    return legal_french.with_article(str(name))


@register.filter
def of_name(name: str) -> str:
    return legal_french.of(str(name))


@register.filter
def legal_date(value) -> str:
    return _legal_date(value) if value else ""


@register.filter
def in_words(amount) -> str:
    return legal_french.amount_in_words(amount or 0)
