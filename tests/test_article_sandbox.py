"""Article templates run in a sandbox: plain values only, allowed tags and filters only.

Must show 3: a text asking for `association.memberships`, a password or any object attribute
is refused with a French message naming it (back-office and PDF), and the allowed variables
render.
"""

import datetime
import importlib
from decimal import Decimal
from unittest import mock

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from conventions import articles, documents
from conventions.default_articles import DEFAULT_ARTICLES
from conventions.models import ArticleTemplate, DocumentStatus, InKindSupport
from tests.factories import CommitmentFactory, ConventionFactory, FunderFactory, give_totp

sandbox_migration = importlib.import_module(
    "conventions.migrations.0005_sandboxed_article_variables"
)


@pytest.fixture
def convention(association_a):
    ville = FunderFactory(name="Ville de Rennes")
    metropole = FunderFactory(name="Rennes Métropole")
    convention = ConventionFactory(
        association=association_a,
        funders=[ville, metropole],
        reference="CPO-2023-A",
        purpose="l'aide alimentaire d'urgence",
        start_date=datetime.date(2023, 1, 1),
        end_date=datetime.date(2026, 12, 31),
    )
    CommitmentFactory(convention=convention, funder=ville, year=2023, amount=Decimal("12500"))
    CommitmentFactory(convention=convention, funder=metropole, year=2024, amount=Decimal("8000"))
    return convention


@pytest.fixture
def superuser_client(client, agent):
    agent.is_superuser = True
    agent.save()
    give_totp(agent)  # superusers need TOTP to open any page (solidaren.two_factor)
    client.force_login(agent)
    return client


def save_article_in_back_office(client, article, body):
    return client.post(
        reverse("admin:conventions_articletemplate_change", args=[article.pk]),
        {"position": article.position, "title": article.title, "body": body, "is_active": "on"},
    )


def refusal(body: str) -> str:
    with pytest.raises(articles.ArticleRefused) as refused:
        articles.compile_article(body)
    return str(refused.value)


# --- refused --------------------------------------------------------------------------------


def test_the_password_hash_template_is_refused_in_the_back_office(superuser_client, coordinator_a):
    article = ArticleTemplate.objects.get(position=2)
    body = "Signé par {{ association.memberships.all.0.user.password }}."

    response = superuser_client.post(
        reverse("admin:conventions_articletemplate_change", args=[article.pk]),
        {"position": 2, "title": "Durée", "body": body, "is_active": "on"},
    )

    assert response.status_code == 200  # the form again, with its error
    page = response.content.decode()
    assert (
        "La variable « association.memberships.all.0.user.password » n&#x27;est pas disponible "
        "dans un article." in page
    )
    article.refresh_from_db()
    assert "password" not in article.body
    assert coordinator_a.password not in page


@pytest.mark.parametrize(
    "body, named",
    [
        ("{{ association.memberships }}", "association.memberships"),
        ("{{ association.memberships.all.0.user.password }}", "association.memberships"),
        ("{{ convention.association.memberships.first.user.password }}", "convention.association"),
        ("{{ convention.reference }}", "convention.reference"),  # the old names are objects
        ("{{ reference.upper }}", "reference.upper"),  # a method of a plain string
        ("{{ start_date.year }}", "start_date.year"),  # an attribute of a plain date
        ("{{ years.0 }}", "years.0"),  # an index
        ("{% for f in funders %}{{ f.name }}{% endfor %}", "f.name"),  # a loop item's attribute
        ("{{ forloop.counter }}", "forloop.counter"),  # outside a loop
        ("{% if request.user.is_staff %}x{% endif %}", "request.user.is_staff"),
        ("{{ total_support|default:settings.SECRET_KEY }}", "settings.SECRET_KEY"),
        ("{{ user }}", "user"),
    ],
)
def test_any_variable_outside_the_list_is_refused_by_name(body, named):
    message = refusal(body)

    assert message.startswith(f"La variable « {named}")
    assert "n'est pas disponible dans un article. Variables autorisées : reference," in message


@pytest.mark.parametrize(
    "body, tag",
    [
        ("{% load static %}", "load"),
        ("{% include 'conventions/pdf/base.html' %}", "include"),
        ("{% extends 'conventions/pdf/base.html' %}", "extends"),
        ("{% debug %}", "debug"),
        ("{% url 'home' %}", "url"),
        ("{% static 'css/print.css' %}", "static"),
        ("{% csrf_token %}", "csrf_token"),
        (
            "{% templatetag openvariable %} convention.reference {% templatetag closevariable %}",
            "templatetag",
        ),
        ("{% verbatim %}{{ association.memberships }}{% endverbatim %}", "verbatim"),
        ("{% with secret=association %}{{ secret }}{% endwith %}", "with"),
        ("{% now 'Y' %}", "now"),
        ("{% if has_in_kind_support %}{% cycle 'a' 'b' %}{% endif %}", "cycle"),
    ],
)
def test_a_forbidden_tag_is_refused_by_name(body, tag):
    assert refusal(body).startswith(
        f"La balise {{% {tag} %}} n'est pas autorisée dans un article. Balises autorisées : "
        "{% if %}, {% for %}, {% comment %}."
    )


