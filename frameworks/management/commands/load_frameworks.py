"""Load framework files (a maturity scale, framework versions) into the database.

    manage.py load_frameworks                      # every file in fixtures/frameworks/
    manage.py load_frameworks path/to/file.yaml    # one file, or a folder of them
    manage.py load_frameworks --dry-run            # check and report, write nothing

Why it works the way it does:
- Framework content is data reviewed like code, so it lives in files and this command
  is the only way it reaches the database in normal use.
- Every file is checked completely before anything is written, and every problem is
  reported with its file, line and place; one bad file means nothing is written.
- Rows are matched on natural keys, so running it again changes nothing and says so.
  `make run` runs it on every start for that reason.
- A framework version that an assessment uses is frozen: changing its content is
  refused, and the message says to publish a new version instead.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from frameworks.loading import FrameworkFileError, read_files, store

DEFAULT_FOLDER = Path("fixtures") / "frameworks"


class Command(BaseCommand):
    help = "Check and load framework files (YAML). Idempotent; writes nothing if any file has a problem."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="*", type=Path, help=f"files or folders (default: {DEFAULT_FOLDER}/)")
        parser.add_argument("--dry-run", action="store_true", help="check and report what would change; write nothing")

    def handle(self, *args, paths: list[Path], dry_run: bool, **options) -> None:
        files = self._files(paths or [settings.BASE_DIR / DEFAULT_FOLDER])
        try:
            batch = read_files(files, display_root=settings.BASE_DIR)
        except FrameworkFileError as exc:
            count = len(exc.problems)
            lines = "\n".join(f"  - {problem}" for problem in exc.problems)
            raise CommandError(
                f"{count} problem{'s' if count != 1 else ''} found; nothing was loaded.\n{lines}"
            ) from None

        with transaction.atomic():
            outcomes = store(batch)
            if dry_run:
                transaction.set_rollback(True)

        for outcome in outcomes:
            self.stdout.write(f"  {outcome}")
        changed = sum(outcome.changed for outcome in outcomes)
        if dry_run:
            self.stdout.write(f"Dry run: {changed} of {len(outcomes)} documents would change; nothing was written.")
        elif changed:
            self.stdout.write(self.style.SUCCESS(f"Loaded {len(files)} files: {changed} documents changed."))
        else:
            self.stdout.write(f"No changes: all {len(outcomes)} documents in {len(files)} files were already loaded.")

    def _files(self, paths: list[Path]) -> list[Path]:
        files: list[Path] = []
        for path in paths:
            if path.is_dir():
                found = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
                if not found:
                    raise CommandError(f"{path} holds no .yaml files.")
                files.extend(found)
            elif path.is_file():
                files.append(path)
            else:
                raise CommandError(f"{path} does not exist.")
        return files
