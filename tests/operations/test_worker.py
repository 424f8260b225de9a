"""The worker's queue (django-tasks-db) with Django 6.1: a sealing queued at sign-off is
done by `db_worker`, as `make serve` and production run it."""

from io import StringIO

from django.core.management import call_command
from django.test import TransactionTestCase

from assessments import services
from reporting.models import SealedReport
from reporting.tasks import seal_report
from tests.base import add_member, make_ics, make_org, make_user
from tests.factories import agree_all, make_assessment, make_framework, reopen_for_cleanup


class WorkerTests(TransactionTestCase):
    def tearDown(self):
        reopen_for_cleanup()

    def test_db_worker_runs_a_queued_sealing(self):
        trust = make_org("RA1", "North Hospitals NHS Trust", make_ics("QAA", "North"))
        secretary, chair, director = make_user("secretary"), make_user("chair"), make_user("director")
        add_member(secretary, trust, "secretary")
        add_member(chair, trust, "chair")
        add_member(director, trust, "director", "executive")
        assessment = make_assessment(
            trust, secretary=secretary, respondents=[director], frameworks=[make_framework()], status="moderation"
        )
        agree_all(assessment, by=chair)
        assessment = services.sign_off(assessment, by=chair)
        result = seal_report.using(backend="database").enqueue(assessment.latest_sign_off().pk)
        self.assertEqual(str(result.status), "READY")
        self.assertFalse(SealedReport.objects.exists())
        call_command("db_worker", "--backend", "database", "--batch", "--no-startup-delay", stdout=StringIO())
        result.refresh()
        self.assertEqual(str(result.status), "SUCCESSFUL")
        self.assertEqual(SealedReport.objects.get().sign_off, assessment.latest_sign_off())
