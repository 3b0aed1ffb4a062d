"""Demo data of Volontaires Solidaires.

Reference rows (quartiers and their neighbours, mission types, languages, programmes, the
named demo accounts) are upserted one by one. The generated history of the programmes
(`demo_campaign.campaign_plan`) is bulk-inserted, only what is missing: users and profiles by
e-mail, enrolments by (volunteer, programme), and residents, missions and proposals once per
programme (when it has no mission yet). A second run therefore writes nothing.
"""

from __future__ import annotations

import datetime

from django.contrib.auth.hashers import make_password
from django.utils import timezone
from django.utils.text import slugify

from associations.models import Association
from solidaren.demo import AGENT_EMAIL, DEMO_EMAIL_DOMAIN, demo_user, upsert
from solidaren.geography import QUARTIERS_RENNES
from solidaren.models import User
from volontaires import demo_campaign as plan
from volontaires.models import (
    Assignment,
    AssignmentStatus,
    AvailabilitySlot,
    EngagementArea,
    Enrolment,
    EnrolmentStatus,
    EnrolmentStatusChange,
    Language,
    Mission,
    MissionOrigin,
    MissionStatus,
    MissionType,
    Programme,
    Quartier,
    Resident,
    TrainingSession,
    Urgency,
    VolunteerProfile,
)

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

LANGUAGES = {
    "fr": "français",
    "en": "anglais",
    "es": "espagnol",
    "de": "allemand",
    "it": "italien",
    "pt": "portugais",
    "ar": "arabe",
    "br": "breton",
    "ru": "russe",
    "uk": "ukrainien",
    "tr": "turc",
    "ro": "roumain",
    "zh": "chinois",
    "fa": "persan",
    "ps": "pachto",
    "ti": "tigrigna",
    "so": "somali",
    "fsl": "langue des signes française",
}

PROGRAMMES = [
    (
        plan.CAMPAIGN_SLUG,
        "Volontaires Solidaires",
        plan.CAMPAIGN_START,
        plan.CAMPAIGN_END,
        "Dispositif de crise sanitaire : des Rennaises et des Rennais volontaires aident les "
        "habitant·es isolé·es (courses, démarches, appels de convivialité).",
    ),
    (
        plan.SUCCESSOR_SLUG,
        "Citoyennes et Citoyens Volontaires",
        plan.SUCCESSOR_START,
        None,
        "Engagements ponctuels en solidarité, éco-citoyenneté, événements de la Ville et "
        "démocratie locale, avec un parcours citoyen de formation.",
    ),
]

# e-mail local part, first name, last name, quartier index, mission type indexes,
# availability slots (weekday, start hour, end hour), languages, verified by staff
DEMO_VOLUNTEERS = [
    ("volontaire.lea", "Léa", "Hamon", 0, [0, 2, 3], [(1, 14, 18), (5, 9, 12)], ["fr"], True),
    (
        "volontaire.karim",
        "Karim",
        "Benali",
        9,
        [1, 4, 5],
        [(2, 9, 12), (4, 14, 18)],
        ["fr", "ar"],
        True,
    ),
    ("volontaire.jeanne", "Jeanne", "Corre", 10, [0, 2, 8], [(0, 9, 12)], ["fr", "br"], True),
    (
        "volontaire.thomas",
        "Thomas",
        "Rault",
        4,
        [7, 11, 12],
        [(5, 9, 13), (3, 17, 20)],
        ["fr", "en"],
        False,
    ),
]
NAMED_SIGN_UP = timezone.make_aware(datetime.datetime(2021, 9, 6, 18, 30))

# Sessions of the parcours citoyen: title, days after the load, place.
TRAINING_SESSIONS = [
    ("Accueil des volontaires et charte", 14, "Hôtel de Ville, salon d'honneur"),
    ("Écoute et isolement des personnes âgées", 28, "CCAS de Rennes"),
    ("Premiers secours citoyens", 42, "Maison de quartier de Villejean"),
]


