"""Article texts move to the sandbox's plain variables (conventions/articles.py).

Existing texts are rewritten from the old names, which reached into the convention's objects,
to the new ones, so that databases made before the sandbox keep rendering the same PDFs. Only
the inside of {{ … }} and {% … %} changes; `{% load money %}` goes (`euros` is built in). A text
using anything else is left as it was: the back-office and the PDF then name what is refused.
The mapping is frozen here on purpose (a migration must not follow later code).
"""

import re

from django.db import migrations, models

OLD_TO_NEW = {
    "convention.reference": "reference",
    "convention.purpose": "purpose",
    "convention.start_date": "start_date",
    "convention.end_date": "end_date",
    "convention.republican_contract_attested_on": "republican_contract_attested_on",
    "convention.get_payment_terms_display": "payment_terms",
    "convention.association_signatory": "association_signatory",
    "association.name": "association_name",
    "association.siret": "association_siret",
    "association.rna": "association_rna",
    "table.total": "total_support",
    "table.money": "total_money",
    "table.in_kind": "total_in_kind",
    "in_kind_supports": "has_in_kind_support",
}
TEMPLATE_CODE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
LOAD_MONEY = re.compile(r"\{%\s*load\s+money\s*%\}")


def _renamer(mapping):
    names = sorted(mapping, key=len, reverse=True)
    pattern = re.compile(r"(?<![\w.])(" + "|".join(re.escape(name) for name in names) + r")(?!\w)")

    def rename(body):
        def in_code(match):
            return pattern.sub(lambda name: mapping[name.group(1)], match.group(0))

        return TEMPLATE_CODE.sub(in_code, body)

    return rename


def rewrite(body, mapping=OLD_TO_NEW):
    """The body with its old variable names replaced (idempotent)."""
    return _renamer(mapping)(LOAD_MONEY.sub("", body))


def _rewrite_all(apps, mapping):
    ArticleTemplate = apps.get_model("conventions", "ArticleTemplate")
    for article in ArticleTemplate.objects.all():
        body = rewrite(article.body, mapping)
        if body != article.body:
            ArticleTemplate.objects.filter(pk=article.pk).update(body=body)


def forwards(apps, schema_editor):
    _rewrite_all(apps, OLD_TO_NEW)


def backwards(apps, schema_editor):
    _rewrite_all(apps, {new: old for old, new in OLD_TO_NEW.items()})


class Migration(migrations.Migration):

    dependencies = [
        ('conventions', '0004_default_articles'),
    ]

    operations = [
        migrations.AlterField(
            model_name='articletemplate',
            name='body',
            field=models.TextField(help_text='Paragraphes séparés par une ligne vide ; seules les variables, balises et filtres listés dans le formulaire du back-office sont acceptés.', verbose_name='texte'),
        ),
        migrations.AlterField(
            model_name='historicalarticletemplate',
            name='body',
            field=models.TextField(help_text='Paragraphes séparés par une ligne vide ; seules les variables, balises et filtres listés dans le formulaire du back-office sont acceptés.', verbose_name='texte'),
        ),
        migrations.RunPython(forwards, backwards),
    ]
