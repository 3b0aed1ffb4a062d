"""Demo data of the registry: the network's associations and their coordinators.

Names, fields of action and history come from the source documents (`shared/DOMAIN.md`).
Addresses and legal identifiers are demo values: well-formed, not the associations' real ones.
"""

from associations.models import Association, FieldOfAction, Membership
from solidaren.demo import DEMO_EMAIL_DOMAIN, demo_siret, demo_user, upsert

FOOD_AID = "aide-alimentaire"
EXILES = "accueil-exiles"
STREET = "errance"
RIGHTS = "acces-aux-droits"
SOCIAL_LINK = "lien-social"
VOLUNTEERING = "benevolat"

FIELDS_OF_ACTION = {
    FOOD_AID: "Aide alimentaire",
    EXILES: "Accueil des exilés",
    STREET: "Accueil des personnes en errance",
    RIGHTS: "Accès aux droits",
    SOCIAL_LINK: "Lien social et lutte contre l'isolement",
    VOLUNTEERING: "Engagement bénévole",
}

# slug, name, short name, fields of action, in the network since, coordinator (first, last name)
STRUCTURING_ASSOCIATIONS = [
    (
        "atd-quart-monde",
        "ATD Quart Monde du Pays de Rennes",
        "ATD Quart Monde",
        [RIGHTS, SOCIAL_LINK],
        2011,
        ("Annick", "Briand"),
    ),
    (
        "banque-alimentaire",
        "Banque alimentaire de Rennes",
        "Banque alimentaire",
        [FOOD_AID],
        2022,
        ("Yannick", "Le Bihan"),
    ),
    (
        "coeurs-resistants",
        "Cœurs Résistants",
        "Cœurs Résistants",
        [FOOD_AID, STREET],
        2022,
        ("Soizic", "Morvan"),
    ),
    (
        "croix-rouge-rennes",
        "Unité locale de la Croix-Rouge de Rennes",
        "Croix-Rouge UL Rennes",
        [FOOD_AID, STREET, EXILES],
        2011,
        ("Erwan", "Guillou"),
    ),
    (
        "restos-du-coeur-35",
        "Restaurants du Cœur d'Ille-et-Vilaine",
        "Restos du Cœur 35",
        [FOOD_AID, STREET],
        2011,
        ("Maëlle", "Le Roux"),
    ),
    (
        "secours-catholique-35",
        "Secours Catholique d'Ille-et-Vilaine",
        "Secours Catholique 35",
        [EXILES, STREET, RIGHTS],
        2011,
        ("Gwenaël", "Tanguy"),
    ),
    (
        "secours-populaire-35",
        "Secours Populaire d'Ille-et-Vilaine",
        "Secours Populaire 35",
        [FOOD_AID, RIGHTS],
        2011,
        ("Nolwenn", "Le Gall"),
    ),
]

OTHER_ASSOCIATIONS = [
    ("benenova-rennes", "Benenova Rennes", "Benenova", [VOLUNTEERING, SOCIAL_LINK]),
    ("unis-cite-rennes", "Unis-Cité Rennes", "Unis-Cité", [VOLUNTEERING, SOCIAL_LINK]),
]

PUBLICS = (
    "Accueil inconditionnel des personnes en situation de précarité de Rennes et de la "
    "Métropole (environ 30 % de personnes non rennaises)."
)


def coordinator_email(slug: str) -> str:
    return f"coordination.{slug}@{DEMO_EMAIL_DOMAIN}"


def load_fields_of_action() -> dict[str, FieldOfAction]:
    return {
        slug: upsert(FieldOfAction, {"slug": slug}, {"name": name})
        for slug, name in FIELDS_OF_ACTION.items()
    }


def load_associations() -> list[Association]:
    fields = load_fields_of_action()
    associations = []
    for serial, (slug, name, short, field_slugs, since, _coordinator) in enumerate(
        STRUCTURING_ASSOCIATIONS, start=1
    ):
        associations.append(
            upsert(
                Association,
                {"slug": slug},
                {
                    "name": name,
                    "short_name": short,
                    "is_structuring": True,
                    "network_member_since": since,
                    "rna": f"W35{serial:07d}",
                    "siret": demo_siret(serial),
                    "address": f"{serial * 3} rue de la Solidarité (adresse de démonstration)",
                    "postal_code": "35000",
                    "commune": "Rennes",
                    "email": f"contact.{slug}@{DEMO_EMAIL_DOMAIN}",
                    "publics": PUBLICS,
                    "description": f"{name} est l'une des sept associations structurantes "
                    "du réseau SolidaRen, conventionnée avec la Ville de Rennes.",
                },
                many={"fields_of_action": [fields[field] for field in field_slugs]},
            )
        )
    for serial, (slug, name, short, field_slugs) in enumerate(OTHER_ASSOCIATIONS, start=50):
        associations.append(
            upsert(
                Association,
                {"slug": slug},
                {
                    "name": name,
                    "short_name": short,
                    "is_structuring": False,
                    "siret": demo_siret(serial),
                    "commune": "Rennes",
                    "postal_code": "35000",
                    "description": f"{name}, partenaire des missions d'aller-vers des "
                    "Volontaires Solidaires.",
                },
                many={"fields_of_action": [fields[field] for field in field_slugs]},
            )
        )
    return associations


def load_coordinators() -> list[tuple[str, str]]:
    """One coordinator per structuring association; returns (e-mail, association) pairs."""
    accounts = []
    for slug, _name, short, _fields, _since, (first, last) in STRUCTURING_ASSOCIATIONS:
        user = demo_user(coordinator_email(slug), first, last)
        association = Association.objects.get(slug=slug)
        upsert(
            Membership, {"user": user, "association": association}, {"role_title": "Coordination"}
        )
        accounts.append((user.email, short))
    return accounts
