"""Reporting tasks that end without their own code recording it (reporting/receivers.py,
`record_task_given_up`, on Django's task_finished):

1. A prepare_pdf task (a draft report, a director's own page, the ICS comparison) given up
   by run_worker after MAX_CLAIMS workers died is marked failed, so that its waiting page
   offers "Try again" instead of waiting, and a render that kills its worker is not
   queued afresh ten minutes later.
2. A sealing stopped by the worker's own exit in the middle (db_worker's shutdown on a
   second stop signal calls sys.exit inside the task) is recorded as a failed sealing,
   so that the report page says so and "Try again" is offered."""

from unittest import mock

from django.tasks import TaskResultStatus
from django.test import TestCase, TransactionTestCase
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from operations.management.commands import run_worker
from reporting.models import PreparedPdf, SealedReport, SealingFailure
from reporting.tasks import prepare_pdf, seal_report
from tests.base import make_user
from tests.factories import make_signed_off, reopen_for_cleanup


class PreparedPdfGivenUpTests(TestCase):
    def test_a_prepared_pdf_whose_task_was_given_up_is_failed_not_left_pending(self):
        owner = make_user("secretary")
        prepared = PreparedPdf.objects.create(
            owner=owner, kind="draft", key="k" * 64, arguments={"filename": "x.pdf"}, filename="x.pdf"
        )
        result = prepare_pdf.using(backend="database").enqueue(prepared.pk)
        workers = [f"dead-{n}" for n in range(run_worker.MAX_CLAIMS)]
        DBTaskResult.objects.filter(pk=result.id).update(
            status=TaskResultStatus.RUNNING,
            worker_ids=workers,
            started_at=timezone.now() - 2 * run_worker.STALE_AFTER,
        )
        with self.assertLogs("ics.tasks", "ERROR"):
            self.assertEqual(run_worker.requeue_stale_tasks(), 1)
        self.assertEqual(DBTaskResult.objects.get(pk=result.id).status, TaskResultStatus.FAILED)
        prepared.refresh_from_db()
        self.assertEqual(prepared.status, PreparedPdf.Status.FAILED)


class SealingInterruptedTests(TransactionTestCase):
    def tearDown(self):
        reopen_for_cleanup()

    def signed_off(self):
        return make_signed_off().latest_sign_off()

    def test_a_sealing_stopped_by_a_second_signal_is_not_left_waiting_for_ever(self):
        record = self.signed_off()
        result = seal_report.using(backend="database").enqueue(record.pk, attempt=2)  # the last attempt
        task = DBTaskResult.objects.get(pk=result.id)
        task.claim("w1")
        worker = Worker(
            queue_names=["default"],
            interval=0,
            batch=True,
            backend_name="database",
            startup_delay=False,
            max_tasks=None,
            worker_id="w1",
            excluded_queue_names=[],
        )
        # db_worker's shutdown() on the second SIGINT/SIGTERM: sys.exit(1) in the middle of the render.
        with mock.patch("reporting.services.seal", side_effect=SystemExit(1)):
            worker.run_task(task)
        task.refresh_from_db()
        self.assertEqual(task.status, TaskResultStatus.FAILED)
        self.assertFalse(SealedReport.objects.filter(sign_off=record).exists())
        recorded = SealingFailure.objects.filter(sign_off=record, retried_at__isnull=True).exists()
        queued_again = (
            DBTaskResult.objects.ready().filter(task_path="reporting.tasks.seal_report").exclude(pk=task.pk).exists()
            or DBTaskResult.objects.filter(pk=task.pk, status=TaskResultStatus.READY).exists()
        )
        self.assertTrue(recorded or queued_again, "the interrupted sealing is neither recorded nor queued again")
