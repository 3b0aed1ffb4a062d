from django.db import migrations


def add_default_articles(apps, schema_editor):
    from conventions.default_articles import DEFAULT_ARTICLES

    ArticleTemplate = apps.get_model("conventions", "ArticleTemplate")
    if ArticleTemplate.objects.exists():
        return
    ArticleTemplate.objects.bulk_create(
        ArticleTemplate(position=position, title=title, body=body)
        for position, title, body in DEFAULT_ARTICLES
    )


class Migration(migrations.Migration):
    dependencies = [("conventions", "0003_documents")]

    operations = [migrations.RunPython(add_default_articles, migrations.RunPython.noop)]
