"""Scale data: a département's worth of volunteers, missions and associations, fast.

`manage.py generate_scale_data` (and `make bench`) loads the Rennes demo data first (real
accounts to sign in with, conventions, programmes), then adds rows with `bulk_create` only,
a few thousand per statement: volunteers with their accounts, slots, accepted mission types,
languages and enrolments; sectors (quartiers) in a ring of neighbours; residents; missions
over two years (done, cancelled, open, weekly) with their assignments; associations with
one-off subsidies. Drawn from a seeded generator: the same arguments give the same data.

The generated rows are recognised by their e-mail domain and slug prefix; a database that
already holds some is refused (no half-doubled data), with a clear message.
"""

from __future__ import annotations

import datetime
import io
import random
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from itertools import islice

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from solidaren import page_cache

SCALE_EMAIL_DOMAIN = "echelle.invalid"
SCALE_SLUG_PREFIX = "echelle-"
BATCH = 5000
WINDOWS = [(9, 12), (14, 17), (9, 17), (10, 12), (17, 20), (8, 13), (13, 18)]
COMMUNES = ["Rennes", "Rennes", "Rennes", "Cesson-Sévigné", "Saint-Jacques-de-la-Lande", "Bruz"]

Progress = Callable[[str, int, int], None]


class ScaleDataError(Exception):
    """The database cannot take the scale data (a clear French message)."""


def existing_scale_rows() -> int:
    from solidaren.models import User

    return User.objects.filter(email__endswith=f"@{SCALE_EMAIL_DOMAIN}").count()


def _chunks(rows: Iterable, size: int = BATCH) -> Iterator[list]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _bulk(model, rows: Iterable, total: int, label: str, progress: Progress) -> None:
    done = 0
    for chunk in _chunks(rows):
        model.objects.bulk_create(chunk, batch_size=BATCH)
        done += len(chunk)
        progress(label, done, total)


def generate(
    *,
    volunteers: int,
    missions: int,
    associations: int,
    seed: int = 2026,
    progress: Progress = lambda label, done, total: None,
) -> dict[str, int]:
    """Adds the rows (see the module docstring); returns how many of each."""
    if existing_scale_rows():
        raise ScaleDataError(
            f"La base contient déjà des données d'échelle ({existing_scale_rows()} comptes "
            f"@{SCALE_EMAIL_DOMAIN}) : utilisez une base vide (make bench en crée une) ou "
            "supprimez-la d'abord."
        )
    call_command("load_demo", stdout=io.StringIO())
    return add_rows(
        volunteers=volunteers,
        missions=missions,
        associations=associations,
        seed=seed,
        progress=progress,
    )


