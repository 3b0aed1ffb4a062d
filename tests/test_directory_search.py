"""The public directory of services: search by need, public, quartier, commune, language,
unconditional welcome and opening time; service pages; a constant number of queries."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from associations.models import ServiceChange, ServiceStop
from tests.factories import LanguageFactory, QuartierFactory, ServiceFactory

PARIS = ZoneInfo("Europe/Paris")
FOOD = "equipement-et-alimentation--alimentation"
CLOTHES = "equipement-et-alimentation--habillement"
FRENCH = "lecture-ecriture-calcul--maitriser-le-francais"


@pytest.fixture
def world(db):
    maurepas = QuartierFactory(name="Maurepas", slug="maurepas")
    blosne = QuartierFactory(name="Le Blosne", slug="le-blosne")
    arabic = LanguageFactory(code="ar", name="arabe")
    meals = ServiceFactory(
        name="Repas du midi",
        thematiques=[FOOD],
        quartier=maurepas,
        opening_hours="Mo-Fr 12:00-14:00; PH off",
    )
    meals.languages.add(arabic)
    clothes = ServiceFactory(
        name="Vestiaire solidaire",
        thematiques=[CLOTHES],
        publics=["femmes", "familles"],
        quartier=blosne,
        welcome="preferentiel",
        opening_hours="Sa 14:00-17:00",
    )
    lessons = ServiceFactory(
        name="Cours de français",
        thematiques=[FRENCH],
        publics=["personnes-exilees"],
        commune="Cesson-Sévigné",
        opening_hours="Tu,Th 18:00-20:00",
    )
    van = ServiceFactory(
        name="Camion de la maraude", thematiques=[FOOD], opening_hours="", is_itinerant=True
    )
    ServiceStop.objects.create(
        service=van, label="Place du Blosne", quartier=blosne, opening_hours="We 19:00-21:00"
    )
    return {"meals": meals, "clothes": clothes, "lessons": lessons, "van": van}


def names(client, **params) -> list[str]:
    response = client.get(reverse("associations:services"), params)
    assert response.status_code == 200
    return sorted(card.service.name for card in response.context["cards"])


def test_search_by_thematique_and_category(client, world):
    assert names(client, thematique=FOOD) == ["Camion de la maraude", "Repas du midi"]
    assert names(client, thematique="equipement-et-alimentation") == [
        "Camion de la maraude",
        "Repas du midi",
        "Vestiaire solidaire",
    ]


def test_search_by_public_includes_services_for_everyone(client, world):
    assert names(client, public="femmes") == [
        "Camion de la maraude",
        "Repas du midi",
        "Vestiaire solidaire",
    ]
    assert names(client, public="personnes-exilees") == [
        "Camion de la maraude",
        "Cours de français",
        "Repas du midi",
    ]


def test_search_by_quartier_includes_itinerant_stops(client, world):
    assert names(client, quartier="le-blosne") == ["Camion de la maraude", "Vestiaire solidaire"]
    assert names(client, quartier="maurepas") == ["Repas du midi"]


def test_search_by_commune_language_and_unconditional_welcome(client, world):
    assert names(client, commune="Cesson-Sévigné") == ["Cours de français"]
    assert names(client, langue="ar") == ["Repas du midi"]
    assert "Vestiaire solidaire" not in names(client, inconditionnel="on")


def test_search_by_opening_time(client, world):
    # Wednesday 2 December 2026, 12:30 in Paris.
    with time_machine.travel(datetime.datetime(2026, 12, 2, 12, 30, tzinfo=PARIS), tick=False):
        assert names(client, ouvert="maintenant") == ["Repas du midi"]
        assert names(client, ouvert="aujourdhui") == ["Camion de la maraude", "Repas du midi"]
        assert names(client, ouvert="semaine") == [
            "Camion de la maraude",
            "Cours de français",
            "Repas du midi",
            "Vestiaire solidaire",
        ]
        ServiceChange.objects.create(
            service=world["meals"],
            starts_on=datetime.date(2026, 12, 2),
            ends_on=datetime.date(2026, 12, 2),
            reason="Fermeture exceptionnelle",
        )
        assert names(client, ouvert="maintenant") == []


@pytest.mark.parametrize(
    "params",
    [{"thematique": "manger"}, {"public": "martiens"}, {"ouvert": "hier"}, {"langue": "xx"}],
)
def test_unknown_criteria_get_a_french_message(client, world, params):
    response = client.get(reverse("associations:services"), params)
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in response.content.decode()
    assert response.context["cards"] == []


def test_the_service_page_says_when_where_for_whom(client, world):
    service = world["meals"]
    service.documents_to_bring = "Une pièce d'identité si possible"
    service.how_to_get_there = "Métro Gros-Chêne"
    service.save()
    response = client.get(service.get_absolute_url())
    content = response.content.decode()
    assert response.status_code == 200
    assert "12:00–14:00" in content  # the week's hours
    assert "Une pièce d&#x27;identité si possible" in content
    assert "Métro Gros-Chêne" in content
    assert "Accueil inconditionnel" in content
    assert "Informations mises à jour le" in content


def test_the_service_page_says_changed_hours_in_plain_french(client, world):
    service = world["meals"]
    starts_on = timezone.localdate() + datetime.timedelta(days=3)
    ServiceChange.objects.create(
        service=service,
        starts_on=starts_on,
        ends_on=starts_on + datetime.timedelta(days=20),
        opening_hours="Mo-Fr 10:00-12:00; Sa 14:00-16:00",
        reason="Plan hiver",
    )

    content = client.get(service.get_absolute_url()).content.decode()

    assert "Horaires changés du" in content
    assert "du lundi au vendredi 10:00–12:00 ; samedi 14:00–16:00." in content
    assert "Mo-Fr 10:00-12:00; Sa 14:00-16:00" not in content
    assert "Plan hiver" in content


def directory_queries(client, count: int) -> int:
    quartier = QuartierFactory()
    language = LanguageFactory(code="fr", name="français")
    for _ in range(count):
        service = ServiceFactory(quartier=quartier, opening_hours="Mo-Fr 09:00-12:00; PH off")
        service.languages.add(language)
        ServiceChange.objects.create(
            service=service,
            starts_on=datetime.date.today(),
            ends_on=datetime.date.today() + datetime.timedelta(days=3),
            opening_hours="Mo-Su 10:00-11:00",
        )
        ServiceStop.objects.create(service=service, label="Arrêt", opening_hours="Mo 10:00-11:00")
    for params in ({}, {"ouvert": "semaine", "thematique": "equipement-et-alimentation"}):
        client.get(reverse("associations:services"), params)  # warm the caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(
            reverse("associations:services"), {"ouvert": "semaine", "public": "femmes"}
        )
    assert response.status_code == 200
    assert len(response.context["cards"]) == min(count, 20)
    return len(queries)


@pytest.mark.django_db
def test_the_directory_makes_as_many_queries_for_100_services_as_for_10(client):
    at_ten = directory_queries(client, 10)
    at_hundred = directory_queries(client, 90)  # 100 in all
    assert at_ten == at_hundred
