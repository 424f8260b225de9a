"""The page that waits for a PDF the worker is making: it passes axe with no timed
refresh (WCAG 2.2.1), checks by itself, and the PDF downloads once it is ready."""

from django.contrib.auth.models import User
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from reporting.models import SealedReport
from reporting.services import seal
from tests.browser.base import BrowserTestCase
from tests.factories import make_framework, make_signed_off

ON_WORKER = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@override_settings(TASKS=ON_WORKER)
class WaitingForPdfTests(BrowserTestCase):
    def setUp(self):
        super().setUp()
        # Signed off: its sealing is queued for a worker that never comes.
        self.assessment = make_signed_off(framework=make_framework(sections=1, lines_per_section=2))
        self.chair = User.objects.get(username="chair")
        self.url = f"/organisations/RA1/assessments/{self.assessment.period_start_year}/report/pdf/"

    def test_the_page_waits_without_refreshing_and_the_pdf_downloads_when_ready(self):
        page = self.page
        self.sign_in(self.chair)
        response = self.visit(self.url)
        self.assertEqual(response.status, 202)
        page.get_by_role("heading", name="The PDF is being prepared").wait_for()
        self.assertEqual(page.locator('meta[http-equiv="refresh"]').count(), 0)
        self.assertEqual(page.get_by_role("link", name="Check again").get_attribute("href"), self.url)
        self.assertAccessible()
        # Still waiting after the first check (5 s): the same page, nothing downloaded.
        with page.expect_request(lambda r: r.url.endswith(self.url)) as check:
            pass
        self.assertEqual(check.value.response().status, 202)
        self.assertIn(self.url, page.url)

        # The worker seals it; the next check finds it and the download starts by itself.
        seal(self.assessment.latest_sign_off())
        with page.expect_download(timeout=15_000) as download:
            pass
        self.assertTrue(download.value.suggested_filename.endswith("-sign-off-1.pdf"))
        with open(download.value.path(), "rb") as pdf:
            self.assertEqual(pdf.read(5), b"%PDF-")
        self.assertEqual(page.get_by_role("status").filter(has_text="ready").count(), 1)
        self.assertEqual(SealedReport.objects.count(), 1)
        self.assertEqual(DBTaskResult.objects.filter(task_path="reporting.tasks.seal_report").count(), 1)
        self.assertNoConsoleErrors()
