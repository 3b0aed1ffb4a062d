"""Demo data of the registry: the network's associations and their coordinators.

Names, fields of action and history come from the source documents (`shared/DOMAIN.md`).
Addresses and legal identifiers are demo values: well-formed, not the associations' real ones.
"""

import datetime

from django.utils import timezone

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


# --- Directory of services: demo services of the seven associations and of the CCAS ----------
# Plausible but invented (places, hours): every row carries `is_demo` and says so.

DEMO_NOTE = " (Donnée de démonstration.)"
FOOD = "equipement-et-alimentation--alimentation"
CLOTHES = "equipement-et-alimentation--habillement"
FRENCH = "lecture-ecriture-calcul--maitriser-le-francais"
PAPERS = "difficultes-administratives-ou-juridiques--accompagnement-aux-demarches-administratives"
RIGHTS_ACCESS = "difficultes-administratives-ou-juridiques--accompagnement-pour-lacces-aux-droits"
CARE = "sante--acces-aux-soins"
SOCIAL = "remobilisation--lien-social"
SHELTER = "logement-hebergement--rechercher-une-solution-dhebergement-temporaire"
RENNES_INSEE = "35238"

# structure slug, service slug, name, type, thématiques, publics, quartier slug, address, hours,
# welcome, extra fields
DEMO_SERVICES = [
    ("restos-du-coeur-35", "restos-distribution-maurepas", "Distribution alimentaire de Maurepas",
     "aide-materielle", [FOOD], ["tous-publics"], "maurepas-bellangerais",
     "12 rue de la Marbaudais", "Tu,Th 09:00-11:30; PH off", "preferentiel",
     {"on_appointment": True, "documents_to_bring": "Justificatif de ressources si vous en avez.",
      "access_conditions": "Inscription lors de la première venue.",
      "how_to_get_there": "Métro Gros-Chêne"}),
    ("banque-alimentaire", "banque-alimentaire-epicerie", "Épicerie solidaire du Blosne",
     "aide-materielle", [FOOD], ["beneficiaires-des-minimas-sociaux", "familles"], "le-blosne",
     "8 boulevard de Yougoslavie", "Mo,We,Fr 14:00-17:30; PH off", "exclusif",
     {"on_referral": True, "fees": "payant", "fees_details": "10 % du prix habituel",
      "documents_to_bring": "Fiche d'orientation d'un travailleur social.",
      "how_to_get_there": "Métro Triangle"}),
    ("coeurs-resistants", "coeurs-resistants-accueil-jour", "Accueil de jour et petit-déjeuner",
     "accompagnement", [SOCIAL, SHELTER, FOOD], ["personnes-en-situation-durgence"], "centre",
     "3 quai Lamartine", "Mo-Sa 08:00-12:00", "inconditionnel",
     {"animals_accepted": True, "wheelchair_access": True, "how_to_get_there": "Métro République"}),
    ("coeurs-resistants", "coeurs-resistants-douches", "Douches et bagagerie",
     "aide-materielle", [CARE, SOCIAL], ["tous-publics"], "centre", "3 quai Lamartine",
     "Mo-Fr 09:00-11:00; PH off", "inconditionnel",
     {"documents_to_bring": "Rien : serviette et savon fournis.",
      "how_to_get_there": "Métro République"}),
    ("secours-populaire-35", "secours-populaire-vestiaire", "Vestiaire solidaire",
     "aide-materielle", [CLOTHES], ["tous-publics"], "villejean-beauregard",
     "5 rue de Bourgogne", "We 14:00-17:00, Sa 10:00-12:00; PH off", "inconditionnel",
     {"fees": "payant", "fees_details": "Participation de 1 à 3 €",
      "how_to_get_there": "Métro Villejean-Université"}),
    ("secours-catholique-35", "secours-catholique-francais", "Cours de français pour adultes",
     "atelier", [FRENCH], ["personnes-exilees"], "sud-gare",
     "20 rue d'Isly", "Tu,Th 18:00-20:00; PH off", "inconditionnel",
     {"on_appointment": True, "documents_to_bring": "Rien, inscription sur place.",
      "how_to_get_there": "Gare, sortie sud"}),
    ("atd-quart-monde", "atd-acces-aux-droits", "Permanence accès aux droits",
     "accompagnement", [RIGHTS_ACCESS, PAPERS], ["tous-publics"],
     "cleunay-arsenal-redon-la-courrouze",
     "14 rue Jules Lallemand", "We 09:30-12:00; PH off", "inconditionnel",
     {"documents_to_bring": "Les courriers reçus (CAF, impôts, préfecture) et une pièce "
      "d'identité si vous en avez."}),
    ("croix-rouge-rennes", "croix-rouge-maraude", "Maraude du soir",
     "accompagnement", [SOCIAL, FOOD], ["personnes-en-situation-durgence"], "",
     "", "", "inconditionnel", {"is_itinerant": True, "modes_accueil": ["en-presentiel"]}),
    ("ccas-rennes", "ccas-aide-demarches", "Aide aux démarches administratives",
     "accompagnement", [PAPERS, RIGHTS_ACCESS], ["tous-publics"], "centre",
     "Hôtel de Ville, place de la Mairie", "Mo-Fr 08:30-12:00,13:30-17:00; PH off",
     "inconditionnel",
     {"on_appointment": True, "documents_to_bring": "Pièce d'identité et derniers courriers.",
      "how_to_get_there": "Métro République"}),
]  # fmt: skip

