"""The health check, the request and task logs, and a sealed PDF waiting for the worker."""

import json
from unittest import mock

from django.db import DatabaseError
from django.test import TestCase, override_settings
from django.utils import timezone

from operations.models import WorkerHeartbeat
from reporting.tasks import seal_report
from tests.reporting.base import ReportTestCase

ON_WORKER = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


class HealthTests(TestCase):
    def test_healthy_without_a_login_and_saying_nothing_else(self):
        response = self.client.get("/health/")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"status": "ok", "database": True, "migrations": True, "worker": None})
        self.assertIn("no-cache", response["Cache-Control"])

    @override_settings(TASKS=ON_WORKER)
    def test_with_a_worker_backend_a_worker_must_have_been_seen_in_the_last_minute(self):
        response = self.client.get("/health/")
        self.assertEqual((response.status_code, response.json()["worker"]), (503, False))
        WorkerHeartbeat.objects.create(worker_id="w1", seen_at=timezone.now() - timezone.timedelta(minutes=5))
        self.assertEqual(self.client.get("/health/").status_code, 503)
        WorkerHeartbeat.objects.create(worker_id="w2", seen_at=timezone.now())
        self.assertEqual(
            self.client.get("/health/").json(), {"status": "ok", "database": True, "migrations": True, "worker": True}
        )

    def test_unapplied_migrations_or_no_database_fail(self):
        with mock.patch("operations.views.MigrationExecutor.migration_plan", return_value=[("app", False)]):
            self.assertEqual(self.client.get("/health/").json()["migrations"], False)
        with mock.patch("operations.views.connection.cursor", side_effect=DatabaseError("down")):
            response = self.client.get("/health/")
        self.assertEqual((response.status_code, response.json()["database"]), (503, False))

    def test_a_post_is_refused(self):
        self.assertEqual(self.client.post("/health/").status_code, 405)


class LogTests(ReportTestCase):
    def test_one_json_line_per_request_without_the_query_string_or_names(self):
        self.client.force_login(self.chair)
        with self.assertLogs("ics.requests", "INFO") as logs:
            self.client.get("/organisations/RA1/?secret=yes")
        line = json.loads(logs.records[-1].getMessage())
        self.assertEqual(
            {k: line[k] for k in ("event", "method", "path", "status", "user")},
            {"event": "request", "method": "GET", "path": "/organisations/RA1/", "status": 200, "user": self.chair.pk},
        )
        self.assertNotIn("secret", logs.output[-1])
        self.assertNotIn("Chair", logs.output[-1])

    def test_one_json_line_per_task(self):
        assessment = self.scored()
        with self.assertLogs("ics.tasks", "INFO") as logs:
            seal_report.using(backend="immediate").enqueue(assessment.latest_sign_off().pk)
        line = json.loads(logs.records[-1].getMessage())
        self.assertEqual((line["task"], line["status"], line["errors"]), ("seal_report", "SUCCESSFUL", 0))


class PreparingTests(ReportTestCase):
    @override_settings(TASKS=ON_WORKER)
    def test_on_a_worker_the_pdf_is_never_rendered_in_the_request(self):
        self.scored()
        self.client.force_login(self.executive)
        with mock.patch("reporting.pdf.render_pdf") as render:
            response = self.client.get("/organisations/RA1/assessments/2025/report/pdf/")
        render.assert_not_called()
        self.assertEqual(response.status_code, 202)
        self.assertContains(response, "being prepared", status_code=202)
