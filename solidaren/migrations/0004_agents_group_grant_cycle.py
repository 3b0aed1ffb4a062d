"""The agents' group again, once the grant cycle's models exist (subsidy requests, in-kind
values per year): a fresh database gets their rights from the migrations alone, as 0002 gives
those of the models before them. Applied databases keep 0002 as it was (changing its
dependencies would make their history inconsistent)."""

from django.db import migrations


def sync_agents_group(apps, schema_editor):
    from solidaren import roles

    roles.sync_declared_groups(apps=apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("solidaren", "0003_outbox"),
        ("conventions", "0008_subsidy_requests"),
    ]

    operations = [migrations.RunPython(sync_agents_group, migrations.RunPython.noop)]
