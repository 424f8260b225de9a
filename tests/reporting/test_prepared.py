"""PDFs made on request go to the worker where there is one: the request only asks, the
worker makes it for the person who asked (checking their access again), and the page
waits for it; a failure says so and offers to try again."""

from unittest import mock

from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from reporting.models import PreparedPdf
from reporting.prepared import prepare
from tests.reporting.base import ReportTestCase

ON_WORKER = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
DRAFT = "/organisations/RA1/assessments/2025/report/pdf/"


@override_settings(TASKS=ON_WORKER)
class PreparedPdfTests(ReportTestCase):
    def setUp(self):
        super().setUp()
        self.scored(sign_off=False)
        self.client.force_login(self.chair)

    def ask(self, url=DRAFT):
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.get(url)

    def test_the_request_only_asks_and_the_worker_makes_it(self):
        with mock.patch("reporting.pdf.render_pdf") as render:
            response = self.ask()
        render.assert_not_called()
        self.assertContains(response, "The PDF is being prepared", status_code=202)
        prepared = PreparedPdf.objects.get()
        self.assertEqual((prepared.owner, prepared.kind, prepared.status), (self.chair, "draft", "pending"))
        task = DBTaskResult.objects.get()
        self.assertEqual(task.task_path, "reporting.tasks.prepare_pdf")
        self.assertEqual(self.ask().status_code, 202)  # asking again queues nothing new
        self.assertEqual(DBTaskResult.objects.count(), 1)

        prepare(prepared.pk)  # the worker's part
        response = self.client.get(DRAFT)
        self.assertEqual(response["Content-Type"], "application/pdf")
        self.assertTrue(response.content.startswith(b"%PDF-"))
        self.assertIn("draft.pdf", response["Content-Disposition"])

    def test_someone_else_never_gets_it(self):
        self.ask()
        prepare(PreparedPdf.objects.get().pk)
        self.client.force_login(self.secretary)
        response = self.ask()
        self.assertEqual(response.status_code, 202)  # their own, being prepared
        self.assertEqual(PreparedPdf.objects.filter(owner=self.secretary).count(), 1)

    def test_the_worker_checks_access_again_and_a_failure_offers_to_try_again(self):
        self.ask()
        prepared = PreparedPdf.objects.get()
        self.chair.memberships.all().delete()  # no longer the chair by the time it runs
        prepare(prepared.pk)
        prepared.refresh_from_db()
        self.assertEqual((prepared.status, bool(prepared.pdf)), ("failed", False))
        add_back = self.chair.memberships.model.objects.create(user=self.chair, organisation=self.trust, role="chair")
        response = self.client.get(DRAFT)
        self.assertContains(response, "could not be prepared")
        self.assertContains(response, "again=1")
        self.assertEqual(self.ask(DRAFT + "?again=1").status_code, 202)
        self.assertEqual(PreparedPdf.objects.filter(status="pending").count(), 1)
        self.assertTrue(add_back.pk)

    def test_a_changed_report_is_a_new_pdf(self):
        self.ask()
        prepare(PreparedPdf.objects.get().pk)
        from assessments.models import AgreedScore

        AgreedScore.objects.filter(line__code="S1.1").update(rationale="Changed after the PDF was made.")
        self.assertEqual(self.ask().status_code, 202)
        self.assertEqual(PreparedPdf.objects.count(), 2)
