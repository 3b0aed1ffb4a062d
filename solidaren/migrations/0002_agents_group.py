"""The city agents' group with the back-office rights declared in solidaren/roles.py.

It uses the live declaration (not a frozen copy) on purpose: the same function runs again
after every `migrate` (solidaren/apps.py), so the group always matches the declaration.
"""

from django.db import migrations


def create_agents_group(apps, schema_editor):
    from solidaren import roles

    roles.sync_declared_groups(apps=apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("solidaren", "0001_initial"),
        # The models whose permissions agents get, so that a fresh database has them all.
        ("associations", "0002_premises_and_history"),
        ("conventions", "0004_default_articles"),
        ("volontaires", "0004_keep_in_touch"),
        ("django_celery_results", "0014_alter_taskresult_status"),
    ]

    # Rolling back leaves the group and its members as they are: removing it would lock every
    # agent out of the back-office.
    operations = [migrations.RunPython(create_agents_group, migrations.RunPython.noop)]
