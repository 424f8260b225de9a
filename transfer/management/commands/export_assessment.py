"""Export one assessment, whole, as a zip.

    manage.py export_assessment RA1 2025                     # RA1-2025-26.zip here
    manage.py export_assessment RA1 2025 -o /backups/x.zip

The zip holds the assessment as one canonical JSON document (format version in it),
its evidence files and its sealed reports' PDFs, and a manifest with the export's time
and every member's SHA-256 (transfer/archive.py describes it). An existing file is
never overwritten: the zip is written beside it under a temporary name and moved into
place only once complete.
"""

import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from transfer.archive import TransferError, export_assessment


class Command(BaseCommand):
    help = "Export one assessment (organisation ODS code, first year of its period) as a zip."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ods_code", help="the organisation's ODS code, e.g. RR8")
        parser.add_argument("year", type=int, help="the first year of the period: 2025 for 2025/26")
        parser.add_argument("-o", "--output", type=Path, help="the zip to write (default: <ODS>-<period>.zip)")

    def handle(self, *args, ods_code: str, year: int, output: Path | None, **options) -> None:
        output = output or Path(f"{ods_code}-{year}-{(year + 1) % 100:02d}.zip")
        if output.exists():
            raise CommandError(f"{output} already exists; nothing was written.")
        handle, partial = tempfile.mkstemp(prefix=".export-", suffix=".zip", dir=output.parent or ".")
        try:
            with os.fdopen(handle, "wb") as out:
                document = export_assessment(ods_code, year, out)
            os.replace(partial, output)
        except TransferError as exc:
            raise CommandError("Nothing was exported.\n" + "\n".join(f"  - {p}" for p in exc.problems)) from None
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
        self.stdout.write(
            self.style.SUCCESS(
                f"Exported {ods_code} {year}/{(year + 1) % 100:02d} to {output}: "
                f"{len(document['respondents'])} respondents, {len(document['answers'])} answers, "
                f"{len(document['agreed_scores'])} agreed scores, {len(document['evidence'])} evidence, "
                f"{len(document['actions'])} actions, {len(document['sign_offs'])} sign-off records, "
                f"{len(document['sealed_reports'])} sealed reports."
            )
        )