def load_quartiers() -> list[Quartier]:
    quartiers = [
        upsert(Quartier, {"slug": slugify(name)}, {"name": name, "position": position})
        for position, name in enumerate(QUARTIERS_RENNES, start=1)
    ]
    for index, quartier in enumerate(quartiers):
        upsert(
            Quartier,
            {"pk": quartier.pk},
            many={"neighbours": [quartiers[other] for other in plan.neighbours(index)]},
        )
    return quartiers


def load_mission_types() -> list[MissionType]:
    return [
        upsert(
            MissionType,
            {"slug": slugify(name)[:50]},
            {"name": name, "engagement_area": area, "at_residents_home": at_home},
        )
        for name, area, at_home in MISSION_TYPES
    ]


def load_languages() -> dict[str, Language]:
    return {
        code: upsert(Language, {"code": code}, {"name": name}) for code, name in LANGUAGES.items()
    }


def load_programmes() -> dict[str, Programme]:
    return {
        slug: upsert(
            Programme,
            {"slug": slug},
            {"name": name, "start_date": start, "end_date": end, "description": description},
        )
        for slug, name, start, end, description in PROGRAMMES
    }


def load_volunteers() -> list[str]:
    """Reference data and the named demo volunteers (who can log in); returns their e-mails."""
    quartiers = load_quartiers()
    mission_types = load_mission_types()
    languages = load_languages()
    programme = load_programmes()[plan.SUCCESSOR_SLUG]
    emails = []
    for local_part, first, last, quartier, types, slots, codes, verified in DEMO_VOLUNTEERS:
        user = demo_user(f"{local_part}@{DEMO_EMAIL_DOMAIN}", first, last)
        profile = upsert(
            VolunteerProfile,
            {"user": user},
            {
                "commune": "Rennes",
                "quartier": quartiers[quartier],
                "phone": "06 00 00 00 00",
                "transport_modes": ["pied", "transports"],
                "engagement_areas": [EngagementArea.SOLIDARITY.value],
                "is_verified": verified,
                "verified_at": NAMED_SIGN_UP + datetime.timedelta(days=3) if verified else None,
                "charter_accepted_at": NAMED_SIGN_UP,
                "data_policy_accepted_at": NAMED_SIGN_UP,
            },
            many={
                "mission_types": [mission_types[index] for index in types],
                "languages": [languages[code] for code in codes],
            },
        )
        for weekday, start, end in slots:
            upsert(
                AvailabilitySlot,
                {"volunteer": profile, "weekday": weekday, "start_time": datetime.time(start)},
                {"end_time": datetime.time(end)},
            )
        enrolment = upsert(
            Enrolment,
            {"volunteer": profile, "programme": programme},
            {"signed_up_at": NAMED_SIGN_UP, "status_changed_at": NAMED_SIGN_UP},
        )
        upsert(
            EnrolmentStatusChange,
            {"enrolment": enrolment, "status": EnrolmentStatus.ACTIVE, "changed_at": NAMED_SIGN_UP},
        )
        emails.append(user.email)
    return emails


def load_programme_history(*, today: datetime.date | None = None) -> None:
    """The generated volunteers of both programmes and the history of the 2020–2021 campaign,
    then the open missions and training sessions of its successor."""
    today = today or timezone.localdate()
    campaign = plan.campaign_plan()
    programmes = {programme.slug: programme for programme in Programme.objects.all()}
    quartiers = list(Quartier.objects.order_by("position"))
    mission_types = list(MissionType.objects.filter(slug__in=_type_slugs()))
    mission_types.sort(key=lambda kind: _type_slugs().index(kind.slug))
    agent = User.objects.filter(email=AGENT_EMAIL).first()

    profiles = _load_profiles(campaign.volunteers, quartiers, mission_types, agent)
    _load_enrolments(campaign.volunteers, profiles, programmes)
    campaign_programme = programmes[plan.CAMPAIGN_SLUG]
    if not campaign_programme.missions.exists():
        _load_history(campaign, campaign_programme, profiles, quartiers, mission_types, agent)
    successor = programmes[plan.SUCCESSOR_SLUG]
    if not successor.missions.exists():
        _load_successor_missions(successor, quartiers, mission_types, agent, today)
    for title, days, place in TRAINING_SESSIONS:
        if not TrainingSession.objects.filter(programme=successor, title=title).exists():
            starts_at = timezone.make_aware(
                datetime.datetime.combine(today + datetime.timedelta(days=days), datetime.time(18))
            )
            TrainingSession.objects.create(
                programme=successor,
                title=title,
                starts_at=starts_at,
                ends_at=starts_at + datetime.timedelta(hours=2),
                place=place,
            )


