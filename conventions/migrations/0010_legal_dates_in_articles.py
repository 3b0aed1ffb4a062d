"""The default articles' dates as legal texts write them ("1er janvier 2023") and the total in
words: stored articles still using the former wording are updated (texts staff rewrote keep
theirs, only the exact default phrases change)."""

from django.db import migrations

REPLACEMENTS = [
    ("|date:'j F Y'", "|date_legale"),
    (
        "s'élève à {{ total_support|euros }}.",
        "s'élève à {{ total_support|euros }} ({{ total_support|en_lettres }}).",
    ),
]


def update_articles(apps, schema_editor):
    ArticleTemplate = apps.get_model("conventions", "ArticleTemplate")
    for article in ArticleTemplate.objects.all():
        body = article.body
        for old, new in REPLACEMENTS:
            body = body.replace(old, new)
        if body != article.body:
            article.body = body
            article.save(update_fields=["body"])


class Migration(migrations.Migration):
    dependencies = [("conventions", "0009_identifiers_normalised")]

    operations = [migrations.RunPython(update_articles, migrations.RunPython.noop)]
