"""The generated history of the demo programmes, as plain data (no database access).

The 2020–2021 Volontaires Solidaires campaign must give, counted from its rows, exactly the
figures of the source documents (509 signed up, 405 active, 292 mobilised, 171 residents,
227 supports, 398 missions done). The plan below is built so by construction:

- volunteers 1–509 sign up in the first three weeks; 406–509 (104) withdraw later;
- volunteers 1–200 help residents: 1–27 help two residents, 28–200 one, hence 227 pairs; the
  first 171 pairs each have their own resident, the other 56 are a second helper of a
  resident already helped, hence 171 residents;
- every pair has one mission done, 60 pairs a second one (continuity): 287 missions done;
- 100 volunteers (201–292 and 1–8) each sort one day at the food bank (10 days × 10 places),
  6 inform on health at a testing centre, 5 go "aller vers" with Benenova: 111 more, 398 in
  all, by volunteers 1–292: 292 mobilised;
- declined and expired proposals, pauses and cancelled missions add realism without
  changing any figure.

A fixed seed makes every run produce the same plan, which the loader writes once.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field

from django.utils import timezone

CAMPAIGN_SLUG = "volontaires-solidaires"
SUCCESSOR_SLUG = "citoyennes-et-citoyens-volontaires"
CAMPAIGN_START = datetime.date(2020, 10, 26)
CAMPAIGN_END = datetime.date(2021, 8, 31)
SUCCESSOR_START = datetime.date(2021, 9, 1)

SIGNED_UP = 509
ACTIVE = 405
MOBILISED = 292
RESIDENTS = 171
SUPPORTS = 227
MISSIONS_DONE = 398
SUCCESSOR_SIGN_UPS = 53
# Missions done with several places: 100 at the food bank, 6 health information, 5 outreach.
COLLECTIVE_DONE = 111

# Indexes in volontaires.demo.MISSION_TYPES.
GROCERIES, PAPERWORK, PHONE_CALLS, WALK, FRENCH, APPOINTMENT = 0, 1, 2, 3, 4, 5
SCHOOL, COMPUTER, READING, HEALTH_INFO, OUTREACH, ASSOCIATION_HELP = 6, 7, 8, 9, 10, 11
CITY_EVENT, ECO, DEMOCRACY = 12, 13, 14
RESIDENT_NEEDS = [GROCERIES, PAPERWORK, PHONE_CALLS, WALK, FRENCH, APPOINTMENT]
RESIDENT_NEEDS += [SCHOOL, COMPUTER, READING]
RESIDENT_NEED_WEIGHTS = [35, 20, 20, 8, 5, 5, 3, 3, 1]
NEEDS_TEXT = {
    GROCERIES: "Ne peut plus se déplacer pour ses courses et ses médicaments.",
    PAPERWORK: "A besoin d'aide pour un dossier (CAF, retraite, impôts).",
    PHONE_CALLS: "Vit seul·e, souhaite un appel régulier.",
    WALK: "Souhaite sortir se promener accompagné·e.",
    FRENCH: "Souhaite pratiquer le français à l'oral.",
    APPOINTMENT: "A besoin d'être accompagné·e à un rendez-vous médical.",
    SCHOOL: "Enfant en difficulté scolaire pendant la crise sanitaire.",
    COMPUTER: "Ne sait pas utiliser son ordinateur pour ses démarches.",
    READING: "Personne malvoyante, aimerait qu'on lui lise le courrier et des livres.",
}
MISSION_TITLES = {
    GROCERIES: "Portage de courses",
    PAPERWORK: "Aide à un dossier administratif",
    PHONE_CALLS: "Appel de convivialité",
    WALK: "Promenade de convivialité",
    FRENCH: "Conversation en français",
    APPOINTMENT: "Accompagnement à un rendez-vous",
    SCHOOL: "Accompagnement à la scolarité",
    COMPUTER: "Aide informatique",
    READING: "Lecture à domicile",
}
DURATIONS = {PHONE_CALLS: 45, GROCERIES: 60, READING: 60, COMPUTER: 90}

# Approximate adjacency of the 12 quartiers (indexes in solidaren.geography.QUARTIERS_RENNES),
# drawn from the city map for the demo; to be checked by the city before production use.
QUARTIER_EDGES = [
    (0, 1), (0, 2), (0, 3), (0, 7), (0, 8),
    (1, 3), (1, 4), (1, 5), (1, 6), (1, 7),
    (2, 3), (2, 8), (2, 9), (3, 4), (3, 9),
    (4, 5), (5, 6), (6, 7), (6, 10),
    (7, 8), (7, 10), (7, 11), (8, 11), (10, 11),
]  # fmt: skip

OTHER_COMMUNES = [
    "Cesson-Sévigné", "Saint-Jacques-de-la-Lande", "Bruz", "Chantepie", "Saint-Grégoire",
    "Pacé", "Betton", "Thorigné-Fouillard", "Vezin-le-Coquet", "Le Rheu",
]  # fmt: skip
FIRST_NAMES = [
    "Anne", "Arthur", "Awa", "Bastien", "Camille", "Chloé", "Clément", "Cyril", "Élodie",
    "Emma", "Enora", "Erwan", "Fatou", "Gaëlle", "Gwenaël", "Hugo", "Inès", "Jules", "Julie",
    "Karine", "Killian", "Laure", "Léna", "Loïc", "Lucas", "Maël", "Manon", "Marie", "Mathis",
    "Maxime", "Mehdi", "Morgane", "Nathan", "Nina", "Noah", "Nolwenn", "Océane", "Pauline",
    "Pierre", "Rose", "Romain", "Sarah", "Simon", "Sofia", "Tanguy", "Théo", "Yann", "Yasmine",
    "Youssef", "Zoé",
]  # fmt: skip
LAST_NAMES = [
    "Allain", "Bernard", "Bertho", "Boulanger", "Briand", "Cadiou", "Chevalier", "Collet",
    "Corre", "Daniel", "Diallo", "Durand", "Even", "Gautier", "Gicquel", "Guillard", "Hamel",
    "Hervé", "Jégou", "Josse", "Kerbrat", "Labbé", "Lebreton", "Le Bris", "Le Corre",
    "Le Floch", "Lemoine", "Le Roux", "Lucas", "Martin", "Menard", "Moreau", "Nicolas",
    "Pasquier", "Pelé", "Perrin", "Petit", "Quéré", "Rault", "Renault", "Riou", "Robin",
    "Roger", "Rolland", "Salaün", "Sanchez", "Simon", "Thomas", "Tual", "Vasseur",
]  # fmt: skip
RESIDENT_FIRST_NAMES = [
    "Albert", "Andrée", "Bernadette", "Claude", "Denise", "Fernand", "Françoise", "Gisèle",
    "Henri", "Jacqueline", "Jean", "Josette", "Lucien", "Marcel", "Marguerite", "Monique",
    "Odette", "Paulette", "René", "Simone", "Yvette", "Yvonne", "Amina", "Karim", "Ahmed",
]  # fmt: skip
STREETS = [
    "rue de Saint-Malo", "boulevard de Verdun", "rue de Fougères", "avenue Jules Maniez",
    "rue de Châtillon", "rue de Lorient", "boulevard Villebois-Mareuil", "rue d'Antrain",
    "rue de Brest", "avenue de Pologne", "rue de Nantes", "boulevard Clemenceau",
]  # fmt: skip
# Weekly availability windows offered on the sign-up form: weekday, start hour, end hour.
SLOT_CHOICES = [
    (weekday, start, end) for weekday in range(5) for start, end in [(9, 12), (14, 18), (17, 20)]
] + [(5, 9, 13), (5, 14, 18), (6, 10, 12)]
FOOD_BANK_SLOT = (5, 9, 13)
HEALTH_INFO_SLOT = (2, 14, 18)
OUTREACH_SLOT = (3, 17, 20)
WITHDRAWAL_REASONS = [
    "Reprise de mon activité professionnelle.",
    "Déménagement hors de la Métropole.",
    "Je me suis engagé·e dans une association.",
    "Moins disponible que prévu.",
    "",
]
DECLINE_REASONS = [
    "Pas disponible cette semaine.",
    "Trop loin de chez moi sans voiture.",
    "Je préfère les missions par téléphone.",
    "",
]
COMPLETION_NOTES = [
    "Tout s'est bien passé.",
    "Très bon échange, la personne souhaite renouveler.",
    "Mission faite, rien à signaler.",
    "",
    "",
]


@dataclass
class PlannedEnrolment:
    programme: str
    signed_up_at: datetime.datetime
    # (status, when, note), the first being the sign-up
    changes: list[tuple[str, datetime.datetime, str]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.changes[-1][0]


@dataclass
class PlannedVolunteer:
    number: int
    first_name: str
    last_name: str
    phone: str
    commune: str
    quartier: int | None
    mission_types: set[int]
    languages: set[str]
    transport_modes: list[str]
    engagement_areas: list[str]
    max_missions_per_month: int
    slots: set[tuple[int, int, int]]
    signed_up_at: datetime.datetime
    verified: bool = False
    enrolments: list[PlannedEnrolment] = field(default_factory=list)

    @property
    def email_local_part(self) -> str:
        return f"volontaire-{self.number:04d}"


@dataclass
class PlannedResident:
    number: int
    first_name: str
    last_name: str
    phone: str
    address: str
    commune: str
    quartier: int | None
    need: int
    language: str
    referred_by: str
    association: str | None
    consent_at: datetime.datetime | None = None


@dataclass
class PlannedAssignment:
    volunteer: int
    status: str
    proposed_at: datetime.datetime
    answered_at: datetime.datetime | None = None
    decline_reason: str = ""
    done_on: datetime.date | None = None
    duration_minutes: int | None = None
    completion_note: str = ""


@dataclass
class PlannedMission:
    mission_type: int
    title: str
    origin: str
    date: datetime.date
    start: datetime.time
    end: datetime.time
    status: str
    description: str = ""
    resident: int | None = None
    association: str | None = None
    open_to_volunteers: bool = False
    commune: str = "Rennes"
    quartier: int | None = None
    place: str = ""
    places: int = 1
    required_language: str | None = None
    assignments: list[PlannedAssignment] = field(default_factory=list)

    @property
    def minutes(self) -> int:
        return (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)


@dataclass
class CampaignPlan:
    volunteers: list[PlannedVolunteer]
    residents: list[PlannedResident]
    missions: list[PlannedMission]


def neighbours(quartier: int) -> list[int]:
    return sorted(
        {b for a, b in QUARTIER_EDGES if a == quartier}
        | {a for a, b in QUARTIER_EDGES if b == quartier}
    )


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _time(hour: int, minutes: int = 0) -> datetime.time:
    return datetime.time(hour + minutes // 60, minutes % 60)


def _phone(rng: random.Random, prefix: str) -> str:
    return f"{prefix} {rng.randint(0, 99):02d} {rng.randint(0, 99):02d} {rng.randint(0, 99):02d}"


class _Planner:
    def __init__(self, seed: int = 2020) -> None:
        # Seeded on purpose: the same demo history on every run; nothing secret comes from it.
        self.rng = random.Random(seed)  # noqa: S311 — reproducible demo data, not a secret
        self.volunteers: dict[int, PlannedVolunteer] = {}
        self.residents: list[PlannedResident] = []
        self.missions: list[PlannedMission] = []
        # volunteer number -> mission dates and (year, month) counts, to respect the limits
        self.dates: dict[int, set[datetime.date]] = {}
        self.months: dict[int, dict[tuple[int, int], int]] = {}

    def volunteer(self, number: int, signed_up_on: datetime.date) -> PlannedVolunteer:
        rng = self.rng
        in_rennes = rng.random() < 0.85
        languages = {"fr"}
        for code, share in [("en", 0.4), ("es", 0.15), ("de", 0.08), ("ar", 0.06), ("it", 0.05)]:
            if rng.random() < share:
                languages.add(code)
        planned = PlannedVolunteer(
            number=number,
            first_name=rng.choice(FIRST_NAMES),
            last_name=rng.choice(LAST_NAMES),
            phone=_phone(rng, "06 00"),
            commune="Rennes" if in_rennes else rng.choice(OTHER_COMMUNES),
            quartier=rng.randrange(12) if in_rennes else None,
            mission_types=set(rng.sample([*RESIDENT_NEEDS, HEALTH_INFO, OUTREACH], 3)),
            languages=languages,
            transport_modes=sorted(
                rng.sample(["pied", "velo", "transports", "voiture"], rng.randint(1, 3))
            ),
            engagement_areas=["solidarite"]
            + (["evenements"] if rng.random() < 0.3 else [])
            + (["eco-citoyennete"] if rng.random() < 0.2 else []),
            max_missions_per_month=rng.choice([2, 3, 4, 4, 4, 6, 8]),
            slots=set(rng.sample(SLOT_CHOICES, rng.randint(1, 3))),
            signed_up_at=_at(signed_up_on, rng.randint(8, 22), rng.choice([0, 15, 30, 45])),
        )
        self.volunteers[number] = planned
        self.dates[number] = set()
        self.months[number] = {}
        return planned

    def free_on(self, number: int, day: datetime.date) -> bool:
        volunteer = self.volunteers[number]
        month = (day.year, day.month)
        return (
            day not in self.dates[number]
            and self.months[number].get(month, 0) < volunteer.max_missions_per_month
        )

    def book(self, number: int, day: datetime.date) -> None:
        self.dates[number].add(day)
        month = (day.year, day.month)
        self.months[number][month] = self.months[number].get(month, 0) + 1

    def done(self, number: int, day: datetime.date, minutes: int) -> PlannedAssignment:
        rng = self.rng
        self.book(number, day)
        proposed = _at(day - datetime.timedelta(days=rng.randint(2, 6)), rng.randint(9, 17))
        return PlannedAssignment(
            volunteer=number,
            status="realisee",
            proposed_at=proposed,
            answered_at=proposed + datetime.timedelta(hours=rng.randint(1, 20)),
            done_on=day,
            duration_minutes=max(15, minutes + rng.choice([-15, 0, 0, 15, 30])),
            completion_note=rng.choice(COMPLETION_NOTES),
        )


def _campaign_weeks() -> list[datetime.date]:
    monday = CAMPAIGN_START + datetime.timedelta(days=7)  # first missions a week after launch
    weeks = []
    while monday + datetime.timedelta(days=6) <= CAMPAIGN_END:
        weeks.append(monday)
        monday += datetime.timedelta(days=7)
    return weeks


def campaign_plan() -> CampaignPlan:
    """The deterministic plan of both demo programmes' volunteers and of the campaign."""
    planner = _Planner()
    rng = planner.rng

    # Sign-ups: 509 in three weeks, most in the first days.
    for number in range(1, SIGNED_UP + 1):
        day = CAMPAIGN_START + datetime.timedelta(days=min(20, int(rng.expovariate(1 / 4))))
        volunteer = planner.volunteer(number, day)
        volunteer.enrolments.append(
            PlannedEnrolment(
                CAMPAIGN_SLUG, volunteer.signed_up_at, [("actif", volunteer.signed_up_at, "")]
            )
        )
    for number in range(ACTIVE + 1, SIGNED_UP + 1):
        enrolment = planner.volunteers[number].enrolments[0]
        day = datetime.date(2020, 11, 20) + datetime.timedelta(days=rng.randint(0, 130))
        enrolment.changes.append(("desiste", _at(day, 10), rng.choice(WITHDRAWAL_REASONS)))
    never_mobilised = list(range(MOBILISED + 1, ACTIVE + 1))
    paused = set(rng.sample(never_mobilised, 15))
    for number in sorted(paused):
        day = datetime.date(2021, 1, 4) + datetime.timedelta(days=rng.randint(0, 120))
        planner.volunteers[number].enrolments[0].changes.append(
            ("pause", _at(day, 9), "Indisponible quelques mois.")
        )
    for number in rng.sample(range(1, MOBILISED + 1), 10):  # paused, then came back
        day = datetime.date(2021, 2, 1) + datetime.timedelta(days=rng.randint(0, 60))
        changes = planner.volunteers[number].enrolments[0].changes
        changes.append(("pause", _at(day, 9), ""))
        changes.append(("actif", _at(day + datetime.timedelta(days=21), 9), ""))

    weeks = _campaign_weeks()
    _plan_collective_missions(planner, weeks)
    _plan_resident_missions(planner, weeks)
    _plan_unanswered_proposals(planner, [n for n in never_mobilised if n not in paused])

    # The successor programme: 12 volunteers of the campaign come back, 37 new ones join;
    # with the 4 named demo accounts (volontaires.demo) they make its 53 sign-ups.
    for number in range(1, 13):
        signed_up_at = _at(SUCCESSOR_START + datetime.timedelta(days=rng.randint(0, 40)), 18)
        planner.volunteers[number].enrolments.append(
            PlannedEnrolment(SUCCESSOR_SLUG, signed_up_at, [("actif", signed_up_at, "")])
        )
    for number in range(SIGNED_UP + 1, SIGNED_UP + 38):
        day = SUCCESSOR_START + datetime.timedelta(days=rng.randint(0, 120))
        volunteer = planner.volunteer(number, day)
        volunteer.mission_types.add(rng.choice([CITY_EVENT, ECO, DEMOCRACY]))
        volunteer.engagement_areas = sorted(
            {"solidarite", rng.choice(["eco-citoyennete", "evenements", "democratie"])}
        )
        volunteer.enrolments.append(
            PlannedEnrolment(
                SUCCESSOR_SLUG, volunteer.signed_up_at, [("actif", volunteer.signed_up_at, "")]
            )
        )

    return CampaignPlan(
        volunteers=[planner.volunteers[number] for number in sorted(planner.volunteers)],
        residents=planner.residents,
        missions=planner.missions,
    )