def _type_slugs() -> list[str]:
    return [slugify(name)[:50] for name, _area, _home in MISSION_TYPES]


def _load_profiles(
    volunteers: list[plan.PlannedVolunteer],
    quartiers: list[Quartier],
    mission_types: list[MissionType],
    agent: User | None,
) -> dict[int, int]:
    """Users (no password, no verified address: they cannot log in) and profiles."""
    emails = {
        f"{volunteer.email_local_part}@{DEMO_EMAIL_DOMAIN}": volunteer for volunteer in volunteers
    }
    existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    User.objects.bulk_create(
        [
            User(
                email=email,
                first_name=volunteer.first_name,
                last_name=volunteer.last_name,
                password=make_password(None),
                date_joined=volunteer.signed_up_at,
            )
            for email, volunteer in emails.items()
            if email not in existing
        ]
    )
    user_ids = dict(User.objects.filter(email__in=emails).values_list("email", "pk"))
    with_profile = set(
        VolunteerProfile.objects.filter(user_id__in=user_ids.values()).values_list(
            "user_id", flat=True
        )
    )
    new_profiles = [
        VolunteerProfile(
            user_id=user_ids[email],
            phone=volunteer.phone,
            commune=volunteer.commune,
            quartier=quartiers[volunteer.quartier] if volunteer.quartier is not None else None,
            transport_modes=volunteer.transport_modes,
            engagement_areas=volunteer.engagement_areas,
            max_missions_per_month=volunteer.max_missions_per_month,
            is_verified=volunteer.verified,
            verified_at=volunteer.signed_up_at + datetime.timedelta(days=4)
            if volunteer.verified
            else None,
            verified_by=agent if volunteer.verified else None,
            charter_accepted_at=volunteer.signed_up_at,
            data_policy_accepted_at=volunteer.signed_up_at,
        )
        for email, volunteer in emails.items()
        if user_ids[email] not in with_profile
    ]
    VolunteerProfile.objects.bulk_create(new_profiles)
    profile_ids = dict(
        VolunteerProfile.objects.filter(user_id__in=user_ids.values()).values_list("user_id", "pk")
    )
    number_to_profile = {
        volunteer.number: profile_ids[user_ids[email]] for email, volunteer in emails.items()
    }
    created = {profile.pk for profile in new_profiles}
    types_through = VolunteerProfile.mission_types.through
    languages_through = VolunteerProfile.languages.through
    types_through.objects.bulk_create(
        [
            types_through(volunteerprofile_id=number_to_profile[v.number], missiontype=kind)
            for v in volunteers
            if number_to_profile[v.number] in created
            for kind in (mission_types[index] for index in sorted(v.mission_types))
        ]
    )
    languages_through.objects.bulk_create(
        [
            languages_through(volunteerprofile_id=number_to_profile[v.number], language_id=code)
            for v in volunteers
            if number_to_profile[v.number] in created
            for code in sorted(v.languages)
        ]
    )
    AvailabilitySlot.objects.bulk_create(
        [
            AvailabilitySlot(
                volunteer_id=number_to_profile[v.number],
                weekday=weekday,
                start_time=datetime.time(start),
                end_time=datetime.time(end),
            )
            for v in volunteers
            if number_to_profile[v.number] in created
            for weekday, start, end in sorted(v.slots)
        ]
    )
    return number_to_profile


