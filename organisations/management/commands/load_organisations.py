"""Load the NHS reference data: ICSs (by ICB ODS code), trusts and their dated ICS memberships.

    manage.py load_organisations                 # fixtures/organisations/
    manage.py load_organisations path/to/folder  # a folder laid out the same way
    manage.py load_organisations --dry-run       # check and report, write nothing

Every file is checked before anything is written, every problem is reported with its
file and row, and nothing is written if there is one; nor if the files would move an
existing assessment to another ICS (organisations/pins.py). Rows are matched on ODS codes,
so a second run changes nothing; `make run` runs it on every start.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from organisations.loading import ReferenceDataError, read_folder, store

DEFAULT_FOLDER = Path("fixtures") / "organisations"


class Command(BaseCommand):
    help = "Check and load the ICS and trust reference data. Idempotent; writes nothing if a file has a problem."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", nargs="?", type=Path, help=f"default: {DEFAULT_FOLDER}/")
        parser.add_argument("--dry-run", action="store_true", help="check and report what would change; write nothing")

    def handle(self, *args, folder: Path | None, dry_run: bool, **options) -> None:
        folder = folder or settings.BASE_DIR / DEFAULT_FOLDER
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder.")
        try:
            data = read_folder(folder)
            # store() first checks the data against the records already in the
            # database (an assessment's ICS must not move), then writes.
            with transaction.atomic():
                outcomes = store(data)
                if dry_run:
                    transaction.set_rollback(True)
        except ReferenceDataError as exc:
            count = len(exc.problems)
            lines = "\n".join(f"  - {problem}" for problem in exc.problems)
            raise CommandError(
                f"{count} problem{'s' if count != 1 else ''} found in {folder}; nothing was loaded.\n{lines}"
            ) from None

        for label, outcome in outcomes.items():
            if outcome.changed:
                self.stdout.write(
                    f"  {label}: {outcome.created} added, {outcome.updated} changed, {outcome.deleted} removed"
                )
            else:
                self.stdout.write(f"  {label}: unchanged")
        changed = any(outcome.changed for outcome in outcomes.values())
        summary = f"{len(data.systems)} ICSs, {len(data.organisations)} organisations"
        if dry_run:
            self.stdout.write(f"Dry run ({summary}): nothing was written.")
        elif changed:
            self.stdout.write(self.style.SUCCESS(f"Loaded {summary}."))
        else:
            self.stdout.write(f"No changes: {summary} already loaded.")
