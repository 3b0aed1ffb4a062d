"""Demo data of the funders. SIRET numbers are the public bodies' published ones; check them
against the national registry (annuaire des entreprises) before production use."""

from conventions.models import Funder
from solidaren.demo import upsert

FUNDERS = [
    (
        "Ville de Rennes",
        "Ville",
        Funder.Kind.COMMUNE,
        "21350238800019",
        "Hôtel de Ville, place de la Mairie, 35000 Rennes",
        "La Maire de Rennes",
    ),
    (
        "Rennes Métropole",
        "Métropole",
        Funder.Kind.METROPOLE,
        "24350013900189",
        "4 avenue Henri Fréville, 35200 Rennes",
        "La Présidente de Rennes Métropole",
    ),
    (
        "Département d'Ille-et-Vilaine",
        "Département",
        Funder.Kind.DEPARTEMENT,
        "22350001800013",
        "1 avenue de la Préfecture, 35000 Rennes",
        "Le Président du Conseil départemental",
    ),
    (
        "CCAS de Rennes",
        "CCAS",
        Funder.Kind.CCAS,
        "26350007600017",
        "Hôtel de Ville, place de la Mairie, 35000 Rennes",
        "La Présidente du CCAS",
    ),
]


def load_funders() -> list[Funder]:
    return [
        upsert(
            Funder,
            {"name": name},
            {
                "short_name": short,
                "kind": kind,
                "siret": siret,
                "address": address,
                "representative": representative,
            },
        )
        for name, short, kind, siret, address, representative in FUNDERS
    ]
