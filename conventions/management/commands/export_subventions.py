import io

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from conventions.opendata import parse_year, subsidy_rows, write_csv


class Command(BaseCommand):
    help = (
        'Writes the grants in the SCDL "subventions" 2.1.1 open-data schema as CSV, the same '
        "file as /opendata/subventions.csv (to stdout unless --output is given)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", help="Only this year, e.g. 2024.")
        parser.add_argument("--output", help="Path of the CSV file to write.")

    def handle(self, *args, year: str | None, output: str | None, **options):
        try:
            year_filter = parse_year(year) if year else None
        except ValidationError as error:
            raise CommandError(error.messages[0]) from None
        rows = subsidy_rows(year_filter)
        if output:
            with open(output, "w", encoding="utf-8", newline="") as stream:
                write_csv(rows, stream)
            self.stderr.write(
                _("%(path)s écrit : %(count)d lignes.") % {"path": output, "count": len(rows)}
            )
        else:
            buffer = io.StringIO(newline="")
            write_csv(rows, buffer)
            self.stdout.write(buffer.getvalue(), ending="")
