"""Sealed at sign-off: the final PDF is rendered once, after the commit, stored with its
fingerprints and the sign-off record, and served from storage after that."""

import hashlib
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.tasks import default_task_backend, task_backends

from assessments import services
from reporting.models import SealedReport
from reporting.pdf import RenderError
from reporting.selectors import fingerprint
from reporting.services import ReportError, seal
from reporting.tasks import seal_report
from tests.reporting.base import ReportTestCase


def _files(assessment) -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "reports" / str(assessment.pk)
    return sorted(folder.glob("*")) if folder.exists() else []


class SealingTests(ReportTestCase):
    def test_signing_off_enqueues_the_sealing_after_the_commit(self):
        assessment = self.scored(sign_off=False)
        default_task_backend.clear()
        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            services.sign_off(assessment, by=self.chair)
        self.assertEqual(default_task_backend.results, [])  # nothing before the commit
        for callback in callbacks:
            callback()
        (result,) = default_task_backend.results
        self.assertEqual(result.task.name, seal_report.name)
        self.assertEqual(result.args, [assessment.latest_sign_off().pk])

    def test_the_task_seals_the_pdf_with_both_fingerprints_once(self):
        assessment = self.scored()
        record = assessment.latest_sign_off()
        result = seal_report.using(backend="immediate").enqueue(record.pk)
        self.assertEqual(result.status, "SUCCESSFUL", result.errors)
        sealed = SealedReport.objects.get(sign_off=record)
        content = sealed.pdf.read()
        self.assertTrue(content.startswith(b"%PDF-"))
        self.assertEqual(hashlib.sha256(content).hexdigest(), sealed.pdf_sha256)
        self.assertEqual((sealed.size, sealed.number), (len(content), 1))
        self.assertGreater(sealed.pages, 1)
        self.assertEqual(fingerprint(sealed.data), sealed.data_sha256)
        self.assertEqual(sealed.data["sign_off"]["number"], 1)
        # Sealing again changes nothing.
        again = seal_report.using(backend="immediate").enqueue(record.pk)
        self.assertEqual(again.return_value, sealed.pk)
        self.assertEqual(len(_files(assessment)), 1)

    def test_reopening_and_signing_off_again_seals_the_next_number_and_keeps_the_first(self):
        assessment = self.scored()
        first = seal(assessment.latest_sign_off())
        services.reopen_assessment(assessment, by=self.staff, reason="A score was wrong.")
        with self.assertRaisesMessage(ReportError, "Only the sign-off in force"):
            seal(assessment.sign_off_records.get(sequence=2))  # the reopening
        assessment = services.sign_off(assessment, by=self.chair)
        second = seal(assessment.latest_sign_off())
        self.assertEqual((first.number, second.number), (1, 3))
        self.assertNotEqual(first.pdf.name, second.pdf.name)
        self.assertEqual(SealedReport.objects.filter(assessment=assessment).count(), 2)

        self.client.force_login(self.non_executive)
        page = self.client.get("/organisations/RA1/assessments/2025/report/").content.decode()
        self.assertIn(second.pdf_sha256, page)
        self.assertIn("/report/sealed/1/", page)  # the earlier one stays downloadable
        old = self.client.get("/organisations/RA1/assessments/2025/report/sealed/1/")
        self.assertEqual(hashlib.sha256(b"".join(old.streaming_content)).hexdigest(), first.pdf_sha256)

    def test_a_sign_off_no_longer_in_force_is_not_sealed(self):
        assessment = self.scored()
        services.reopen_assessment(assessment, by=self.staff, reason="A score was wrong.")
        with self.assertRaisesMessage(ReportError, "Only the sign-off in force"):
            seal(assessment.sign_off_records.get(sequence=1))
        # Signed off again: the first sign-off, never sealed, is not the one in force.
        services.sign_off(assessment, by=self.chair)
        with self.assertRaisesMessage(ReportError, "Only the sign-off in force"):
            seal(assessment.sign_off_records.get(sequence=1))
        self.assertFalse(SealedReport.objects.exists())

    def test_a_render_that_fails_leaves_no_file_and_no_record(self):
        assessment = self.scored()
        with (
            mock.patch("reporting.pdf.render_pdf", side_effect=RenderError("The PDF could not be made: boom")),
            self.assertRaisesMessage(RenderError, "boom"),
        ):
            seal(assessment.latest_sign_off())
        self.assertFalse(SealedReport.objects.exists())
        self.assertEqual(_files(assessment), [])

    def test_a_record_that_cannot_be_stored_removes_its_file(self):
        assessment = self.scored()
        with (
            mock.patch.object(SealedReport, "save", side_effect=RuntimeError("database went away")),
            self.assertRaises(RuntimeError),
        ):
            seal(assessment.latest_sign_off())
        self.assertEqual(_files(assessment), [])

    def test_the_download_is_the_sealed_file_served_from_storage(self):
        assessment = self.scored()
        self.client.force_login(self.executive)
        url = "/organisations/RA1/assessments/2025/report/pdf/"
        first = self.client.get(url)  # sealed here, the task not having run
        body = b"".join(first.streaming_content)
        sealed = SealedReport.objects.get(assessment=assessment)
        self.assertEqual(hashlib.sha256(body).hexdigest(), sealed.pdf_sha256)
        self.assertIn("attachment", first["Content-Disposition"])
        with mock.patch("reporting.pdf.render_pdf") as render:
            second = self.client.get(url)
        render.assert_not_called()
        self.assertEqual(b"".join(second.streaming_content), body)
        self.assertEqual(second["ETag"], f'"{sealed.pdf_sha256}"')

    def tearDown(self):
        task_backends["default"].clear()


class RetryTests(ReportTestCase):
    def test_a_failed_sealing_is_tried_once_more_then_left_failed(self):
        assessment = self.scored()
        record = assessment.latest_sign_off()
        default_task_backend.clear()
        with mock.patch("reporting.services.seal", side_effect=RuntimeError("render crashed")):
            first = seal_report.using(backend="immediate").enqueue(record.pk)
            (again,) = default_task_backend.results  # queued for a second attempt
            self.assertEqual((again.args, again.kwargs), ([record.pk], {"attempt": 2}))
            second = seal_report.using(backend="immediate").enqueue(*again.args, **again.kwargs)
        self.assertEqual((str(first.status), str(second.status)), ("FAILED", "FAILED"))
        self.assertEqual(len(default_task_backend.results), 1)  # no third attempt
        self.assertFalse(SealedReport.objects.exists())

    def tearDown(self):
        task_backends["default"].clear()