def _load_enrolments(
    volunteers: list[plan.PlannedVolunteer],
    profiles: dict[int, int],
    programmes: dict[str, Programme],
) -> None:
    existing = set(
        Enrolment.objects.filter(volunteer_id__in=profiles.values()).values_list(
            "volunteer_id", "programme_id"
        )
    )
    planned = [
        (volunteer, enrolment)
        for volunteer in volunteers
        for enrolment in volunteer.enrolments
        if (profiles[volunteer.number], programmes[enrolment.programme].pk) not in existing
    ]
    enrolments = Enrolment.objects.bulk_create(
        [
            Enrolment(
                volunteer_id=profiles[volunteer.number],
                programme=programmes[enrolment.programme],
                signed_up_at=enrolment.signed_up_at,
                status=enrolment.status,
                status_changed_at=enrolment.changes[-1][1],
                withdrawn_at=enrolment.changes[-1][1]
                if enrolment.status == EnrolmentStatus.WITHDRAWN
                else None,
                withdrawal_reason=enrolment.changes[-1][2]
                if enrolment.status == EnrolmentStatus.WITHDRAWN
                else "",
            )
            for volunteer, enrolment in planned
        ]
    )
    EnrolmentStatusChange.objects.bulk_create(
        [
            EnrolmentStatusChange(enrolment=row, status=status, changed_at=at, note=note)
            for row, (_volunteer, enrolment) in zip(enrolments, planned, strict=True)
            for status, at, note in enrolment.changes
        ]
    )


def _load_history(
    campaign: plan.CampaignPlan,
    programme: Programme,
    profiles: dict[int, int],
    quartiers: list[Quartier],
    mission_types: list[MissionType],
    agent: User | None,
) -> None:
    associations = dict(Association.objects.values_list("slug", "pk"))
    residents = Resident.objects.bulk_create(
        [
            Resident(
                programme=programme,
                first_name=resident.first_name,
                last_name=resident.last_name,
                phone=resident.phone,
                address=resident.address,
                commune=resident.commune,
                quartier=quartiers[resident.quartier] if resident.quartier is not None else None,
                needs=plan.NEEDS_TEXT[resident.need],
                language_id=resident.language,
                referred_by=resident.referred_by,
                referring_association_id=associations.get(resident.association),
                consent_recorded_at=resident.consent_at,
                consent_recorded_by=agent,
            )
            for resident in campaign.residents
        ]
    )
    missions = Mission.objects.bulk_create(
        [
            Mission(
                programme=programme,
                mission_type=mission_types[mission.mission_type],
                title=mission.title,
                description=mission.description,
                origin=mission.origin,
                resident=residents[mission.resident - 1] if mission.resident else None,
                association_id=associations.get(mission.association),
                volunteer_calls=mission.open_to_volunteers,
                commune=mission.commune,
                quartier=quartiers[mission.quartier] if mission.quartier is not None else None,
                place=mission.place,
                date=mission.date,
                start_time=mission.start,
                end_time=mission.end,
                expected_duration_minutes=mission.minutes,
                places=mission.places,
                engagement_area=mission_types[mission.mission_type].engagement_area,
                required_language_id=mission.required_language,
                status=mission.status,
                created_by=agent,
            )
            for mission in campaign.missions
        ]
    )
    Assignment.objects.bulk_create(
        [
            Assignment(
                mission=row,
                volunteer_id=profiles[assignment.volunteer],
                status=assignment.status,
                proposed_at=assignment.proposed_at,
                proposed_by=agent,
                answered_at=assignment.answered_at,
                decline_reason=assignment.decline_reason,
                done_on=assignment.done_on,
                duration_minutes=assignment.duration_minutes,
                completion_note=assignment.completion_note,
            )
            for row, mission in zip(missions, campaign.missions, strict=True)
            for assignment in mission.assignments
        ]
    )


