"""A sealing that fails on the worker's last attempt is recorded in the reporting app's own
table, said on the report page and on the PDF's waiting page (which stops checking
again), and logged; the secretary and chair can ask for it to be tried again, with a
POST that the service checks again; everyone else sees the failure and no button."""

import hashlib
from contextlib import nullcontext
from io import StringIO
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import TransactionTestCase, override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from assessments import services
from reporting.models import SealedReport, SealingFailure
from reporting.pdf import RenderError
from reporting.services import SealingRefused, record_sealing_failure, retry_sealing, seal, sealing_failure
from reporting.tasks import seal_report
from tests.base import add_member, make_user
from tests.factories import make_signed_off, reopen_for_cleanup
from tests.reporting.base import ReportTestCase

# As `make serve` and production: sealing waits for the worker. "immediate" runs a queued
# job here, as the worker would.
ON_WORKER = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend"},
    "immediate": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"},
}
IN_THE_REQUEST = {
    "default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"},
    "immediate": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"},
}
SEAL = "reporting.tasks.seal_report"
REPORT = "/organisations/RA1/assessments/2025/report/"
PDF = REPORT + "pdf/"
AGAIN = PDF + "try-again/"
FAILED = "The signed-off PDF could not be made (tried twice, last at "
# The waiting page's marker: static/js/app.js checks again while it is there.
WAITING = "data-wait-for-pdf="


def _crash(*args, **kwargs):
    raise RenderError("The PDF could not be made: a director's rationale broke the layout")


def _files(assessment) -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "reports" / str(assessment.pk)
    return sorted(folder.glob("*")) if folder.exists() else []


