"""The convention's articles, written by staff in the back-office and rendered in a sandbox.

An article's text is a small Django template, but it never sees a model object: it gets only
the plain values listed in `ARTICLE_VARIABLES` (texts, numbers, amounts, dates, lists of them
and blocks the code renders itself), with no attribute lookup on them, and only the tags and
filters allowed below. Anything else — `{{ association.memberships }}`, `{% load %}`, `|safe` —
is refused with a French message naming it, when the article is saved (the model's `clean`)
and again when a convention is rendered, so a text edited outside the back-office cannot leak
anything either.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.template import (
    Context,
    Engine,
    Library,
    Template,
    TemplateSyntaxError,
    defaultfilters,
    defaulttags,
)
from django.template.base import (
    FilterExpression,
    Lexer,
    Parser,
    TextNode,
    Variable,
    VariableNode,
)
from django.utils.html import escape
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from conventions.templatetags.money import euros

if TYPE_CHECKING:
    from conventions.models import Convention, Funder
    from conventions.totals import YearlyTable


@dataclass(frozen=True)
class ArticleVariable:
    name: str
    description: str
    is_list: bool = False


# The one list of what an article may use; the back-office shows it under the text field.
ARTICLE_VARIABLES: tuple[ArticleVariable, ...] = (
    ArticleVariable("reference", _("référence de la convention")),
    ArticleVariable("purpose", _("objet de la convention")),
    ArticleVariable("start_date", _("date de début (date)")),
    ArticleVariable("end_date", _("date de fin (date)")),
    ArticleVariable("years", _("années couvertes (liste)"), is_list=True),
    ArticleVariable("association_name", _("nom de l'association")),
    ArticleVariable("association_siret", _("SIRET de l'association")),
    ArticleVariable("association_rna", _("numéro RNA de l'association")),
    ArticleVariable("association_signatory", _("signataire pour l'association")),
    ArticleVariable(
        "republican_contract_attested_on",
        _("date d'attestation du contrat d'engagement républicain (date, peut être vide)"),
    ),
    ArticleVariable("funders", _("noms des financeurs (liste)"), is_list=True),
    ArticleVariable("funders_sentence", _("les financeurs en une phrase")),
    ArticleVariable("total_money", _("total des subventions en argent (montant)")),
    ArticleVariable("total_in_kind", _("total des aides en nature valorisées (montant)")),
    ArticleVariable("total_support", _("valeur totale du soutien (montant)")),
    ArticleVariable("has_in_kind_support", _("vrai si la convention prévoit une aide en nature")),
    ArticleVariable("payment_terms", _("conditions de versement")),
    ArticleVariable("payment_deadline_days", _("délai de paiement en jours")),
    ArticleVariable("amounts_table", _("tableau des montants par année et financeur")),
    ArticleVariable("in_kind_table", _("tableau des aides en nature")),
    ArticleVariable("objectives_list", _("liste des objectifs et de leurs indicateurs")),
)
VARIABLES_BY_NAME = {variable.name: variable for variable in ARTICLE_VARIABLES}

ALLOWED_TAGS = ("if", "for", "comment")
# Closing and intermediate words of the allowed tags (not tags of their own).
_TAG_WORDS = {"elif", "else", "endif", "empty", "endfor", "endcomment"}
ALLOWED_FILTERS = (
    "euros",
    "date",
    "upper",
    "lower",
    "capfirst",
    "title",
    "default",
    "default_if_none",
    "length",
    "pluralize",
    "first",
    "last",
    "join",
    "floatformat",
    "yesno",
    "date_legale",  # "1er janvier 2023", as legal texts write dates
    "en_lettres",  # "vingt mille euros", amounts in words (conventions/legal_french.py)
)
# What `forloop` offers inside a {% for %} loop.
_FORLOOP_KEYS = {"counter", "counter0", "revcounter", "revcounter0", "first", "last"}

_PLAIN_TYPES = (str, int, Decimal, datetime.date, type(None))  # bool is an int


class ArticleRefused(Exception):
    """An article text that the sandbox refuses; `str(error)` is the French message."""


def _sandbox_library() -> Library:
    library = Library()
    for name in ALLOWED_TAGS:
        library.tag(name, defaulttags.register.tags[name])
    own = {"euros": euros, "date_legale": _legal_date, "en_lettres": _in_words}
    for name in ALLOWED_FILTERS:
        library.filter(name, own.get(name) or defaultfilters.register.filters[name])
    return library


def _legal_date(value) -> str:
    from conventions.rules import legal_date

    return legal_date(value) if isinstance(value, datetime.date) else ""


def _in_words(value) -> str:
    from conventions.legal_french import amount_in_words

    try:
        return amount_in_words(Decimal(value))
    except (ArithmeticError, TypeError, ValueError):
        return ""


_LIBRARY = _sandbox_library()
# No loaders, no libraries to {% load %}, no debug annotations: only the sandbox's builtins.
_ENGINE = Engine(loaders=[], libraries={}, debug=False, autoescape=True)
_ENGINE.template_builtins = [_LIBRARY]


def _names(items) -> str:
    return ", ".join(items)


def _refused_tag(name: str) -> ArticleRefused:
    return ArticleRefused(
        gettext(
            "La balise {%% %(tag)s %%} n'est pas autorisée dans un article. "
            "Balises autorisées : %(allowed)s."
        )
        % {"tag": name, "allowed": _names(f"{{% {tag} %}}" for tag in ALLOWED_TAGS)}
    )


def _refused_filter(name: str) -> ArticleRefused:
    return ArticleRefused(
        gettext(
            "Le filtre « |%(filter)s » n'est pas autorisé dans un article. "
            "Filtres autorisés : %(allowed)s."
        )
        % {"filter": name, "allowed": _names(ALLOWED_FILTERS)}
    )


def _refused_variable(name: str) -> ArticleRefused:
    return ArticleRefused(
        gettext(
            "La variable « %(variable)s » n'est pas disponible dans un article. "
            "Variables autorisées : %(allowed)s."
        )
        % {"variable": name, "allowed": _names(VARIABLES_BY_NAME)}
    )


class _SandboxParser(Parser):
    """Django's parser, with French refusals for the tags and filters outside the sandbox."""

    def invalid_block_tag(self, token, command, parse_until=None):
        if command not in _TAG_WORDS:
            raise _refused_tag(command)
        super().invalid_block_tag(token, command, parse_until)

    def find_filter(self, filter_name):
        if filter_name not in ALLOWED_FILTERS:
            raise _refused_filter(filter_name)
        return super().find_filter(filter_name)


