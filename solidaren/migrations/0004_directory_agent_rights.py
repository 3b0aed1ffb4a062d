"""The agents' back-office rights on the directory of services (associations 0003), granted by
the migrations themselves like those of 0002, so that a fresh database has them all."""

from django.db import migrations


def sync_agents_group(apps, schema_editor):
    from solidaren import roles

    roles.sync_declared_groups(apps=apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("solidaren", "0003_outbox"),
        ("associations", "0003_services_and_orientations"),
    ]

    operations = [migrations.RunPython(sync_agents_group, migrations.RunPython.noop)]
