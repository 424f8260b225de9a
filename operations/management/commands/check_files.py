"""Check that the stored files and the database agree: after a restore, before trusting it.

    manage.py check_files            # exit status 1 if a file is missing or altered
    manage.py check_files --orphans  # also list stored files that no row names

Every file field of every model is checked: the file exists; an evidence file has the
size recorded when it was uploaded; a sealed report's PDF has the SHA-256 recorded when
it was sealed (the one the report page shows), so a board pack restored from backup is
the one the board signed. Orphans (a file no row names: left by a worker killed between
writing a PDF and recording it, or by a media backup taken after the database dump)
are listed, not removed, and do not fail the check.
"""

import hashlib
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import models

CHUNK = 1024 * 1024


def _sha256(storage, name: str) -> str:
    digest = hashlib.sha256()
    with storage.open(name, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Command(BaseCommand):
    help = "Check that every stored file named in the database exists and is unaltered."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--orphans", action="store_true", help="also list stored files that no row names")

    def handle(self, *args, orphans: bool, **options) -> None:
        problems: list[str] = []
        named: set[str] = set()
        checked = 0
        for model in apps.get_models():
            fields = [f for f in model._meta.get_fields() if isinstance(f, models.FileField)]
            for field in fields:
                # The base manager: no default filtering may hide a row from the check.
                rows = model._base_manager.exclude(**{field.name: ""}).values_list(
                    "pk", field.name, *self._expected(model)
                )
                for pk, name, *expected in rows.iterator():
                    named.add(name)
                    checked += 1
                    problem = self._check(field.storage, name, model, expected)
                    if problem:
                        problems.append(f"{model._meta.label} {pk}: {name}: {problem}")
        for problem in problems:
            self.stderr.write(problem)
        self.stdout.write(f"{checked} stored files checked, {len(problems)} missing or altered.")
        if orphans:
            self._list_orphans(named)
        if problems:
            raise CommandError(f"{len(problems)} stored files are missing or altered (listed above).")

    @staticmethod
    def _expected(model) -> tuple[str, ...]:
        """The recorded facts a model's file must match: its size, then its SHA-256."""
        label = model._meta.label
        if label == "reporting.SealedReport":
            return ("size", "pdf_sha256")
        if label == "assessments.Evidence":
            return ("size",)
        return ()

    @staticmethod
    def _check(storage, name: str, model, expected: list) -> str:
        if not storage.exists(name):
            return "missing"
        if expected and storage.size(name) != expected[0]:
            return f"size {storage.size(name)} bytes, recorded {expected[0]}"
        if len(expected) > 1 and _sha256(storage, name) != expected[1]:
            return "SHA-256 differs from the one recorded at sealing"
        return ""

    def _list_orphans(self, named: set[str]) -> None:
        root = Path(settings.MEDIA_ROOT)
        found = sorted(
            path.relative_to(root).as_posix()
            for path in (root.rglob("*") if root.is_dir() else [])
            if path.is_file() and path.relative_to(root).as_posix() not in named
        )
        for name in found:
            self.stdout.write(f"orphan: {name}")
        self.stdout.write(f"{len(found)} stored files that no row names.")