MARAUDE_STOPS = [
    ("Place de la Gare", "sud-gare", "Tu,Th,Sa 19:30-20:30"),
    ("Dalle du Colombier", "centre", "Tu,Th,Sa 20:45-21:30"),
    ("Place de Zagreb", "le-blosne", "We 19:30-20:30"),
]


def load_structures() -> dict:
    from associations.models import Structure, StructureKind
    from associations.structures import structure_fields

    today = timezone.localdate()
    structures = {}
    for association in Association.objects.filter(is_structuring=True):
        structures[association.slug] = upsert(
            Structure,
            {"source": "solidaren", "source_id": association.slug},
            {
                **structure_fields(association),
                "association": association,
                "code_insee": RENNES_INSEE,
                "updated_on": today - datetime.timedelta(days=20),
                "is_demo": True,
            },
        )
    structures["ccas-rennes"] = upsert(
        Structure,
        {"source": "solidaren", "source_id": "ccas-rennes"},
        {
            "kind": StructureKind.CCAS,
            "name": "CCAS de Rennes",
            "description": "Centre communal d'action sociale de la Ville de Rennes." + DEMO_NOTE,
            "address": "Hôtel de Ville, place de la Mairie",
            "postal_code": "35000",
            "commune": "Rennes",
            "code_insee": RENNES_INSEE,
            "email": f"ccas@{DEMO_EMAIL_DOMAIN}",
            "phone": "02 23 62 00 00",
            "updated_on": today - datetime.timedelta(days=20),
            "is_demo": True,
        },
    )
    return structures


