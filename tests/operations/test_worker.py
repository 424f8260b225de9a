"""The worker's queue (django-tasks-db) with Django 6.1: a sealing queued at sign-off is
done by `db_worker`, as `make serve` and production run it."""

from io import StringIO

from django.core.management import call_command
from django.test import TransactionTestCase

from reporting.models import SealedReport
from reporting.tasks import seal_report
from tests.factories import make_signed_off, reopen_for_cleanup


class WorkerTests(TransactionTestCase):
    def tearDown(self):
        reopen_for_cleanup()

    def test_db_worker_runs_a_queued_sealing(self):
        assessment = make_signed_off()
        result = seal_report.using(backend="database").enqueue(assessment.latest_sign_off().pk)
        self.assertEqual(str(result.status), "READY")
        self.assertFalse(SealedReport.objects.exists())
        call_command("db_worker", "--backend", "database", "--batch", "--no-startup-delay", stdout=StringIO())
        result.refresh()
        self.assertEqual(str(result.status), "SUCCESSFUL")
        self.assertEqual(SealedReport.objects.get().sign_off, assessment.latest_sign_off())