@pytest.mark.parametrize("name", ["safe", "safeseq", "pprint", "stringformat", "slice", "add"])
def test_a_forbidden_filter_is_refused_by_name(name):
    message = refusal(f"{{{{ association_name|{name} }}}}")

    assert message.startswith(f"Le filtre « |{name} » n'est pas autorisé dans un article.")
    assert "Filtres autorisés : euros, date, upper" in message


def test_loops_go_over_the_declared_lists_only():
    assert "ne peut parcourir que l'une des listes : years, funders" in refusal(
        "{% for letter in reference %}{{ letter }}{% endfor %}"
    )
    assert "ne prend qu'une variable de boucle" in refusal(
        "{% for a, b in years %}{{ a }}{% endfor %}"
    )


def test_a_syntax_error_says_so_in_french():
    assert refusal("{% if %}").startswith("Ce texte contient une erreur de modèle :")


def test_the_model_refuses_the_text_wherever_it_is_saved_from(db):
    article = ArticleTemplate(position=99, title="Essai", body="{{ association.siret }}")

    with pytest.raises(ValidationError) as refused:
        article.full_clean()

    assert refused.value.message_dict["body"][0].startswith(
        "La variable « association.siret » n'est pas disponible"
    )


def test_a_refused_text_that_reached_the_database_fails_the_pdf_with_the_same_message(
    convention, coordinator_a
):
    """Defence in depth: a body written without the back-office (SQL, old data) is checked
    again when the convention is rendered, and nothing is stored."""
    body = "{{ association.memberships.all.0.user.password }}"
    ArticleTemplate.objects.filter(position=2).update(body=body)
    document = documents.convention_document(convention)

    with pytest.raises(documents.DocumentError) as failed:
        documents.generate(document.pk)

    assert str(failed.value) == ("L'article 2 « Durée » contient une erreur : " + refusal(body))
    document.refresh_from_db()
    assert document.status != DocumentStatus.DONE and not document.file


def test_a_refused_text_in_the_database_makes_the_stored_pdf_stale_not_the_page_fail(
    client, convention, coordinator_a
):
    """GIVEN a convention PDF made earlier, WHEN an article refused by the sandbox reaches the
    database, THEN the convention page still opens and the PDF is shown as stale; the
    regeneration then fails with the French reason."""
    document = documents.convention_document(convention)
    documents.generate(document.pk)
    ArticleTemplate.objects.filter(position=2).update(body="{{ association.pk }}")
    client.force_login(coordinator_a)

    response = client.get(convention.get_absolute_url())

    assert response.status_code == 200
    assert documents.existing_document(document.subject_key) == (document, True)


def test_the_code_never_hands_an_object_to_an_article(convention):
    with mock.patch.object(articles, "render_article", wraps=articles.render_article) as render:
        documents.convention_context(convention)

    assert render.call_count == ArticleTemplate.objects.filter(is_active=True).count()
    variables = render.call_args.args[1]
    assert set(variables) == set(articles.VARIABLES_BY_NAME)
    for name, value in variables.items():
        for item in value if isinstance(value, list) else [value]:
            assert not isinstance(item, models.Model), name
            assert isinstance(item, str | int | Decimal | datetime.date | type(None)), name
    assert variables["funders"] == ["Rennes Métropole", "Ville de Rennes"]  # parties' order

    with pytest.raises(TypeError):  # our own guard, should the code ever pass an object
        articles.render_article("{{ reference }}", {**variables, "reference": convention})


# --- allowed --------------------------------------------------------------------------------