def load_services() -> list:
    from associations.models import Service, ServiceChange, ServiceStop
    from volontaires.models import Language, Quartier

    structures = load_structures()
    quartiers = {quartier.slug: quartier for quartier in Quartier.objects.all()}
    languages = {language.code: language for language in Language.objects.all()}
    today = timezone.localdate()
    services = []
    for index, row in enumerate(DEMO_SERVICES):
        structure, slug, name, kind, thematiques, publics, quartier, address, hours = row[:9]
        welcome, extra = row[9], dict(row[10])
        # A mix of freshness: most checked recently, a few to check or stale.
        age = [20, 40, 100, 15, 200, 60, 400, 30, 10][index]
        service = upsert(
            Service,
            {"source": "solidaren", "source_id": slug},
            {
                "structure": structures[structure],
                "slug": slug,
                "name": name,
                "description": f"{name} proposé par {structures[structure].name}." + DEMO_NOTE,
                "type": kind,
                "thematiques": thematiques,
                "publics": publics,
                "quartier": quartiers.get(quartier),
                "address": address,
                "postal_code": "35000" if address else "",
                "commune": "Rennes",
                "code_insee": RENNES_INSEE,
                "eligibility_zone": ["243500139"],  # Rennes Métropole
                "opening_hours": hours,
                "welcome": welcome,
                "modes_accueil": ["en-presentiel"],
                "modes_mobilisation": ["se-presenter"],
                "mobilisable_par": ["usagers", "professionnels"],
                "phone": f"02 99 00 00 {10 + index:02d}",
                "updated_on": today - datetime.timedelta(days=age),
                "is_demo": True,
                **extra,
            },
            many={
                "languages": [
                    languages[code]
                    for code in ("fr", "en", "ar")[: 1 + index % 3]
                    if code in languages
                ]
            },
        )
        services.append(service)
    maraude = Service.objects.get(source="solidaren", source_id="croix-rouge-maraude")
    for position, (label, quartier, hours) in enumerate(MARAUDE_STOPS):
        upsert(
            ServiceStop,
            {"service": maraude, "label": label},
            {"quartier": quartiers.get(quartier), "opening_hours": hours, "position": position},
        )
    vestiaire = Service.objects.get(source="solidaren", source_id="secours-populaire-vestiaire")
    upsert(
        ServiceChange,
        {"service": vestiaire, "reason": "Fermeture pour inventaire (démonstration)"},
        {
            "starts_on": today + datetime.timedelta(days=3),
            "ends_on": today + datetime.timedelta(days=10),
        },
    )
    accueil = Service.objects.get(source="solidaren", source_id="coeurs-resistants-accueil-jour")
    upsert(
        ServiceChange,
        {"service": accueil, "reason": "Plan grand froid : ouverture élargie (démonstration)"},
        {
            "starts_on": today - datetime.timedelta(days=5),
            "ends_on": today + datetime.timedelta(days=60),
            "opening_hours": "Mo-Su 07:30-13:00",
        },
    )
    return services


def load_orientations(agent) -> None:
    """A few orientation requests in each status (invented people, clearly demo)."""
    from associations.models import OrientationRequest, OrientationStatus, Service

    now = timezone.now()
    rows = [
        ("Demo Awa", "ccas-aide-demarches", OrientationStatus.PENDING, 2, ""),
        ("Demo Brieuc", "coeurs-resistants-douches", OrientationStatus.PENDING, 12, ""),
        ("Demo Chloé", "restos-distribution-maurepas", OrientationStatus.ACCEPTED, 20,
         "Inscription faite, venir jeudi."),
        ("Demo Dimitri", "banque-alimentaire-epicerie", OrientationStatus.REFUSED, 25,
         "Hors critères de ressources : orienté vers les Restos du Cœur."),
        ("Demo Élise", "secours-populaire-vestiaire", OrientationStatus.EXPIRED, 45, ""),
        ("Demo Farid", "secours-catholique-francais", OrientationStatus.ACCEPTED, 70,
         "Bienvenue au groupe du mardi."),
    ]  # fmt: skip
    for first_name, slug, status, days_ago, decision in rows:
        service = Service.objects.select_related("structure").get(
            source="solidaren", source_id=slug
        )
        created = now - datetime.timedelta(days=days_ago)
        upsert(
            OrientationRequest,
            {"is_demo": True, "first_name": first_name},
            {
                "structure": service.structure,
                "service": service,
                "prescriber": agent,
                "prescriber_role": "agent",
                "phone": "06 00 00 00 00",
                "reason": "Demande de démonstration.",
                "consent_given": True,
                "consent_recorded_at": created,
                "created_at": created,
                "link_sent_at": created,
                "status": status,
                "decision_reason": decision,
                "decided_at": None
                if status == OrientationStatus.PENDING
                else created + datetime.timedelta(days=3 if status != "expiree" else 30),
                "decided_by": "Accueil (démonstration)" if decision else "",
            },
        )
