"""The data protection officer's group: its members read the access log of residents'
records (solidaren.access.is_data_protection_officer). The name is written out here, not
imported, so that this migration stays what it was when the code changes."""

from django.db import migrations

GROUP = "Délégué·e à la protection des données"


def create_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=GROUP)


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("volontaires", "0006_resident_access_log"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