def _next(today: datetime.date, weekday: int, *, after_days: int) -> datetime.date:
    day = today + datetime.timedelta(days=after_days)
    return day + datetime.timedelta(days=(weekday - day.weekday()) % 7)


def _load_successor_missions(
    programme: Programme,
    quartiers: list[Quartier],
    mission_types: list[MissionType],
    agent: User | None,
    today: datetime.date,
) -> None:
    """Open missions of the current programme, for the matching and the proposals."""
    now = timezone.now()
    madeleine = Resident.objects.create(
        programme=programme,
        first_name="Madeleine",
        last_name="Guérin",
        phone="02 99 00 00 01",
        address="12 rue de la Monnaie",
        quartier=quartiers[0],
        needs="Sortie d'hôpital, ne peut pas porter ses courses pendant un mois.",
        language_id="fr",
        referred_by="ccas",
        consent_recorded_at=now,
        consent_recorded_by=agent,
    )
    youssef = Resident.objects.create(
        programme=programme,
        first_name="Youssef",
        last_name="Amrani",
        phone="02 99 00 00 02",
        address="4 place de Zagreb",
        quartier=quartiers[9],
        needs="Dossier de retraite à compléter, parle surtout arabe.",
        language_id="ar",
        referred_by="cdas",
        consent_recorded_at=now,
        consent_recorded_by=agent,
    )
    food_bank = Association.objects.filter(slug="banque-alimentaire").first()
    common = {"programme": programme, "created_by": agent, "status": MissionStatus.OPEN}
    groceries = Mission.objects.create(
        **common,
        mission_type=mission_types[plan.GROCERIES],
        title="Portage de courses",
        description=madeleine.needs,
        origin=MissionOrigin.RESIDENT,
        resident=madeleine,
        quartier=quartiers[0],
        date=_next(today, 1, after_days=2),
        start_time=datetime.time(15),
        end_time=datetime.time(16),
        urgency=Urgency.URGENT,
    )
    Mission.objects.create(
        **common,
        mission_type=mission_types[plan.PAPERWORK],
        title="Aide à un dossier de retraite",
        description=youssef.needs,
        origin=MissionOrigin.RESIDENT,
        resident=youssef,
        quartier=quartiers[9],
        date=_next(today, 2, after_days=3),
        start_time=datetime.time(10),
        end_time=datetime.time(11, 30),
        expected_duration_minutes=90,
        required_language_id="ar",
    )
    calls = [
        (plan.ASSOCIATION_HELP, "Collecte nationale de la Banque alimentaire", 5, 9, 13, 20, 7),
        (plan.CITY_EVENT, "Accueil du public à une fête de quartier", 5, 14, 18, 8, 0),
        (plan.ECO, "Nettoyage des berges de la Vilaine", 6, 10, 12, 12, 8),
        (plan.DEMOCRACY, "Animation d'un atelier du conseil de quartier", 3, 18, 20, 3, 10),
    ]
    for type_index, title, weekday, start, end, places, quartier in calls:
        Mission.objects.create(
            **common,
            mission_type=mission_types[type_index],
            title=title,
            origin=MissionOrigin.ASSOCIATION
            if type_index == plan.ASSOCIATION_HELP
            else MissionOrigin.CITY,
            association=food_bank if type_index == plan.ASSOCIATION_HELP else None,
            volunteer_calls=True,
            quartier=quartiers[quartier],
            date=_next(today, weekday, after_days=10),
            start_time=datetime.time(start),
            end_time=datetime.time(end),
            expected_duration_minutes=(end - start) * 60,
            places=places,
            engagement_area=mission_types[type_index].engagement_area,
        )
    lea = VolunteerProfile.objects.filter(user__email=f"volontaire.lea@{DEMO_EMAIL_DOMAIN}").first()
    if lea is not None:
        Assignment.objects.create(
            mission=groceries,
            volunteer=lea,
            status=AssignmentStatus.PROPOSED,
            proposed_at=now,
            proposed_by=agent,
        )