class _SandboxTemplate(Template):
    def compile_nodelist(self):
        parser = _SandboxParser(
            Lexer(self.source).tokenize(), builtins=self.engine.template_builtins
        )
        return parser.parse()


# --- checking a compiled text -----------------------------------------------------------------
# A scope maps the names visible at a point of the text to what they are: a top-level variable,
# a loop item (a plain value, no lookup) or `forloop`.
_ITEM = "item"
_FORLOOP = "forloop"


def _top_scope() -> dict[str, object]:
    return dict(VARIABLES_BY_NAME)


def _check_variable(variable: Variable, scope: Mapping[str, object]) -> None:
    if variable.lookups is None:
        return  # a literal: "texte", 12, 1.5
    name, *rest = variable.lookups
    kind = scope.get(name)
    if kind is None:
        raise _refused_variable(variable.var)
    if kind == _FORLOOP and len(rest) == 1 and rest[0] in _FORLOOP_KEYS:
        return
    if rest or kind == _FORLOOP:
        raise _refused_variable(variable.var)


def _check_expression(expression: FilterExpression, scope: Mapping[str, object]) -> None:
    if isinstance(expression.var, Variable):
        _check_variable(expression.var, scope)
    for function, arguments in expression.filters:
        if getattr(function, "_filter_name", None) not in ALLOWED_FILTERS:
            raise _refused_filter(getattr(function, "_filter_name", "?"))
        for is_variable, argument in arguments:
            if is_variable:
                _check_variable(argument, scope)


def _check_condition(condition, scope: Mapping[str, object]) -> None:
    """An {% if %} condition: literals hold a filter expression, operators one or two operands."""
    if isinstance(condition, defaulttags.TemplateLiteral):
        _check_expression(condition.value, scope)
        return
    for operand in (condition.first, condition.second):
        if operand is not None:
            _check_condition(operand, scope)


def _sequence_name(expression: FilterExpression) -> str:
    return expression.var.var if isinstance(expression.var, Variable) else str(expression.var)


def _check_nodes(nodes, scope: Mapping[str, object]) -> None:
    for node in nodes:
        if isinstance(node, TextNode | defaulttags.CommentNode):
            continue
        if isinstance(node, VariableNode):
            _check_expression(node.filter_expression, scope)
        elif isinstance(node, defaulttags.IfNode):
            for condition, nodelist in node.conditions_nodelists:
                if condition is not None:
                    _check_condition(condition, scope)
                _check_nodes(nodelist, scope)
        elif isinstance(node, defaulttags.ForNode):
            _check_loop(node, scope)
        else:
            raise _refused_tag(type(node).__name__)


