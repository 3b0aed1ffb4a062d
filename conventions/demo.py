"""Demo data of funders, conventions and yearly reports.

Funders' SIRET are the public bodies' published ones (check them against the national registry
before production use). Conventions follow the source documents: 7 conventions in force
2023-01-01 → 2026-12-31, five tripartite (Ville + Métropole) and two bipartite, preceded by the
2011, 2015 and 2019 conventions with the Ville, except for the Banque alimentaire and Cœurs
Résistants whose 2023 convention is the first with the Ville. AMOUNTS ARE DEMO FIGURES: the
documents say only that they differ between associations and years.
"""

import datetime
import io
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from pypdf import PdfWriter

from associations.models import Association, Membership, Premises
from conventions.models import (
    BudgetLine,
    Commitment,
    Convention,
    ConventionParty,
    ConventionStatus,
    Funder,
    GrantKind,
    InKindSupport,
    NetworkPriority,
    Objective,
    Payment,
    ReportAction,
    ReportStatus,
    RequestAttachment,
    RequestBudgetLine,
    RequestEvent,
    RequestStatus,
    Subsidy,
    SubsidyNature,
    SubsidyRequest,
    YearlyReport,
)
from solidaren.demo import upsert

# Rows of a closed year (validated report) that the loader found missing or changed: it leaves
# them as they are rather than fight the closed-year rule (`make demo-reset` starts afresh).
SKIPPED_CLOSED_ROWS: list[str] = []


def upsert_amount(model, lookup: dict, values: dict):
    """`upsert` for a convention's yearly row, except in a closed year, left as it is."""
    convention, year = lookup["convention"], lookup["year"]
    if YearlyReport.objects.filter(
        convention=convention, year=year, status=ReportStatus.VALIDATED
    ).exists():
        existing = model.objects.filter(**lookup).first()
        if existing is None or any(getattr(existing, k) != v for k, v in values.items()):
            SKIPPED_CLOSED_ROWS.append(
                f"{convention.reference} {year} ({model._meta.verbose_name})"
            )
        return existing
    return upsert(model, lookup, values)


VILLE = "Ville de Rennes"
METROPOLE = "Rennes Métropole"
DEPARTEMENT = "Département d'Ille-et-Vilaine"

