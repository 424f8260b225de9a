"""The backup and the restore drill (scripts/backup, scripts/restore-drill) run for real:
pg_dump of the test database and a tar of its stored files, then a restore into a
scratch database, migrations and `check_files`. PostgreSQL only (pg_dump), so collected
only on the PostgreSQL pass (tests/postgres/conftest.py)."""

import datetime
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import TransactionTestCase, override_settings

from assessments import services
from tests.base import add_member, make_ics, make_org, make_user
from tests.factories import PDF_BYTES, answer_all, make_assessment, make_framework

ROOT = Path(__file__).resolve().parents[2]


class BackupDrillTests(TransactionTestCase):
    def setUp(self):
        self.work = Path(self.enterContext(tempfile.TemporaryDirectory(prefix="ics-drill-")))
        self.media = self.work / "media"
        self.enterContext(override_settings(MEDIA_ROOT=self.media))
        trust = make_org("RA1", "North Hospitals NHS Trust", make_ics("QAA", "North"))
        secretary, director = make_user("secretary"), make_user("director")
        add_member(secretary, trust, "secretary")
        add_member(director, trust, "director", "executive")
        assessment = make_assessment(
            trust, secretary=secretary, respondents=[director], frameworks=[make_framework(sections=1)]
        )
        respondent = assessment.respondents.get()
        answer_all(respondent)
        services.submit_response(respondent, by=director)
        services.start_moderation(assessment, by=secretary)
        upload = SimpleUploadedFile("audit.pdf", PDF_BYTES)
        data = services.EvidenceInput("Audit", "audit-report", datetime.date(2026, 9, 1), "", upload, "application/pdf")
        self.evidence = services.add_evidence(assessment, assessment.included_lines()[0], data, by=secretary)
        db = settings.DATABASES["default"]
        self.url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        self.server = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/postgres"

    def run_script(self, *args: str) -> subprocess.CompletedProcess:
        env = {
            **os.environ,
            "DATABASE_URL": self.url,
            "MEDIA_ROOT": str(self.media),
            "BACKUP_DIR": str(self.work / "backups"),
            "RESTORE_SERVER_URL": self.server,
        }
        return subprocess.run([str(ROOT / "scripts" / args[0]), *args[1:]], env=env, capture_output=True, text=True)

    def backup(self) -> Path:
        connection.close()  # nothing of this test's connection is held while pg_dump reads
        result = self.run_script("backup")
        self.assertEqual(result.returncode, 0, result.stderr)
        (dump,) = (self.work / "backups").glob("ics-*.dump")
        return dump

    def scratch_databases(self) -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE 'ics_restore_drill_%%'")
            return [name for (name,) in cursor.fetchall()]

    def test_a_backup_restores_and_its_files_match(self):
        dump = self.backup()
        result = self.run_script("restore-drill", str(dump))
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("1 stored files checked, 0 missing or altered.", result.stdout)
        self.assertIn("assessments: 1\n", result.stdout)
        self.assertIn("evidence: 1\n", result.stdout)
        self.assertIn("restore-drill: passed", result.stdout)
        self.assertEqual(self.scratch_databases(), [])

    def test_a_set_whose_files_lack_one_the_database_names_fails(self):
        dump = self.backup()
        # The media archive of the set made again without the evidence file, its checksum
        # updated: a copy that is whole but incomplete.
        archive = dump.with_name(dump.name.replace(".dump", ".media.tar.gz"))
        (self.media / self.evidence.file.name).unlink()
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(self.media, arcname=".")
        sums = dump.with_suffix(".sha256")
        listed = subprocess.run(
            ["sha256sum", dump.name, archive.name], cwd=dump.parent, capture_output=True, text=True, check=True
        )
        sums.write_text(listed.stdout)
        result = self.run_script("restore-drill", str(dump))
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(f"{self.evidence.file.name}: missing", result.stderr)
        self.assertNotIn("passed", result.stdout)
        self.assertEqual(self.scratch_databases(), [])

    def test_a_damaged_copy_is_refused_before_anything_is_restored(self):
        dump = self.backup()
        with dump.open("r+b") as handle:
            handle.seek(100)
            handle.write(b"\0")
        result = self.run_script("restore-drill", str(dump))
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("FAILED", result.stdout + result.stderr)
        self.assertNotIn("2. restore", result.stdout)
        self.assertEqual(self.scratch_databases(), [])

    def tearDown(self):
        shutil.rmtree(self.media, ignore_errors=True)