def test_the_allowed_variables_tags_and_filters_render(convention):
    InKindSupport.objects.create(
        convention=convention,
        funder=convention.parties.first().funder,
        kind="autre",
        description="Prêt d'un véhicule",
        yearly_value=Decimal("1000"),
    )
    ArticleTemplate.objects.filter(position=9).update(
        body=(
            "Réf. {{ reference|upper }} : {{ association_name }}, {{ purpose|capfirst }}.\n\n"
            "Du {{ start_date|date:'j F Y' }} au {{ end_date|date:'j F Y' }} "
            "({{ years|length }} ans : {{ years|first }}–{{ years|last }}).\n\n"
            "Financeurs : {% for funder in funders %}{{ funder }}{% if not forloop.last %}, "
            "{% endif %}{% endfor %} ({{ funders_sentence }}).\n\n"
            "Total {{ total_support|euros }} dont {{ total_in_kind|euros }} en nature ; "
            "{% if has_in_kind_support %}aide en nature{% else %}aucune{% endif %} ; "
            "versement {{ payment_terms|lower }} sous {{ payment_deadline_days }} jours ; "
            "attestation {{ republican_contract_attested_on|date:'j F Y'|default:'à venir' }}."
            "{# un commentaire #}{% comment %}{{ association.memberships }}{% endcomment %}"
        )
    )

    articles_html = {
        title: body for _number, title, body in documents.convention_context(convention)["articles"]
    }

    body = articles_html["Communication"]
    assert "<p>Réf. CPO-2023-A : Association A, L&#x27;aide alimentaire d&#x27;urgence.</p>" in body
    assert "Du 1 janvier 2023 au 31 décembre 2026 (4 ans : 2023–2026)." in body
    assert (
        "Financeurs : Rennes Métropole, Ville de Rennes (Rennes Métropole et la Ville de Rennes)."
        in body
    )
    assert "Total 24\xa0500,00\xa0€ dont 4\xa0000,00\xa0€ en nature ; aide en nature ;" in body
    assert "versement versement échelonné sous 60 jours" in body
    assert "{{" not in body and "memberships" not in body


def test_the_back_office_lists_every_allowed_variable(superuser_client):
    article = ArticleTemplate.objects.get(position=1)

    page = superuser_client.get(
        reverse("admin:conventions_articletemplate_change", args=[article.pk])
    ).content.decode()

    for variable in articles.ARTICLE_VARIABLES:
        assert f"{{{{ {variable.name} }}}}" in page, variable.name
    assert "Filtres : euros, date, upper" in page


def test_the_default_articles_pass_the_sandbox(superuser_client):
    for position, title, body in DEFAULT_ARTICLES:
        article = ArticleTemplate.objects.get(position=position)
        response = save_article_in_back_office(superuser_client, article, body)
        assert response.status_code == 302, title


# --- the data migration ---------------------------------------------------------------------

# Bodies as the default articles were written before the sandbox (migration 0004).
OLD_BODIES = {
    1: "{{ funders_sentence }} soutien{{ funders|length|pluralize:'t,nent' }} le projet "
    "associatif de {{ association.name }} : {{ convention.purpose }}.",
    2: "du {{ convention.start_date|date:'j F Y' }} au {{ convention.end_date|date:'j F Y' }}",
    4: "{% load money %}{{ amounts_table }} s'élève à {{ table.total|euros }}.",
    5: "{% if in_kind_supports %}en nature :\n\n{{ in_kind_table }}{% else %}aucune{% endif %}",
    7: "versée {{ convention.get_payment_terms_display|lower }}, référence "
    "{{ convention.reference }}",
}
NEW_BODIES = {
    1: "{{ funders_sentence }} soutien{{ funders|length|pluralize:'t,nent' }} le projet "
    "associatif de {{ association_name }} : {{ purpose }}.",
    2: "du {{ start_date|date:'j F Y' }} au {{ end_date|date:'j F Y' }}",
    4: "{{ amounts_table }} s'élève à {{ total_support|euros }}.",
    5: "{% if has_in_kind_support %}en nature :\n\n{{ in_kind_table }}{% else %}aucune{% endif %}",
    7: "versée {{ payment_terms|lower }}, référence {{ reference }}",
}


def test_the_migration_rewrites_the_old_names_outside_plain_text_only():
    for position, old in OLD_BODIES.items():
        assert sandbox_migration.rewrite(old) == NEW_BODIES[position]
        assert sandbox_migration.rewrite(NEW_BODIES[position]) == NEW_BODIES[position]
    prose = "La convention.reference de table.total reste du texte : {{ association.name }}"
    assert sandbox_migration.rewrite(prose) == (
        "La convention.reference de table.total reste du texte : {{ association_name }}"
    )


def test_the_migration_makes_old_articles_render_as_before(convention):
    for position, old in OLD_BODIES.items():
        ArticleTemplate.objects.filter(position=position).update(body=old)

    sandbox_migration.forwards(apps, schema_editor=None)

    for position, new in NEW_BODIES.items():
        assert ArticleTemplate.objects.get(position=position).body == new
    rendered = documents.convention_context(convention)["articles"]
    texts = {number: body for number, _title, body in rendered}
    assert "associatif de Association A : l&#x27;aide alimentaire d&#x27;urgence." in texts[1]
    assert "du 1 janvier 2023 au 31 décembre 2026" in texts[2]
    assert "versée versement échelonné, référence CPO-2023-A" in texts[7]
