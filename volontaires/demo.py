"""Demo data of Volontaires Solidaires: quartiers, mission types and a few volunteers."""

from django.utils.text import slugify

from solidaren.demo import DEMO_EMAIL_DOMAIN, demo_user, upsert
from solidaren.geography import QUARTIERS_RENNES
from volontaires.models import EngagementArea, MissionType, Quartier, VolunteerProfile

# name, engagement area, at the resident's home
MISSION_TYPES = [
    ("Portage de courses, de médicaments ou de livres", EngagementArea.SOLIDARITY, True),
    ("Aide aux démarches administratives", EngagementArea.SOLIDARITY, False),
    ("Appels téléphoniques de convivialité", EngagementArea.SOLIDARITY, False),
    ("Promenade de convivialité", EngagementArea.SOLIDARITY, True),
    ("Pratique de la langue française", EngagementArea.SOLIDARITY, False),
    ("Accompagnement à un rendez-vous médical ou administratif", EngagementArea.SOLIDARITY, False),
    ("Accompagnement à la scolarité", EngagementArea.SOLIDARITY, True),
    ("Aide informatique", EngagementArea.SOLIDARITY, True),
    ("Lecture à domicile pour une personne malvoyante", EngagementArea.SOLIDARITY, True),
    (
        "Information santé (centres de dépistage, espaces publics, campus)",
        EngagementArea.SOLIDARITY,
        False,
    ),
    ("Aller-vers avec une association partenaire", EngagementArea.SOLIDARITY, False),
    ("Renfort d'une association (tri, distribution)", EngagementArea.SOLIDARITY, False),
    ("Événement collectif de la Ville (culture, sport)", EngagementArea.CITY_EVENTS, False),
    ("Action d'éco-citoyenneté", EngagementArea.ECO_CITIZENSHIP, False),
    ("Participation à la démocratie locale", EngagementArea.DEMOCRACY, False),
]

# e-mail local part, first name, last name, quartier index, mission type indexes
DEMO_VOLUNTEERS = [
    ("volontaire.lea", "Léa", "Hamon", 0, [0, 2, 3]),
    ("volontaire.karim", "Karim", "Benali", 9, [1, 4, 5]),
    ("volontaire.jeanne", "Jeanne", "Corre", 10, [0, 2, 8]),
    ("volontaire.thomas", "Thomas", "Rault", 4, [7, 11, 12]),
]


def load_quartiers() -> list[Quartier]:
    return [
        upsert(Quartier, {"slug": slugify(name)}, {"name": name, "position": position})
        for position, name in enumerate(QUARTIERS_RENNES, start=1)
    ]


def load_mission_types() -> list[MissionType]:
    return [
        upsert(
            MissionType,
            {"slug": slugify(name)[:50]},
            {"name": name, "engagement_area": area, "at_residents_home": at_home},
        )
        for name, area, at_home in MISSION_TYPES
    ]


def load_volunteers() -> list[str]:
    quartiers = load_quartiers()
    mission_types = load_mission_types()
    emails = []
    for local_part, first, last, quartier_index, type_indexes in DEMO_VOLUNTEERS:
        user = demo_user(f"{local_part}@{DEMO_EMAIL_DOMAIN}", first, last)
        upsert(
            VolunteerProfile,
            {"user": user},
            {"commune": "Rennes", "quartier": quartiers[quartier_index], "phone": "06 00 00 00 00"},
            many={"mission_types": [mission_types[index] for index in type_indexes]},
        )
        emails.append(user.email)
    return emails