FUNDERS = [
    (
        VILLE,
        "Ville",
        Funder.Kind.COMMUNE,
        "21350238800019",
        "Hôtel de Ville, place de la Mairie, 35000 Rennes",
        "La Maire de Rennes",
    ),
    (
        METROPOLE,
        "Métropole",
        Funder.Kind.METROPOLE,
        "24350013900189",
        "4 avenue Henri Fréville, 35200 Rennes",
        "La Présidente de Rennes Métropole",
    ),
    (
        DEPARTEMENT,
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

NETWORK_PRIORITIES_2023 = [
    (
        1,
        "Favoriser « l'aller vers »",
        "Aller à la rencontre des personnes qui ne viennent pas jusqu'aux associations.",
    ),
    (
        2,
        "Renforcer le pouvoir d'agir des personnes",
        "Associer les personnes accueillies aux décisions et aux actions qui les concernent.",
    ),
    (
        3,
        "Promouvoir l'expérience associative et valoriser les compétences des bénévoles",
        "En développant les formations des bénévoles.",
    ),
]

# association slug, code, tripartite, Ville's yearly amounts 2023-2026, Métropole's,
# own objective, premises lent by the Ville (label, address, m², yearly value)
CONVENTIONS_2023 = [
    (
        "atd-quart-monde",
        "ATD",
        False,
        [18000, 18500, 19000, 19000],
        None,
        "Universités populaires Quart Monde et accès aux droits",
        None,
    ),
    (
        "banque-alimentaire",
        "BA",
        True,
        [25000, 26000, 27000, 27500],
        [30000, 31000, 32000, 32500],
        "Collecte et redistribution des denrées aux associations",
        ("Entrepôt de stockage", "rue de la Donelière, 35000 Rennes", 850, 42000),
    ),
    (
        "coeurs-resistants",
        "CR",
        True,
        [12000, 12500, 13000, 13000],
        [8000, 8500, 9000, 9000],
        "Distributions de repas aux personnes à la rue",
        ("Local de préparation des repas", "boulevard de la Liberté, 35000 Rennes", 120, 9600),
    ),
    (
        "croix-rouge-rennes",
        "CRF",
        True,
        [22000, 22500, 23000, 23500],
        [15000, 15500, 16000, 16000],
        "Maraudes et accueil de jour",
        None,
    ),
    (
        "restos-du-coeur-35",
        "RDC",
        True,
        [30000, 31000, 32000, 32500],
        [20000, 21000, 22000, 22000],
        "Distributions alimentaires et accompagnement",
        ("Centre de distribution", "rue de Lorient, 35000 Rennes", 400, 30000),
    ),
    (
        "secours-catholique-35",
        "SC",
        False,
        [20000, 20500, 21000, 21500],
        None,
        "Accueil des personnes exilées et accès aux droits",
        None,
    ),
    (
        "secours-populaire-35",
        "SPF",
        True,
        [35000, 36000, 37000, 38000],
        [25000, 26000, 27000, 28000],
        "Aide alimentaire, vestimentaire et accès aux vacances",
        ("Libre-service solidaire", "rue Papu, 35000 Rennes", 300, 24000),
    ),
]

# Ville's yearly amount in the 2011, 2015 and 2019 conventions (demo figures).
PREDECESSOR_AMOUNTS = {2011: 12000, 2015: 14000, 2019: 16000}
NO_PREDECESSOR = {"banque-alimentaire", "coeurs-resistants"}

# Yearly reports of the 2023 conventions: year → status per association slug (others: none).
REPORTS = {
    2023: {slug: ReportStatus.VALIDATED for slug, *_rest in CONVENTIONS_2023},
    2024: {
        "atd-quart-monde": ReportStatus.VALIDATED,
        "banque-alimentaire": ReportStatus.SUBMITTED,
        "coeurs-resistants": ReportStatus.RETURNED,
        "croix-rouge-rennes": ReportStatus.SUBMITTED,
        "restos-du-coeur-35": ReportStatus.VALIDATED,
        "secours-catholique-35": ReportStatus.SUBMITTED,
        "secours-populaire-35": ReportStatus.VALIDATED,
    },
    2025: {
        "atd-quart-monde": ReportStatus.SUBMITTED,
        "banque-alimentaire": ReportStatus.DRAFT,
        "coeurs-resistants": ReportStatus.SUBMITTED,
        "croix-rouge-rennes": ReportStatus.SUBMITTED,
        "restos-du-coeur-35": ReportStatus.DRAFT,
        "secours-catholique-35": ReportStatus.SUBMITTED,
        "secours-populaire-35": ReportStatus.VALIDATED,
    },
}

SIGNED_2022 = datetime.date(2022, 11, 7)
CER_ATTESTED_2022 = datetime.date(2022, 9, 15)


def load_funders() -> dict[str, Funder]:
    return {
        name: upsert(
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
    }


def load_network_priorities() -> list[NetworkPriority]:
    return [
        upsert(NetworkPriority, {"position": position}, {"title": title, "description": text})
        for position, title, text in NETWORK_PRIORITIES_2023
    ]


def _party(convention: Convention, funder: Funder, signed_on: datetime.date) -> None:
    upsert(
        ConventionParty,
        {"convention": convention, "funder": funder},
        {
            "signed_on": signed_on,
            "signatory": funder.representative,
            "decision_reference": f"DEL-{signed_on.year}-{convention.reference[-3:]}",
        },
    )


def _yearly(convention: Convention, funder: Funder, amounts: list[int], notified_month=3):
    late_year = 2025 if convention.reference == "CPO-2023-CR" and funder.name == VILLE else None
    for year, amount in zip(convention.years, amounts, strict=True):
        upsert_amount(
            Commitment,
            {"convention": convention, "funder": funder, "year": year, "kind": GrantKind.OPERATING},
            {"amount": Decimal(amount)},
        )
        notified = datetime.date(year, notified_month, 20)
        upsert_amount(
            Payment,
            {"convention": convention, "funder": funder, "year": year},
            {
                "amount": Decimal(amount),
                "notified_on": notified,
                "scheduled_on": notified + datetime.timedelta(days=45),
                "paid_on": notified + datetime.timedelta(days=75 if year == late_year else 40),
            },
        )


def load_predecessors(association: Association, ville: Funder, code: str) -> Convention | None:
    previous = None
    for start_year, amount in PREDECESSOR_AMOUNTS.items():
        signed_on = datetime.date(start_year - 1, 12, 10)
        convention = upsert(
            Convention,
            {"reference": f"CPO-{start_year}-{code}"},
            {
                "association": association,
                "purpose": f"Convention pluriannuelle d'objectifs {start_year}-{start_year + 3} "
                "avec la Ville de Rennes",
                "start_date": datetime.date(start_year, 1, 1),
                "end_date": datetime.date(start_year + 3, 12, 31),
                "status": ConventionStatus.RENEWED,
                "association_signed_on": signed_on,
                "republican_contract_attested_on": CER_ATTESTED_2022
                if start_year >= 2022
                else None,
                "renews": previous,
            },
        )
        _party(convention, ville, signed_on)
        for year in convention.years:
            upsert_amount(
                Commitment,
                {
                    "convention": convention,
                    "funder": ville,
                    "year": year,
                    "kind": GrantKind.OPERATING,
                },
                {"amount": Decimal(amount)},
            )
            # Reports from before the portal existed, recorded as validated (archived).
            upsert(
                YearlyReport,
                {"convention": convention, "year": year},
                {
                    "status": ReportStatus.VALIDATED,
                    "qualitative_report": "Compte rendu reçu sur papier (archive).",
                },
            )
        previous = convention
    return previous


def load_conventions() -> list[Convention]:
    funders = load_funders()
    priorities = load_network_priorities()
    ville, metropole = funders[VILLE], funders[METROPOLE]
    conventions = []
    for (
        slug,
        code,
        tripartite,
        ville_amounts,
        metropole_amounts,
        own_objective,
        premises,
    ) in CONVENTIONS_2023:
        association = Association.objects.get(slug=slug)
        previous = None if slug in NO_PREDECESSOR else load_predecessors(association, ville, code)
        convention = upsert(
            Convention,
            {"reference": f"CPO-2023-{code}"},
            {
                "association": association,
                "purpose": "Soutien aux actions de solidarité envers les plus vulnérables "
                "2023-2026 (réseau SolidaRen)",
                "start_date": datetime.date(2023, 1, 1),
                "end_date": datetime.date(2026, 12, 31),
                "status": ConventionStatus.IN_FORCE,
                "association_signed_on": SIGNED_2022,
                "association_signatory": "La présidence de l'association",
                "republican_contract_attested_on": CER_ATTESTED_2022,
                "renews": previous,
            },
        )
        _party(convention, ville, SIGNED_2022)
        _yearly(convention, ville, ville_amounts)
        if tripartite:
            _party(convention, metropole, SIGNED_2022)
            _yearly(convention, metropole, metropole_amounts, notified_month=4)
        for position, priority in enumerate(priorities, start=1):
            upsert(
                Objective,
                {"convention": convention, "priority": priority},
                {
                    "title": priority.title,
                    "position": position,
                    "indicators": "Nombre d'actions menées, personnes touchées",
                },
            )
        upsert(
            Objective,
            {"convention": convention, "priority": None},
            {
                "title": own_objective,
                "position": 4,
                "indicators": "Nombre de bénéficiaires, part hors Rennes",
            },
        )
        if premises:
            label, address, surface, value = premises
            place = upsert(
                Premises,
                {"association": association, "label": label},
                {"address": address, "surface_m2": Decimal(surface)},
            )
            try:
                upsert(
                    InKindSupport,
                    {"convention": convention, "premises": place},
                    {
                        "funder": ville,
                        "kind": InKindSupport.Kind.PREMISES,
                        "description": f"Mise à disposition : {label.lower()}",
                        "yearly_value": Decimal(value),
                    },
                )
            except ValidationError:  # its first years are closed: left as it is
                SKIPPED_CLOSED_ROWS.append(f"{convention.reference} ({label})")
        conventions.append(convention)
    return conventions


def load_subsidies() -> None:
    """One-off grants of the Département (no convention): two cross 23 000 €, and the Restos du
    Cœur then receive more than 153 000 € of public money in 2024."""
    departement = Funder.objects.get(name=DEPARTEMENT)
    grants = [
        ("secours-populaire-35", 2024, 30000),
        ("restos-du-coeur-35", 2024, 110000),
        ("secours-catholique-35", 2024, 18000),
    ]
    for slug, year, amount in grants:
        upsert(
            Subsidy,
            {
                "association": Association.objects.get(slug=slug),
                "funder": departement,
                "year": year,
                "purpose": "Soutien aux associations caritatives (charte 2021)",
            },
            {
                "nature": SubsidyNature.MONEY,
                "amount": Decimal(amount),
                "decision_reference": f"CP-{year}-SOL",
                "decided_on": datetime.date(year, 4, 26),
            },
        )


def load_reports() -> None:
    for year, statuses in REPORTS.items():
        for slug, status in statuses.items():
            convention = Convention.objects.get(association__slug=slug, start_date__year=2023)
            done = status in (ReportStatus.SUBMITTED, ReportStatus.VALIDATED, ReportStatus.RETURNED)
            report = upsert(
                YearlyReport,
                {"convention": convention, "year": year},
                {
                    "status": status,
                    "qualitative_report": "Distributions et accueils assurés toute l'année, "
                    "nouvelles actions d'aller-vers."
                    if done
                    else "",
                    "beneficiaries_count": 1200 + 50 * (year - 2023),
                    "beneficiaries_outside_rennes_percent": Decimal("30.0"),
                    "volunteers_count": 80,
                    "volunteer_hours": Decimal("6500"),
                    "staff_comment": "Merci de détailler l'écart sur les achats alimentaires."
                    if status == ReportStatus.RETURNED
                    else "",
                },
            )
            for objective in convention.objectives.all():
                upsert(
                    ReportAction,
                    {"report": report, "objective": objective},
                    {"actions": "Actions menées dans l'année." if done else ""},
                )
            if done:
                committed = sum(c.amount for c in convention.commitments.filter(year=year))
                upsert(
                    BudgetLine,
                    {
                        "report": report,
                        "side": BudgetLine.Side.INCOME,
                        "label": "Subventions de la Ville et de la Métropole",
                    },
                    {"planned": committed, "actual": committed},
                )
                upsert(
                    BudgetLine,
                    {
                        "report": report,
                        "side": BudgetLine.Side.CHARGE,
                        "label": "Achats alimentaires et matériel",
                    },
                    {
                        "planned": committed,
                        "actual": (committed * Decimal("1.08")).quantize(Decimal("0.01")),
                    },
                )


# Two renewal requests in progress, so that the campaign panel shows every case: the others
# have none (and none of the seven is renewed yet).
RENEWAL_REQUESTS = [
    ("banque-alimentaire", RequestStatus.SUBMITTED),
    ("croix-rouge-rennes", RequestStatus.IN_REVIEW),
]


def _demo_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    content = io.BytesIO()
    writer.write(content)
    return content.getvalue()


def load_subsidy_requests(agent) -> None:
    """Created once (left alone afterwards, whatever staff did with them in the demo)."""
    from conventions import subsidy_requests

    for slug, status in RENEWAL_REQUESTS:
        convention = Convention.objects.get(association__slug=slug, start_date__year=2023)
        if SubsidyRequest.objects.filter(renews=convention).exists():
            continue
        membership = Membership.objects.filter(association=convention.association).first()
        coordinator = membership.user if membership else None
        request = subsidy_requests.open_request(
            association=convention.association, by=coordinator, renews=convention
        )
        request.projects = (
            "Poursuite des distributions et de l'accueil, développement de l'aller-vers dans "
            "les quartiers prioritaires."
        )
        request.volunteers_count, request.employees_count, request.members_count = 80, 3, 240
        request.republican_contract_attested_on = datetime.date(2026, 10, 15)
        request.honour_declaration = True
        request.signatory = "La présidence de l'association"
        request.status = status
        request.submitted_at = datetime.datetime(2026, 11, 11, 9, 0, tzinfo=datetime.UTC)
        request.save()
        total = sum(amount.asked for amount in request.amounts.filter(year=2027))
        for account, label, amount in [
            ("60", "Achats alimentaires et matériel", total),
            ("86", "Bénévolat valorisé", Decimal("110500")),
            ("74", "Subventions demandées", total),
            ("87", "Contributions volontaires en nature", Decimal("110500")),
        ]:
            RequestBudgetLine.objects.create(
                request=request, year=2027, account=account, label=label, amount=amount
            )
        for kind, name in [
            (RequestAttachment.Kind.STATUTES, "statuts.pdf"),
            (RequestAttachment.Kind.ACCOUNTS, "comptes-2025.pdf"),
        ]:
            RequestAttachment.objects.create(
                request=request, kind=kind, title=name, file=ContentFile(_demo_pdf(), name)
            )
        RequestEvent.objects.create(
            request=request,
            status=RequestStatus.SUBMITTED,
            author=coordinator,
            at=request.submitted_at,
        )
        if status == RequestStatus.IN_REVIEW:
            RequestEvent.objects.create(
                request=request,
                status=RequestStatus.IN_REVIEW,
                author=agent,
                at=datetime.datetime(2026, 11, 18, 14, 0, tzinfo=datetime.UTC),
            )
