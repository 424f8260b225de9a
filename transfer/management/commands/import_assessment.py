"""Import one assessment from a zip made by `export_assessment`.

    manage.py import_assessment RA1-2025-26.zip
    manage.py import_assessment RA1-2025-26.zip --dry-run   # check only

Everything is checked before anything is written, and every problem is reported:
the archive (a damaged or changed member, a member too many or missing), the format
version, the organisation and ICS (by ODS code, and the ICS must be the organisation's
on 1 April of the period here too), the framework versions and their lines, the people,
every row. An assessment that already exists for the organisation and period is
refused: an import never replaces one. Then it is written in one transaction, in the
order the lock allows a signed-off assessment to be written.

People are found by e-mail. Anyone not found is created **inactive**, with that e-mail
as username, their name, no password and no membership: they can do nothing until an
administrator gives them access. The command lists them.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from transfer.archive import TransferError, import_assessment


class Command(BaseCommand):
    help = "Import one assessment from an export zip. Writes nothing if anything is wrong."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the zip made by export_assessment")
        parser.add_argument("--dry-run", action="store_true", help="check everything; write nothing")

    def handle(self, *args, path: Path, dry_run: bool, **options) -> None:
        try:
            with path.open("rb") as source:
                result = import_assessment(source, dry_run=dry_run)
        except OSError as exc:
            raise CommandError(f"{path} cannot be read: {exc.strerror or exc}.") from None
        except TransferError as exc:
            count = len(exc.problems)
            lines = "\n".join(f"  - {problem}" for problem in exc.problems)
            raise CommandError(
                f"{count} problem{'s' if count != 1 else ''} found; nothing was imported.\n{lines}"
            ) from None
        if result is None:
            self.stdout.write(f"Dry run: {path} can be imported; nothing was written.")
            return
        a = result.assessment
        for note in result.notes:
            self.stdout.write(f"  Note: {note}")
        for email in result.created_people:
            self.stdout.write(f"  Created inactive person {email} (no password, no membership).")
        self.stdout.write(
            self.style.SUCCESS(f"Imported {a.organisation.ods_code} {a.period_label} ({a.get_status_display()}).")
        )
