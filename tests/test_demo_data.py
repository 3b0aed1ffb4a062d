from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse

from associations.models import Association
from conventions.models import Funder
from solidaren.demo import AGENT_EMAIL, DEMO_PASSWORD
from solidaren.models import User
from volontaires.models import MissionType, Quartier, VolunteerProfile

STRUCTURING = [
    "ATD Quart Monde du Pays de Rennes",
    "Banque alimentaire de Rennes",
    "Cœurs Résistants",
    "Unité locale de la Croix-Rouge de Rennes",
    "Restaurants du Cœur d'Ille-et-Vilaine",
    "Secours Catholique d'Ille-et-Vilaine",
    "Secours Populaire d'Ille-et-Vilaine",
]


def row_counts() -> dict[str, int]:
    return {
        model._meta.db_table: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
    }


@pytest.mark.django_db
def test_load_demo_twice_leaves_every_table_unchanged():
    call_command("load_demo", stdout=StringIO())
    first = row_counts()
    call_command("load_demo", stdout=StringIO())

    assert row_counts() == first
    assert first["associations_association"] > 0


@pytest.mark.django_db
def test_load_demo_loads_the_network(client):
    call_command("load_demo", stdout=StringIO())

    assert sorted(
        Association.objects.filter(is_structuring=True).values_list("name", flat=True)
    ) == sorted(STRUCTURING)
    assert set(Funder.objects.values_list("name", flat=True)) == {
        "Ville de Rennes",
        "Rennes Métropole",
        "Département d'Ille-et-Vilaine",
        "CCAS de Rennes",
    }
    assert Quartier.objects.count() == 12
    assert MissionType.objects.count() >= 10
    assert VolunteerProfile.objects.count() >= 3
    agent = User.objects.get(email=AGENT_EMAIL)
    assert agent.is_staff and agent.check_password(DEMO_PASSWORD)
    for association in Association.objects.filter(is_structuring=True):
        assert association.memberships.count() == 1

    assert client.login(email=AGENT_EMAIL, password=DEMO_PASSWORD)
    assert client.get(reverse("admin:associations_association_changelist")).status_code == 200


@pytest.mark.django_db
def test_home_and_directory_name_the_seven_structuring_associations(client):
    call_command("load_demo", stdout=StringIO())

    home = client.get(reverse("home"))
    directory = client.get(reverse("associations:list"))

    assert home.status_code == 200
    assert directory.status_code == 200
    for name in STRUCTURING:
        escaped = name.replace("'", "&#x27;")
        assert escaped in home.content.decode()
        assert escaped in directory.content.decode()
