"""A failed sealing in a browser: a director reads that the signed-off PDF could not be
made, with no button; the secretary presses "Try again" and the report says it is being
made again. The pages pass axe (and are saved for the HTML checker with HTML_SNAPSHOTS)."""

from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from assessments import services
from reporting.models import SealingFailure
from reporting.services import record_sealing_failure
from tests.base import add_member, make_ics, make_org, make_user
from tests.browser.base import BrowserTestCase
from tests.factories import agree_all, make_assessment, make_framework

ON_WORKER = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
REPORT = "/organisations/RA1/assessments/{year}/report/"


@override_settings(TASKS=ON_WORKER)
class SealingFailureInBrowserTests(BrowserTestCase):
    def setUp(self):
        super().setUp()
        trust = make_org("RA1", "North Hospitals NHS Trust", make_ics("QAA", "North"))
        self.secretary, self.chair, self.director = make_user("secretary"), make_user("chair"), make_user("director")
        add_member(self.secretary, trust, "secretary")
        add_member(self.chair, trust, "chair")
        add_member(self.director, trust, "director", "executive")
        assessment = make_assessment(
            trust,
            secretary=self.secretary,
            respondents=[self.director],
            frameworks=[make_framework(sections=2, lines_per_section=2)],
            status="moderation",
        )
        agree_all(assessment, by=self.chair, level=2)
        assessment = services.sign_off(assessment, by=self.chair)  # the sealing is queued, never run here
        DBTaskResult.objects.all().delete()
        # As the worker leaves it when its second attempt fails.
        record_sealing_failure(assessment.latest_sign_off().pk, attempts=2, error=RuntimeError("render crashed"))
        self.url = REPORT.format(year=assessment.period_start_year)

    def test_a_director_reads_that_it_failed_and_has_no_button(self):
        self.sign_in(self.director)
        self.visit(self.url)
        notice = self.page.get_by_role("status").filter(has_text="could not be made")
        self.assertIn("The signed-off PDF could not be made (tried twice, last at ", notice.inner_text())
        self.assertIn("The board secretary or chair can ask for it to be made again.", notice.inner_text())
        self.assertEqual(self.page.get_by_role("button", name="Try again").count(), 0)
        self.assertAccessible()
        response = self.visit(self.url + "pdf/")
        self.assertEqual(response.status, 200)
        self.page.get_by_role("heading", name="The signed-off PDF could not be made").wait_for()
        self.assertIn("tried twice", self.page.get_by_role("alert").inner_text())
        self.assertEqual(self.page.locator('meta[http-equiv="refresh"]').count(), 0)
        self.assertAccessible()
        self.assertNoConsoleErrors()

    def test_the_secretary_tries_again(self):
        self.sign_in(self.secretary)
        self.visit(self.url + "pdf/")
        self.assertIn("tried twice", self.page.get_by_role("alert").inner_text())
        self.assertEqual(self.page.get_by_role("button", name="Try again").count(), 1)
        self.assertAccessible()
        self.visit(self.url)
        self.page.get_by_role("button", name="Try again").click()
        self.page.locator(".app-messages").wait_for()
        self.assertIn("being made again", self.page.locator(".app-messages").inner_text())
        self.assertIn("being made by the background worker", self.page.locator("main").inner_text())
        self.assertNotIn("could not be made", self.page.locator("main").inner_text())
        self.assertAccessible()
        self.assertEqual(SealingFailure.objects.get().retried_by, self.secretary)
        self.assertEqual(DBTaskResult.objects.filter(task_path="reporting.tasks.seal_report").count(), 1)
        self.assertNoConsoleErrors()
