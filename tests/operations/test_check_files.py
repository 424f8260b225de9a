"""`manage.py check_files`: the restore drill's check that the stored files and the
database agree (README, "Backups and the restore drill")."""

import datetime
import hashlib
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from assessments import services
from reporting.models import SealedReport
from reporting.selectors import fingerprint
from tests.factories import PDF_BYTES
from tests.reporting.base import ReportTestCase


class CheckFilesTests(ReportTestCase):
    def setUp(self):
        super().setUp()
        assessment = self.scored(sign_off=False)
        upload = SimpleUploadedFile("audit.pdf", PDF_BYTES)
        data = services.EvidenceInput(
            "Internal audit", "audit-report", datetime.date(2025, 9, 1), "", upload, "application/pdf"
        )
        self.evidence = services.add_evidence(assessment, assessment.included_lines()[0], data, by=self.secretary)
        with self.captureOnCommitCallbacks(execute=True):
            services.sign_off(assessment, by=self.chair)
        record = assessment.latest_sign_off()
        pdf = PDF_BYTES + b"sealed"
        self.report = SealedReport(
            assessment=assessment,
            sign_off=record,
            pdf_sha256=hashlib.sha256(pdf).hexdigest(),
            size=len(pdf),
            pages=1,
            data={},
            data_sha256=fingerprint({}),
        )
        self.report.pdf.save("1.pdf", ContentFile(pdf), save=False)
        self.report.save()

    def check(self, *args) -> str:
        out, err = StringIO(), StringIO()
        try:
            call_command("check_files", *args, stdout=out, stderr=err)
        finally:
            self.errors = err.getvalue()
        return out.getvalue()

    def path(self, name: str) -> Path:
        return Path(settings.MEDIA_ROOT) / name

    def test_files_as_recorded_pass(self):
        self.assertIn("2 stored files checked, 0 missing or altered.", self.check())

    def test_a_sealed_pdf_altered_in_place_is_found_by_its_fingerprint(self):
        path = self.path(self.report.pdf.name)
        altered = bytearray(path.read_bytes())
        altered[-1] ^= 1  # same size, one bit different
        path.write_bytes(bytes(altered))
        with self.assertRaisesMessage(CommandError, "1 stored files are missing or altered"):
            self.check()
        self.assertIn(f"reporting.SealedReport {self.report.pk}: {self.report.pdf.name}: SHA-256 differs", self.errors)

    def test_a_missing_or_truncated_evidence_file_is_found(self):
        path = self.path(self.evidence.file.name)
        path.write_bytes(PDF_BYTES[:10])
        with self.assertRaises(CommandError):
            self.check()
        self.assertIn(f"size 10 bytes, recorded {len(PDF_BYTES)}", self.errors)
        path.unlink()
        with self.assertRaises(CommandError):
            self.check()
        self.assertIn(f"assessments.Evidence {self.evidence.pk}: {self.evidence.file.name}: missing", self.errors)

    def test_orphans_are_listed_and_do_not_fail_the_check(self):
        stray = self.path("reports/999/1-half-written.pdf")
        stray.parent.mkdir(parents=True)
        stray.write_bytes(b"%PDF-")
        self.assertNotIn("orphan", self.check())
        out = self.check("--orphans")
        self.assertIn("orphan: reports/999/1-half-written.pdf", out)
        self.assertIn("1 stored files that no row names.", out)
        self.assertNotIn(self.report.pdf.name, out.split("orphan")[-1])