def add_rows(
    *,
    volunteers: int,
    missions: int,
    associations: int,
    seed: int = 2026,
    progress: Progress = lambda label, done, total: None,
) -> dict[str, int]:
    """The rows of `generate`, added to whatever is there (tests grow a database with it)."""
    draw = random.Random(seed)  # noqa: S311 - reproducible fake data, no secret
    with transaction.atomic():
        quartiers = _quartiers(max(12, volunteers // 800), progress)
        profiles = _volunteers(draw, volunteers, quartiers, progress)
        residents = _residents(draw, max(10, missions // 20), quartiers, progress)
        mission_count, assignment_count = _missions(
            draw, missions, quartiers, profiles, residents, progress
        )
        association_count = _associations(draw, associations, progress)
    # Fresh planner statistics and visibility map, as autovacuum would make them some minutes
    # later: without them PostgreSQL plans joins over the new rows as if the tables were empty,
    # and cannot answer a list's count from its index alone. VACUUM cannot run inside a
    # transaction (the tests' one), nor does SQLite need it: those only analyse.
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
    # Rows added by bulk_create send no signal: the cached public pages are told here.
    for scope in ("associations", "grants", "missions-reference"):
        page_cache.data_changed(scope)
    return {
        "volontaires": volunteers,
        "secteurs": len(quartiers),
        "habitants": len(residents),
        "missions": mission_count,
        "propositions": assignment_count,
        "associations": association_count,
    }


def _quartiers(count: int, progress: Progress) -> list[int]:
    """The existing quartiers plus numbered sectors up to `count`, each next to the one
    before and after it (a ring), as départements' neighbourhoods are."""
    from volontaires.models import Quartier

    existing = list(Quartier.objects.values_list("pk", flat=True))
    missing = max(0, count - len(existing))
    first = Quartier.objects.filter(slug__startswith=SCALE_SLUG_PREFIX).count()
    _bulk(
        Quartier,
        (
            Quartier(
                name=f"Secteur {number:04d}",
                slug=f"{SCALE_SLUG_PREFIX}secteur-{number}",
                position=100 + number,
            )
            for number in range(first, first + missing)
        ),
        missing,
        "secteurs",
        progress,
    )
    ids = list(Quartier.objects.order_by("pk").values_list("pk", flat=True))
    through = Quartier.neighbours.through
    pairs = set(through.objects.values_list("from_quartier_id", "to_quartier_id"))
    links = []
    for index, pk in enumerate(ids[len(existing) :], start=len(existing)):
        before = ids[index - 1]
        for first, second in ((pk, before), (before, pk)):
            if (first, second) not in pairs:
                links.append(through(from_quartier_id=first, to_quartier_id=second))
    through.objects.bulk_create(links, batch_size=BATCH, ignore_conflicts=True)
    return ids


def current_programme():
    """The programme volunteers join today (no end date), else the figures' default one."""
    from volontaires.figures import DEFAULT_PROGRAMME_SLUG
    from volontaires.models import Programme

    return Programme.objects.filter(end_date__isnull=True).order_by(
        "-start_date"
    ).first() or Programme.objects.get(slug=DEFAULT_PROGRAMME_SLUG)


def _volunteers(draw: random.Random, count: int, quartiers: list[int], progress) -> list[dict]:
    from solidaren.models import User
    from volontaires.models import (
        AvailabilitySlot,
        Enrolment,
        EnrolmentStatus,
        Language,
        MissionType,
        VolunteerProfile,
    )

    password = make_password(None)  # unusable: these accounts never sign in
    now = timezone.now()
    start = User.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    first = existing_scale_rows()
    _bulk(
        User,
        (
            User(
                email=f"volontaire{number}@{SCALE_EMAIL_DOMAIN}",
                first_name=draw.choice(["Léa", "Yanis", "Maëlle", "Tom", "Inès", "Hugo"]),
                last_name=f"Volontaire {number}",
                password=password,
            )
            for number in range(first, first + count)
        ),
        count,
        "comptes",
        progress,
    )
    user_ids = list(
        User.objects.filter(pk__gt=start, email__endswith=f"@{SCALE_EMAIL_DOMAIN}")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    people = []
    for user_id in user_ids:
        in_rennes = draw.random() < 0.8
        people.append(
            {
                "user_id": user_id,
                "quartier_id": draw.choice(quartiers) if in_rennes else None,
                "commune": "Rennes" if in_rennes else draw.choice(COMMUNES[3:]),
                "max": draw.choice([2, 3, 4, 4, 6, 8]),
                "verified": draw.random() < 0.6,
            }
        )
    _bulk(
        VolunteerProfile,
        (
            VolunteerProfile(
                user_id=person["user_id"],
                quartier_id=person["quartier_id"],
                commune=person["commune"],
                max_missions_per_month=person["max"],
                is_verified=person["verified"],
                verified_at=now if person["verified"] else None,
                charter_accepted_at=now,
                data_policy_accepted_at=now,
            )
            for person in people
        ),
        count,
        "volontaires",
        progress,
    )
    by_user = dict(
        VolunteerProfile.objects.filter(user_id__in=user_ids).values_list("user_id", "pk")
    )
    for person in people:
        person["id"] = by_user[person["user_id"]]
    type_ids = list(MissionType.objects.values_list("pk", flat=True))
    languages = list(Language.objects.values_list("code", flat=True))
    types = VolunteerProfile.mission_types.through
    _bulk(
        types,
        (
            types(volunteerprofile_id=person["id"], missiontype_id=type_id)
            for person in people
            for type_id in draw.sample(type_ids, min(len(type_ids), draw.choice([1, 2, 2, 3])))
        ),
        count * 2,
        "types acceptés",
        progress,
    )
    spoken = VolunteerProfile.languages.through
    _bulk(
        spoken,
        (
            spoken(volunteerprofile_id=person["id"], language_id=code)
            for person in people
            for code in {"fr", draw.choice(languages)} & set(languages)
        ),
        count,
        "langues",
        progress,
    )

    def slots(person):
        for weekday in draw.sample(range(7), draw.choice([1, 2, 2, 3])):
            start, end = draw.choice(WINDOWS)
            yield AvailabilitySlot(
                volunteer_id=person["id"],
                weekday=weekday,
                start_time=datetime.time(start),
                end_time=datetime.time(end),
            )

    _bulk(
        AvailabilitySlot,
        (slot for person in people for slot in slots(person)),
        count * 2,
        "disponibilités",
        progress,
    )
    programme = current_programme()
    signed_up = now - datetime.timedelta(days=400)

    def enrolment(person):
        status = draw.choices(
            [EnrolmentStatus.ACTIVE, EnrolmentStatus.PAUSED, EnrolmentStatus.WITHDRAWN],
            weights=[85, 10, 5],
        )[0]
        return Enrolment(
            volunteer_id=person["id"],
            programme=programme,
            signed_up_at=signed_up,
            status=status,
            status_changed_at=signed_up,
            withdrawn_at=signed_up if status == EnrolmentStatus.WITHDRAWN else None,
        )

    _bulk(Enrolment, (enrolment(person) for person in people), count, "inscriptions", progress)
    return people


def _residents(draw: random.Random, count: int, quartiers: list[int], progress) -> list[int]:
    from volontaires.models import Language, Resident

    programme = current_programme()
    languages = list(Language.objects.values_list("code", flat=True))
    before = set(Resident.objects.values_list("pk", flat=True))
    _bulk(
        Resident,
        (
            Resident(
                programme=programme,
                first_name="Habitant·e",
                last_name=f"n°{number}",
                quartier_id=draw.choice(quartiers),
                language_id=draw.choice(languages) if draw.random() < 0.2 else None,
                consent_recorded_at=timezone.now(),
            )
            for number in range(count)
        ),
        count,
        "habitant·es",
        progress,
    )
    return [pk for pk in Resident.objects.values_list("pk", flat=True) if pk not in before]


def _missions(draw, count, quartiers, people, residents, progress) -> tuple[int, int]:
    """Two years of missions: past ones done (one volunteer each) or cancelled, the coming
    60 days open, a few weekly; a tenth of the open ones already proposed to someone."""
    from associations.models import Association
    from volontaires.models import (
        Assignment,
        AssignmentSource,
        AssignmentStatus,
        Mission,
        MissionOrigin,
        MissionStatus,
        MissionType,
        Urgency,
    )

    programme = current_programme()
    types = list(MissionType.objects.values_list("pk", flat=True))
    association_ids = list(Association.objects.values_list("pk", flat=True)[:50])
    today = timezone.localdate()
    first_id = (Mission.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1

    def mission(number):
        day = today + datetime.timedelta(days=draw.randint(-700, 60))
        weekly = day >= today and draw.random() < 0.03
        start = draw.choice([9, 10, 11, 14, 15, 16])
        for_resident = draw.random() < 0.6
        if day < today:
            status = MissionStatus.DONE if draw.random() < 0.9 else MissionStatus.CANCELLED
        else:
            status = MissionStatus.OPEN
        association = None if for_resident else draw.choice([*association_ids, None])
        return Mission(
            programme=programme,
            mission_type_id=draw.choice(types),
            title=f"Mission n°{number}",
            origin=MissionOrigin.RESIDENT
            if for_resident
            else (MissionOrigin.ASSOCIATION if association else MissionOrigin.CITY),
            resident_id=draw.choice(residents) if for_resident else None,
            association_id=association,
            volunteer_calls=not for_resident,
            quartier_id=draw.choice(quartiers),
            date=None if weekly else day,
            recurrence_weekday=day.weekday() if weekly else None,
            start_time=datetime.time(start),
            end_time=datetime.time(start + draw.choice([1, 1, 2])),
            places=1 if for_resident else draw.choice([1, 2, 3, 5]),
            # One request in ten is urgent (the agents' list shows those first).
            urgency=Urgency.URGENT if for_resident and draw.random() < 0.1 else Urgency.NORMAL,
            status=status,
        )

    _bulk(Mission, (mission(number) for number in range(count)), count, "missions", progress)
    rows = Mission.objects.filter(pk__gte=first_id).values_list("pk", "date", "status")
    volunteer_ids = [person["id"] for person in people]
    now = timezone.now()

    def assignments():
        for pk, date, status in rows.iterator(chunk_size=BATCH):
            if status == MissionStatus.DONE:
                moment = datetime.datetime.combine(
                    date - datetime.timedelta(days=3), datetime.time(12), tzinfo=datetime.UTC
                )
                yield Assignment(
                    mission_id=pk,
                    volunteer_id=draw.choice(volunteer_ids),
                    status=AssignmentStatus.DONE,
                    source=AssignmentSource.STAFF,
                    proposed_at=moment,
                    answered_at=moment,
                    done_on=date,
                    duration_minutes=60,
                )
            elif status == MissionStatus.OPEN and draw.random() < 0.1:
                yield Assignment(
                    mission_id=pk,
                    volunteer_id=draw.choice(volunteer_ids),
                    status=AssignmentStatus.PROPOSED,
                    source=AssignmentSource.STAFF,
                    proposed_at=now - datetime.timedelta(hours=draw.randint(1, 40)),
                )

    made = 0
    for chunk in _chunks(assignments()):
        Assignment.objects.bulk_create(chunk, batch_size=BATCH)
        made += len(chunk)
        progress("propositions", made, int(count * 0.85))
    return count, made


def _associations(draw: random.Random, count: int, progress) -> int:
    from associations.models import Association
    from conventions.models import Funder, Subsidy

    missing = max(0, count - Association.objects.count())
    funders = list(Funder.objects.values_list("pk", flat=True))
    first = Association.objects.filter(slug__startswith=SCALE_SLUG_PREFIX).count()
    _bulk(
        Association,
        (
            Association(
                name=f"Association d'échelle n°{number:05d}",
                slug=f"{SCALE_SLUG_PREFIX}{number}",
                commune=draw.choice(COMMUNES),
                description="Association générée pour mesurer le portail à grande échelle.",
            )
            for number in range(first, first + missing)
        ),
        missing,
        "associations",
        progress,
    )
    ids = list(
        Association.objects.filter(slug__startswith=SCALE_SLUG_PREFIX)
        .order_by("pk")
        .values_list("pk", flat=True)[first:]
    )
    year = timezone.localdate().year
    _bulk(
        Subsidy,
        (
            Subsidy(
                association_id=pk,
                funder_id=draw.choice(funders),
                year=support_year,
                amount=Decimal(draw.randint(5, 400) * 100),
                purpose="Fonctionnement",
                decided_on=datetime.date(support_year, 3, 15),
            )
            for pk in ids
            for support_year in (year - 1, year)
        )
        if funders
        else (),
        2 * len(ids),
        "subventions",
        progress,
    )
    return missing