@override_settings(TASKS=ON_WORKER)
class SealingFailureTests(ReportTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        # The secretary of another trust of the same ICS.
        cls.other_secretary = make_user("othersecretary")
        add_member(cls.other_secretary, cls.sibling, "secretary")

    def setUp(self):
        super().setUp()
        self.assessment = self.scored()  # signed off: the sealing is queued for the worker
        self.record = self.assessment.latest_sign_off()

    # --- The worker's part -----------------------------------------------------------

    def queued(self) -> list[DBTaskResult]:
        return list(DBTaskResult.objects.ready().filter(task_path=SEAL).order_by("enqueued_at"))

    def work(self, *, fail: bool, jobs: int | None = None) -> None:
        """Run the queued sealings as the worker would (each may queue another)."""
        with mock.patch("reporting.pdf.render_pdf", side_effect=_crash) if fail else nullcontext():
            done = 0
            while self.queued() and (jobs is None or done < jobs):
                job = self.queued()[0]
                job.delete()  # taken off the queue
                seal_report.using(backend="immediate").enqueue(*job.args_kwargs["args"], **job.args_kwargs["kwargs"])
                done += 1

    def failed_at(self, failure: SealingFailure) -> str:
        return timezone.localtime(failure.failed_at).strftime("%H:%M")

    def page(self, user, url: str):
        self.client.force_login(user)
        return self.client.get(url)

    # --- Recorded, said and logged ---------------------------------------------------

    def test_a_first_failed_attempt_is_tried_again_and_the_page_still_waits(self):
        self.work(fail=True, jobs=1)
        (again,) = self.queued()
        self.assertEqual(again.args_kwargs, {"args": [self.record.pk], "kwargs": {"attempt": 2}})
        self.assertFalse(SealingFailure.objects.exists())
        response = self.page(self.executive, PDF)
        self.assertContains(response, "The PDF is being prepared", status_code=202)
        self.assertContains(response, WAITING, status_code=202)
        self.assertNotContains(self.page(self.chair, REPORT), "could not be made")

    def test_a_sealing_that_fails_twice_is_recorded_and_logged_and_leaves_no_file(self):
        with self.assertLogs("reporting.tasks", "WARNING") as logs:
            self.work(fail=True)
        failure = SealingFailure.objects.get()
        self.assertEqual(
            (failure.sign_off, failure.attempts, failure.error, failure.retried_by, failure.retried_at),
            (self.record, 2, "reporting.pdf.RenderError", None, None),
        )
        self.assertEqual(self.queued(), [])  # no third attempt
        self.assertFalse(SealedReport.objects.exists())
        self.assertEqual(_files(self.assessment), [])
        errors = [r.getMessage() for r in logs.records if r.levelname == "ERROR"]
        self.assertEqual(len(errors), 1)
        self.assertIn(
            f"Sealing sign-off {self.record.pk} failed (reporting.pdf.RenderError), attempt 2 of 2", errors[0]
        )
        # Only the exception's class is kept: its message could quote people's text.
        self.assertNotIn("rationale", str(SealingFailure.objects.values().get()))

    def test_the_report_page_says_so_to_everyone_who_opens_it(self):
        self.work(fail=True)
        failure = SealingFailure.objects.get()
        said = FAILED + self.failed_at(failure)
        for user in (self.executive, self.non_executive, self.observer, self.consultant):
            with self.subTest(user=user.username):
                response = self.page(user, REPORT)
                self.assertContains(response, said)
                self.assertContains(response, '<div class="alert alert-warning" role="status">')
                self.assertContains(response, "The board secretary or chair can ask for it to be made again.")
                self.assertNotContains(response, "try-again/")
                self.assertNotContains(response, "Try again")
                self.assertNotContains(response, "Download the signed-off PDF")
        for user in (self.secretary, self.chair):
            with self.subTest(user=user.username):
                response = self.page(user, REPORT)
                self.assertContains(response, said)
                self.assertContains(response, f'<form method="post" action="{AGAIN}" class="mb-0">')
                self.assertContains(response, '<button type="submit" class="btn btn-primary">Try again</button>')
                self.assertNotContains(response, "The board secretary or chair can ask")

    def test_the_waiting_page_says_so_and_stops_checking(self):
        self.work(fail=True)
        said = FAILED + self.failed_at(SealingFailure.objects.get())
        response = self.page(self.executive, PDF)
        self.assertContains(response, said, status_code=200)
        self.assertContains(response, '<div class="alert alert-warning" role="alert">')
        self.assertContains(response, "<h1>The signed-off PDF could not be made</h1>")
        self.assertNotContains(response, WAITING)
        self.assertNotContains(response, "being prepared")
        self.assertNotContains(response, "Try again")
        self.assertEqual(response["Cache-Control"], "no-store")
        response = self.page(self.secretary, PDF)
        self.assertContains(response, said)
        self.assertContains(response, f'<form method="post" action="{AGAIN}" class="mb-0">')
        self.assertContains(response, '<input type="hidden" name="then" value="pdf">')
        self.assertNotContains(response, WAITING)

    def test_a_sealing_queued_twice_that_fails_twice_leaves_one_failure_to_say(self):
        self.work(fail=True)
        first = SealingFailure.objects.get()
        again = record_sealing_failure(self.record.pk, attempts=2, error=RuntimeError("again"))
        self.assertEqual((again.pk, again.error), (first.pk, "builtins.RuntimeError"))
        self.assertEqual(SealingFailure.objects.count(), 1)
        self.assertContains(self.page(self.executive, REPORT), FAILED + self.failed_at(again))

    # --- Trying again ----------------------------------------------------------------

    def test_the_secretary_tries_again_and_a_success_shows_the_pdf(self):
        self.work(fail=True)
        self.client.force_login(self.secretary)
        with self.captureOnCommitCallbacks(execute=True), self.assertLogs("reporting.services", "INFO") as logs:
            response = self.client.post(AGAIN, {"then": "pdf"})
        self.assertRedirects(response, PDF, fetch_redirect_response=False)
        failure = SealingFailure.objects.get()
        self.assertEqual(failure.retried_by, self.secretary)
        self.assertIsNotNone(failure.retried_at)
        self.assertIn(f"queued again at the request of user {self.secretary.pk}", logs.output[-1])
        (job,) = self.queued()
        self.assertEqual(job.args_kwargs, {"args": [self.record.pk], "kwargs": {}})
        # Being prepared again: the waiting page checks again, the report says so.
        response = self.client.get(PDF)
        self.assertContains(response, "The signed-off PDF is being made again", status_code=202)
        self.assertContains(response, WAITING, status_code=202)
        report = self.client.get(REPORT)
        self.assertNotContains(report, "could not be made")
        self.assertContains(report, "being made by the background worker")

        self.work(fail=False)
        sealed = SealedReport.objects.get(sign_off=self.record)
        response = self.client.get(PDF)
        self.assertEqual(response["Content-Type"], "application/pdf")
        self.assertEqual(hashlib.sha256(b"".join(response.streaming_content)).hexdigest(), sealed.pdf_sha256)
        report = self.client.get(REPORT)
        self.assertContains(report, sealed.pdf_sha256)
        self.assertNotContains(report, "could not be made")
        # Sealed: asking again is refused, and queues nothing.
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(AGAIN, follow=True)
        self.assertRedirects(response, REPORT)
        self.assertContains(response, "The signed-off PDF has been made")
        self.assertEqual(self.queued(), [])

    def test_the_chair_tries_again_from_the_report_and_a_second_failure_is_said_again(self):
        self.work(fail=True)
        self.client.force_login(self.chair)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(AGAIN)
        self.assertRedirects(response, REPORT, fetch_redirect_response=False)
        self.work(fail=True)
        first, second = SealingFailure.objects.order_by("pk")
        self.assertEqual((first.retried_by, second.retried_by, second.attempts), (self.chair, None, 2))
        self.assertContains(self.client.get(PDF), FAILED + self.failed_at(second))

    def test_nobody_else_may_try_again(self):
        self.work(fail=True)
        before = list(SealingFailure.objects.values())
        expected = {
            self.executive: 403,
            self.non_executive: 403,
            self.observer: 403,
            self.consultant: 403,
            self.consultant_elsewhere: 404,
            self.outsider: 404,
            self.staff: 404,
            self.other_secretary: 404,
        }
        for user, status in expected.items():
            with self.subTest(user=user.username):
                self.client.force_login(user)
                # The view refuses before it asks the service (which checks again).
                with self.captureOnCommitCallbacks(execute=True), mock.patch("reporting.views.retry_sealing") as asked:
                    response = self.client.post(AGAIN, {"then": "pdf"})
                self.assertEqual(response.status_code, status)
                asked.assert_not_called()
        self.client.logout()
        response = self.client.post(AGAIN)
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith("/accounts/login/"))
        self.assertEqual(list(SealingFailure.objects.values()), before)
        self.assertEqual(self.queued(), [])
        # A GET changes nothing either.
        self.client.force_login(self.secretary)
        self.assertEqual(self.client.get(AGAIN).status_code, 405)
        self.assertEqual(list(SealingFailure.objects.values()), before)

    # --- The service's own checks ----------------------------------------------------

    def test_the_service_checks_the_role_itself(self):
        self.work(fail=True)
        before = list(SealingFailure.objects.values())
        people = [
            self.executive,
            self.observer,
            self.consultant,
            self.staff,
            self.other_secretary,
            AnonymousUser(),
        ]
        for user in people:
            with self.subTest(user=str(user)), self.captureOnCommitCallbacks(execute=True):
                with self.assertRaises(PermissionDenied):
                    retry_sealing(self.record, by=user)
        self.assertEqual(list(SealingFailure.objects.values()), before)
        self.assertEqual(self.queued(), [])

    def test_the_service_refuses_a_sealing_that_has_not_failed(self):
        self.assertEqual(len(self.queued()), 1)  # the sign-off's, not yet run
        with self.captureOnCommitCallbacks(execute=True):
            with self.assertRaisesMessage(SealingRefused, "is being made"):
                retry_sealing(self.record, by=self.secretary)
        self.assertEqual(len(self.queued()), 1)

    def test_the_service_refuses_a_sign_off_already_sealed(self):
        self.work(fail=True)
        seal(self.record)  # e.g. downloaded where tasks run in the request
        with self.captureOnCommitCallbacks(execute=True):
            with self.assertRaisesMessage(SealingRefused, "has been made"):
                retry_sealing(self.record, by=self.chair)
        self.assertIsNone(SealingFailure.objects.get().retried_at)
        self.assertEqual(self.queued(), [])

    def test_the_service_refuses_a_sign_off_no_longer_in_force(self):
        self.work(fail=True)
        services.reopen_assessment(self.assessment, by=self.staff, reason="A score was wrong.")
        with self.captureOnCommitCallbacks(execute=True):
            with self.assertRaisesMessage(SealingRefused, "no longer the one in force"):
                retry_sealing(self.record, by=self.secretary)
        # Signed off again: the first sign-off is still not the one in force.
        services.sign_off(self.assessment, by=self.chair)
        with self.captureOnCommitCallbacks(execute=True):
            with self.assertRaisesMessage(SealingRefused, "no longer the one in force"):
                retry_sealing(self.record, by=self.secretary)
        self.assertIsNone(SealingFailure.objects.get().retried_at)
        self.assertEqual(self.queued(), [])

    def test_two_requests_at_the_same_moment_queue_one_sealing(self):
        self.work(fail=True)
        failure = sealing_failure(self.record)
        # Both read the failure before either wrote: the second finds it taken.
        with mock.patch("reporting.services.sealing_failure", return_value=failure):
            with self.captureOnCommitCallbacks(execute=True):
                retry_sealing(self.record, by=self.secretary)
            with self.captureOnCommitCallbacks(execute=True):
                with self.assertRaisesMessage(SealingRefused, "Someone has just asked"):
                    retry_sealing(self.record, by=self.chair)
        self.assertEqual(SealingFailure.objects.get().retried_by, self.secretary)
        self.assertEqual(len(self.queued()), 1)

    # --- Superseded ------------------------------------------------------------------

    @override_settings(TASKS=IN_THE_REQUEST)
    def test_a_later_success_supersedes_the_failure(self):
        with override_settings(TASKS=ON_WORKER):
            self.work(fail=True)
        # Where tasks run in the request (`make run`), the first download seals it.
        response = self.page(self.executive, PDF)
        self.assertEqual(response["Content-Type"], "application/pdf")
        report = self.client.get(REPORT)
        self.assertContains(report, SealedReport.objects.get().pdf_sha256)
        self.assertNotContains(report, "could not be made")
        self.assertTrue(SealingFailure.objects.exists())  # kept, as a record of what happened