def _check_loop(node: defaulttags.ForNode, scope: Mapping[str, object]) -> None:
    _check_expression(node.sequence, scope)
    sequence = node.sequence.var
    kind = scope.get(sequence.lookups[0]) if isinstance(sequence, Variable) else None
    if not (isinstance(kind, ArticleVariable) and kind.is_list):
        raise ArticleRefused(
            gettext(
                "{%% for %%} ne peut parcourir que l'une des listes : %(lists)s "
                "(et non « %(sequence)s »)."
            )
            % {
                "lists": _names(v.name for v in ARTICLE_VARIABLES if v.is_list),
                "sequence": _sequence_name(node.sequence),
            }
        )
    if len(node.loopvars) != 1:
        raise ArticleRefused(
            gettext(
                "{%% for %%} ne prend qu'une variable de boucle, par exemple "
                "{%% for annee in years %%}."
            )
            % {}
        )
    _check_nodes(node.nodelist_loop, {**scope, node.loopvars[0]: _ITEM, "forloop": _FORLOOP})
    _check_nodes(node.nodelist_empty, scope)


def compile_article(body: str) -> Template:
    """The article's text compiled in the sandbox, or `ArticleRefused` saying what is wrong."""
    try:
        template = _SandboxTemplate(body, engine=_ENGINE)
    except ArticleRefused:
        raise
    except TemplateSyntaxError as error:
        raise ArticleRefused(
            gettext("Ce texte contient une erreur de modèle : %(error)s") % {"error": error}
        ) from error
    _check_nodes(template.nodelist, _top_scope())
    return template


def _check_plain(name: str, value: object) -> None:
    """Our own guarantee, not the staff's: the code hands articles plain values only."""
    values = value if isinstance(value, list) else [value]
    if not all(isinstance(item, _PLAIN_TYPES) for item in values):
        raise TypeError(f"Article variable {name!r} must hold plain values, not {value!r}.")


def convention_variables(
    *,
    convention: Convention,
    funders: list[Funder],
    funders_sentence: str,
    table: YearlyTable,
    has_in_kind_support: bool,
    payment_deadline_days: int,
    amounts_table: str,
    in_kind_table: str,
    objectives_list: str,
) -> dict[str, object]:
    """The values of `ARTICLE_VARIABLES` for one convention: copies, never the objects."""
    association = convention.association
    return {
        "reference": convention.reference,
        "purpose": convention.purpose,
        "start_date": convention.start_date,
        "end_date": convention.end_date,
        "years": list(convention.years),
        "association_name": association.name,
        "association_siret": association.siret,
        "association_rna": association.rna,
        "association_signatory": convention.association_signatory,
        "republican_contract_attested_on": convention.republican_contract_attested_on,
        "funders": [funder.name for funder in funders],
        "funders_sentence": funders_sentence,
        "total_money": table.money,
        "total_in_kind": table.in_kind,
        "total_support": table.total,
        "has_in_kind_support": has_in_kind_support,
        "payment_terms": str(convention.get_payment_terms_display()),
        "payment_deadline_days": payment_deadline_days,
        "amounts_table": amounts_table,
        "in_kind_table": in_kind_table,
        "objectives_list": objectives_list,
    }


@functools.lru_cache(maxsize=256)
def _compiled_article(body: str) -> Template:
    """Articles change rarely and every document renders them all: each text is compiled once
    per process (a refused text raises each time: exceptions are not kept)."""
    return compile_article(body)


def render_article(body: str, variables: Mapping[str, object]) -> str:
    """Renders an article's text with the declared variables (and nothing else)."""
    template = _compiled_article(body)
    if set(variables) != set(VARIABLES_BY_NAME):
        raise TypeError(f"Article variables differ from ARTICLE_VARIABLES: {sorted(variables)}")
    for name, value in variables.items():
        _check_plain(name, value)
    return template.render(Context(dict(variables), autoescape=True))


def help_text() -> str:
    """The list shown under the article's text in the back-office (escaped: admin marks it safe)."""
    variables = _names(
        f"{{{{ {variable.name} }}}} ({variable.description})" for variable in ARTICLE_VARIABLES
    )
    return escape(
        gettext(
            "Paragraphes séparés par une ligne vide. Variables disponibles : %(variables)s. "
            "Balises : {%% if %%}…{%% endif %%}, {%% for annee in years %%}…{%% endfor %%}, "
            "{%% comment %%}. Filtres : %(filters)s (par exemple {{ total_support|euros }}, "
            "{{ start_date|date:'j F Y' }}). Aucune autre variable, balise ou filtre n'est "
            "accepté."
        )
        % {"variables": variables, "filters": _names(ALLOWED_FILTERS)}
    )
