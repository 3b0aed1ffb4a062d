from django.core.management.base import BaseCommand
from django.db import transaction

from associations.demo import (
    load_associations,
    load_coordinators,
    load_orientations,
    load_services,
)
from conventions.demo import (
    SKIPPED_CLOSED_ROWS,
    load_conventions,
    load_reports,
    load_subsidies,
    load_subsidy_requests,
)
from solidaren.demo import DEMO_PASSWORD, load_agent
from volontaires.demo import load_programme_history, load_volunteers


class Command(BaseCommand):
    help = (
        "Loads the Rennes demo data (associations, funders, quartiers, mission types, demo "
        "accounts). Idempotent: running it again changes nothing."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        load_associations()
        load_conventions()
        load_subsidies()
        load_reports()
        agent = load_agent()
        coordinators = load_coordinators()
        load_subsidy_requests(agent)
        volunteers = load_volunteers()
        load_programme_history()
        load_services()  # the directory of services (after the quartiers and languages)
        load_orientations(agent)

        self.stdout.write(self.style.SUCCESS("Données de démonstration chargées."))
        if SKIPPED_CLOSED_ROWS:
            # Never fight the closed-year rule: say what was left as it is, and how to restart.
            self.stdout.write(
                self.style.WARNING(
                    f"{len(SKIPPED_CLOSED_ROWS)} ligne(s) d'années closes laissée(s) telle(s) "
                    "quelle(s) (compte rendu validé) : `make demo-reset` repart de zéro."
                )
            )
            SKIPPED_CLOSED_ROWS.clear()
        self.stdout.write(f"Comptes de démonstration (mot de passe : {DEMO_PASSWORD}) :")
        self.stdout.write(f"  agent de la Ville     {agent.email}")
        for email, association in coordinators:
            self.stdout.write(f"  coordination          {email}  ({association})")
        for email in volunteers:
            self.stdout.write(f"  volontaire            {email}")