class SealingFailureOnTheWorkerTests(TransactionTestCase):
    """The real worker (django-tasks-db's db_worker, as `make serve` runs it): the sign-off's
    sealing fails, is tried once more, and the failure is recorded."""

    def tearDown(self):
        reopen_for_cleanup()

    @override_settings(TASKS=ON_WORKER)
    def test_db_worker_tries_twice_then_records_the_failure(self):
        assessment = make_signed_off()  # queues the sealing after the commit
        self.assertEqual(DBTaskResult.objects.filter(task_path=SEAL).count(), 1)
        with mock.patch("reporting.pdf.render_pdf", side_effect=_crash), self.assertLogs("reporting.tasks") as logs:
            call_command("db_worker", "--backend", "default", "--batch", "--no-startup-delay", stdout=StringIO())
        runs = DBTaskResult.objects.filter(task_path=SEAL).order_by("enqueued_at")
        self.assertEqual([str(run.status) for run in runs], ["FAILED", "FAILED"])
        self.assertEqual([run.args_kwargs["kwargs"] for run in runs], [{}, {"attempt": 2}])
        failure = SealingFailure.objects.get()
        self.assertEqual((failure.sign_off, failure.attempts), (assessment.latest_sign_off(), 2))
        self.assertEqual([r.levelname for r in logs.records], ["WARNING", "ERROR"])
        self.assertFalse(SealedReport.objects.exists())