def _collective(
    planner: _Planner,
    participants: list[int],
    days: list[datetime.date],
    slot: tuple[int, int, int],
    mission: dict,
) -> None:
    """Missions with several places, each participant doing one of them."""
    weekday, start, end = slot
    per_day = -(-len(participants) // len(days))
    for index, day in enumerate(days):
        if day.weekday() != weekday:
            raise ValueError(f"{day} is not on weekday {weekday}: the demo plan is inconsistent")
        planned = PlannedMission(
            date=day,
            start=_time(start),
            end=_time(end),
            status="realisee",
            origin=mission["origin"],
            mission_type=mission["type"],
            title=mission["title"],
            description=mission["description"],
            association=mission.get("association"),
            open_to_volunteers=True,
            quartier=mission.get("quartier"),
            place=mission["place"],
            places=per_day,
        )
        for number in participants[index * per_day : (index + 1) * per_day]:
            volunteer = planner.volunteers[number]
            volunteer.mission_types.add(mission["type"])
            volunteer.slots.add(slot)
            planned.assignments.append(planner.done(number, day, planned.minutes))
        planner.missions.append(planned)


def _plan_collective_missions(planner: _Planner, weeks: list[datetime.date]) -> None:
    saturdays = [week + datetime.timedelta(days=5) for week in weeks[:20:2]]
    _collective(
        planner,
        list(range(201, MOBILISED + 1)) + list(range(1, 9)),
        saturdays,
        FOOD_BANK_SLOT,
        {
            "origin": "association",
            "type": ASSOCIATION_HELP,
            "title": "Tri des denrées à la Banque alimentaire",
            "description": "Renfort des bénévoles de la Banque alimentaire pendant la crise.",
            "association": "banque-alimentaire",
            "place": "Entrepôt de la Banque alimentaire",
        },
    )
    _collective(
        planner,
        list(range(9, 15)),
        [datetime.date(2021, 1, 13)],
        HEALTH_INFO_SLOT,
        {
            "origin": "ville",
            "type": HEALTH_INFO,
            "title": "Information santé au centre de dépistage",
            "description": "Accueillir et informer les personnes venues se faire dépister.",
            "place": "Centre de dépistage, esplanade Charles-de-Gaulle",
            "quartier": 0,
        },
    )
    _collective(
        planner,
        list(range(15, 20)),
        [datetime.date(2021, 3, 18)],
        OUTREACH_SLOT,
        {
            "origin": "association",
            "type": OUTREACH,
            "title": "Aller-vers les étudiant·es isolé·es avec Benenova",
            "description": "Déambulation sur le campus pour repérer et orienter.",
            "association": "benenova-rennes",
            "place": "Campus de Villejean",
            "quartier": 9,
        },
    )


def _pairs() -> list[int]:
    """Volunteer number of each of the 227 supports: volunteers 1–27 have two."""
    return [number for number in range(1, 201) for _ in range(2 if number <= 27 else 1)]


def _plan_resident_missions(planner: _Planner, weeks: list[datetime.date]) -> None:
    rng = planner.rng
    pairs = _pairs()
    resident_of_pair = list(range(RESIDENTS)) + [
        (index * 3) % RESIDENTS for index in range(SUPPORTS - RESIDENTS)
    ]
    if len(set(zip(pairs, resident_of_pair, strict=True))) != SUPPORTS:
        raise ValueError(f"the demo plan must give {SUPPORTS} distinct supports")
    for number in range(RESIDENTS):
        helper = planner.volunteers[pairs[number]]
        need = rng.choices(RESIDENT_NEEDS, RESIDENT_NEED_WEIGHTS)[0]
        quartier = helper.quartier
        if quartier is not None and rng.random() < 0.35:
            quartier = rng.choice(neighbours(quartier))
        referred_by = rng.choices(["ccas", "self", "cdas", "association"], [40, 30, 15, 15])[0]
        planner.residents.append(
            PlannedResident(
                number=number + 1,
                first_name=rng.choice(RESIDENT_FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
                phone=_phone(rng, "02 99"),
                address=f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
                commune=helper.commune,
                quartier=quartier,
                need=need,
                language="fr" if rng.random() < 0.9 else rng.choice(["ar", "en", "es"]),
                referred_by=referred_by,
                association=rng.choice(["secours-populaire-35", "croix-rouge-rennes"])
                if referred_by == "association"
                else None,
            )
        )
    second_missions = set(rng.sample(range(SUPPORTS), MISSIONS_DONE - SUPPORTS - COLLECTIVE_DONE))
    for index, (number, resident_index) in enumerate(zip(pairs, resident_of_pair, strict=True)):
        resident = planner.residents[resident_index]
        volunteer = planner.volunteers[number]
        volunteer.verified = True
        volunteer.mission_types.add(resident.need)
        volunteer.languages.add(resident.language)
        for _repeat in range(2 if index in second_missions else 1):
            planner.missions.append(_resident_mission(planner, weeks, volunteer, resident))
    for resident in rng.sample(planner.residents, 5):
        day = rng.choice(weeks) + datetime.timedelta(days=rng.randrange(5))
        planner.missions.append(
            PlannedMission(
                mission_type=resident.need,
                title=MISSION_TITLES[resident.need],
                origin="habitant",
                resident=resident.number,
                date=day,
                start=_time(10),
                end=_time(11),
                status="annulee",
                description="Annulée : l'habitant·e a trouvé de l'aide dans son entourage.",
                commune=resident.commune,
                quartier=resident.quartier,
            )
        )
    for mission in planner.missions:
        if mission.resident is not None and mission.assignments:
            resident = planner.residents[mission.resident - 1]
            first = min(assignment.proposed_at for assignment in mission.assignments)
            consent = first - datetime.timedelta(days=1)
            if resident.consent_at is None or consent < resident.consent_at:
                resident.consent_at = consent


def _resident_mission(
    planner: _Planner,
    weeks: list[datetime.date],
    volunteer: PlannedVolunteer,
    resident: PlannedResident,
) -> PlannedMission:
    rng = planner.rng
    minutes = DURATIONS.get(resident.need, 90)
    slots = sorted(slot for slot in volunteer.slots if (slot[2] - slot[1]) * 60 >= minutes)
    # The lockdown of November 2020 and the spring of 2021 asked for the most help.
    weights = [3 if week.month in (11, 12, 3, 4) else 1 for week in weeks]
    for _attempt in range(500):
        weekday, start, _end = rng.choice(slots)
        day = rng.choices(weeks, weights)[0] + datetime.timedelta(days=weekday)
        if planner.free_on(volunteer.number, day):
            break
    else:  # pragma: no cover - the plan is fixed by its seed
        raise RuntimeError("No free date for a demo mission.")
    required = resident.language if resident.need in (PAPERWORK, APPOINTMENT) else None
    return PlannedMission(
        mission_type=resident.need,
        title=MISSION_TITLES[resident.need],
        origin="habitant",
        resident=resident.number,
        date=day,
        start=_time(start),
        end=_time(start, minutes),
        status="realisee",
        description=NEEDS_TEXT[resident.need],
        commune=resident.commune,
        quartier=resident.quartier,
        required_language=None if required == "fr" else required,
        assignments=[planner.done(volunteer.number, day, minutes)],
    )


def _plan_unanswered_proposals(planner: _Planner, pool: list[int]) -> None:
    """Declined and expired proposals made before the accepted one, on resident missions."""
    rng = planner.rng
    resident_missions = [m for m in planner.missions if m.resident and m.assignments]
    for index, mission in enumerate(rng.sample(resident_missions, 60)):
        accepted = mission.assignments[0]
        proposed = accepted.proposed_at - datetime.timedelta(days=2)
        number = rng.choice(pool)
        if index < 40:
            mission.assignments.insert(
                0,
                PlannedAssignment(
                    volunteer=number,
                    status="refusee",
                    proposed_at=proposed,
                    answered_at=proposed + datetime.timedelta(hours=rng.randint(1, 30)),
                    decline_reason=rng.choice(DECLINE_REASONS),
                ),
            )
        else:
            mission.assignments.insert(
                0, PlannedAssignment(volunteer=number, status="expiree", proposed_at=proposed)
            )
