from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from associations.data_inclusion import DataInclusionImportError, import_files


class Command(BaseCommand):
    help = (
        "Imports structures and services from data·inclusion v1 JSON files (e.g. a "
        "département's export), in one transaction; idempotent (matched on source and id)."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")

    def handle(self, *args, **options):
        files = []
        for name in options["files"]:
            path = Path(name)
            try:
                files.append((path.name, path.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError) as error:
                raise CommandError(f"Fichier illisible : {name} ({error}).") from error
        try:
            report = import_files(files)
        except DataInclusionImportError as error:
            raise CommandError(f"Import annulé, rien n'a été enregistré. {error}") from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Import data·inclusion terminé : structures {report.structures_created} "
                f"créées, {report.structures_updated} mises à jour ; services "
                f"{report.services_created} créés, {report.services_updated} mis à jour."
            )
        )
