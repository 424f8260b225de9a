"""Tasks left RUNNING by a worker that died, and a worker that loses the database
(operations/management/commands/run_worker.py): django-tasks-db never takes a claimed
task back, so run_worker puts it back in the queue; and it outlives a database outage."""

import datetime
import hashlib
import json
import threading
from io import StringIO
from pathlib import Path
from unittest import mock

from django.core.management import call_command
from django.db import OperationalError
from django.tasks import TaskResultStatus
from django.test import TestCase, TransactionTestCase
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from operations.management.commands import run_worker
from operations.models import WorkerHeartbeat
from reporting import receivers
from reporting.models import SealedReport, SealingFailure
from reporting.services import seal
from reporting.tasks import seal_report
from tests.factories import make_signed_off, reopen_for_cleanup

NOW = timezone.now()
STALE = run_worker.STALE_AFTER


def running(*worker_ids: str, started: datetime.timedelta, args=(0,)) -> DBTaskResult:
    """A seal_report task on the database queue, claimed by `worker_ids` in turn, the
    last claim `started` ago."""
    result = seal_report.using(backend="database").enqueue(*args)
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING, worker_ids=list(worker_ids), started_at=NOW - started
    )
    return DBTaskResult.objects.get(pk=result.id)


def seen(worker_id: str, ago: datetime.timedelta) -> None:
    WorkerHeartbeat.objects.create(worker_id=worker_id, seen_at=NOW - ago)


def status(task: DBTaskResult) -> str:
    return DBTaskResult.objects.get(pk=task.pk).status


def events(logs) -> list[dict]:
    return [json.loads(record.getMessage()) for record in logs.records]


class StaleTaskTests(TestCase):
    def test_a_task_whose_worker_is_not_seen_for_stale_after_goes_back_to_the_queue(self):
        task = running("dead", started=datetime.timedelta(minutes=5))
        seen("dead", STALE + datetime.timedelta(seconds=1))
        with self.assertLogs("ics.tasks", "WARNING") as logs:
            self.assertEqual(run_worker.requeue_stale_tasks(now=NOW), 1)
        self.assertEqual(status(task), TaskResultStatus.READY)
        (event,) = events(logs)
        self.assertEqual(
            {k: event[k] for k in ("event", "id", "task", "worker", "claims", "seconds_unseen")},
            {
                "event": "task_requeued",
                "id": str(task.pk),
                "task": "reporting.tasks.seal_report",
                "worker": "dead",
                "claims": 1,
                "seconds_unseen": STALE.total_seconds() + 1,
            },
        )

    def test_a_task_whose_worker_was_seen_within_stale_after_is_left_running(self):
        task = running("alive", started=datetime.timedelta(minutes=5))
        seen("alive", STALE)
        with self.assertNoLogs("ics.tasks"):
            self.assertEqual(run_worker.requeue_stale_tasks(now=NOW), 0)
        self.assertEqual(status(task), TaskResultStatus.RUNNING)

    def test_the_claim_itself_is_a_sign_of_life(self):
        # Claimed before its worker's first beat, or by a worker with no heartbeat row
        # at all: left alone while the claim is recent, put back once it is old.
        recent = running("no-beat-yet", started=datetime.timedelta(seconds=5))
        beat_before_claim = running("slow-beat", started=datetime.timedelta(seconds=5))
        seen("slow-beat", datetime.timedelta(minutes=5))
        old = running("never-beat", started=STALE + datetime.timedelta(seconds=1))
        with self.assertLogs("ics.tasks", "WARNING"):
            self.assertEqual(run_worker.requeue_stale_tasks(now=NOW), 1)
        self.assertEqual(status(recent), TaskResultStatus.RUNNING)
        self.assertEqual(status(beat_before_claim), TaskResultStatus.RUNNING)
        self.assertEqual(status(old), TaskResultStatus.READY)

    def test_only_the_worker_that_claimed_it_last_counts(self):
        seen("dead", datetime.timedelta(minutes=5))
        seen("alive", datetime.timedelta(seconds=5))
        taken_over = running("dead", "alive", started=datetime.timedelta(minutes=2))
        lost_again = running("alive", "dead", started=datetime.timedelta(minutes=2))
        with self.assertLogs("ics.tasks", "WARNING") as logs:
            self.assertEqual(run_worker.requeue_stale_tasks(now=NOW), 1)
        self.assertEqual(status(taken_over), TaskResultStatus.RUNNING)
        self.assertEqual(status(lost_again), TaskResultStatus.READY)
        self.assertEqual([(e["id"], e["worker"], e["claims"]) for e in events(logs)], [(str(lost_again.pk), "dead", 2)])

    def test_a_task_whose_max_claims_workers_all_died_is_failed_not_requeued(self):
        workers = [f"dead-{n}" for n in range(run_worker.MAX_CLAIMS)]
        task = running(*workers, started=datetime.timedelta(minutes=5))
        with self.assertLogs("ics.tasks", "ERROR") as logs:
            self.assertEqual(run_worker.requeue_stale_tasks(now=NOW), 1)
        failed = DBTaskResult.objects.get(pk=task.pk)
        self.assertEqual((failed.status, failed.finished_at), (TaskResultStatus.FAILED, NOW))
        (error,) = failed.task_result.errors
        self.assertIs(error.exception_class, run_worker.WorkerLost)
        self.assertIn(f"{run_worker.MAX_CLAIMS} workers stopped", error.traceback)
        self.assertEqual(events(logs)[0]["event"], "task_given_up")

    def test_put_back_leaves_a_task_that_finished_or_was_claimed_again_since_it_was_read(self):
        read = running("dead", started=datetime.timedelta(minutes=5))
        DBTaskResult.objects.filter(pk=read.pk).update(worker_ids=["dead", "other"], started_at=NOW)
        finished = running("dead", started=datetime.timedelta(minutes=5))
        DBTaskResult.objects.filter(pk=finished.pk).update(status=TaskResultStatus.SUCCESSFUL)
        with self.assertNoLogs("ics.tasks"):
            self.assertEqual(run_worker.put_back(read, reason="test", now=NOW), 0)
            self.assertEqual(run_worker.put_back(finished, reason="test", now=NOW), 0)
        self.assertEqual(status(read), TaskResultStatus.RUNNING)
        self.assertEqual(status(finished), TaskResultStatus.SUCCESSFUL)

    def test_a_worker_that_lost_the_database_puts_back_only_its_own_tasks(self):
        seen("me", datetime.timedelta(seconds=1))
        seen("other", datetime.timedelta(seconds=1))
        mine = running("other", "me", started=datetime.timedelta(seconds=10))
        theirs = running("me", "other", started=datetime.timedelta(seconds=10))
        with self.assertLogs("ics.tasks", "WARNING") as logs:
            self.assertEqual(run_worker.requeue_tasks_of("me"), 1)
        self.assertEqual(status(mine), TaskResultStatus.READY)
        self.assertEqual(status(theirs), TaskResultStatus.RUNNING)
        self.assertEqual(events(logs)[0]["reason"], "its worker lost the database")


class HeartbeatTests(TestCase):
    def test_a_beat_records_the_worker_and_puts_back_stale_tasks_when_asked(self):
        task = running("dead", started=datetime.timedelta(minutes=5))
        with mock.patch.object(run_worker, "close_old_connections"):
            self.assertTrue(run_worker.beat("me", look_for_stale=False))
            self.assertEqual(status(task), TaskResultStatus.RUNNING)
            with self.assertLogs("ics.tasks", "WARNING"):
                self.assertTrue(run_worker.beat("me", look_for_stale=True))
        self.assertEqual(status(task), TaskResultStatus.READY)
        self.assertTrue(WorkerHeartbeat.objects.filter(worker_id="me", seen_at__gte=NOW).exists())

    def test_a_database_error_is_logged_and_does_not_end_the_heartbeat(self):
        with (
            mock.patch.object(run_worker, "close_old_connections"),
            mock.patch.object(run_worker, "close_quietly") as closed,
            mock.patch.object(WorkerHeartbeat.objects, "update_or_create", side_effect=OperationalError("gone")),
            self.assertLogs("ics.tasks", "WARNING") as logs,
        ):
            self.assertFalse(run_worker.beat("me", look_for_stale=True))
        self.assertEqual(events(logs), [{"event": "heartbeat_failed", "worker": "me", "error": "OperationalError"}])
        closed.assert_called_once_with()

    def test_the_heartbeat_thread_looks_for_stale_tasks_at_start_but_not_on_the_first_beat_after_an_error(self):
        stop = threading.Event()
        answers = iter([True, False, True, True])
        asked = []

        def beat(worker_id, *, look_for_stale):
            asked.append(look_for_stale)
            answer = next(answers)
            if len(asked) == 4:
                stop.set()
            return answer

        with (
            mock.patch.object(run_worker, "beat", side_effect=beat),
            mock.patch.object(run_worker, "HEARTBEAT_SECONDS", 0),
            mock.patch.object(run_worker, "RETRY_SECONDS", 0),
            mock.patch.object(run_worker, "close_quietly"),
        ):
            run_worker.Command()._beat("me", stop)
        self.assertEqual(asked, [True, True, False, True])


class DatabaseLostTests(TestCase):
    def test_db_worker_is_started_again_after_a_database_error_with_its_task_put_back(self):
        calls = []

        def db_worker(name, flag, worker_id, *args):
            calls.append(worker_id)
            if len(calls) == 1:
                self.task = running("before", worker_id, started=datetime.timedelta(seconds=1))
                raise OperationalError("server closed the connection unexpectedly")
            # Started again only once the task it was running is back in the queue.
            self.assertEqual(status(self.task), TaskResultStatus.READY)

        with (
            mock.patch.object(run_worker, "call_command", side_effect=db_worker),
            mock.patch.object(run_worker.Command, "_beat"),
            mock.patch.object(run_worker, "close_quietly"),
            mock.patch.object(run_worker.time, "sleep") as slept,
            self.assertLogs("ics.tasks", "WARNING") as logs,
        ):
            call_command("run_worker")
        self.assertEqual(len(calls), 2)
        self.assertEqual(calls[0], calls[1])
        slept.assert_called_once_with(run_worker.RETRY_SECONDS)
        self.assertEqual([e["event"] for e in events(logs)], ["worker_database_error", "task_requeued"])


class SealingAfterAKilledWorkerTests(TransactionTestCase):
    """The re-run of a sealing is safe: one sealed report, its file whole."""

    def tearDown(self):
        reopen_for_cleanup()

    def signed_off(self):
        return make_signed_off().latest_sign_off()

    def killed_while_sealing(self, record) -> DBTaskResult:
        """The sealing claimed by a worker last seen long ago, then put back."""
        result = seal_report.using(backend="database").enqueue(record.pk)
        DBTaskResult.objects.get(pk=result.id).claim("killed")
        long_ago = timezone.now() - 2 * STALE
        DBTaskResult.objects.filter(pk=result.id).update(started_at=long_ago)
        WorkerHeartbeat.objects.create(worker_id="killed", seen_at=long_ago)
        with self.assertLogs("ics.tasks", "WARNING"):
            self.assertEqual(run_worker.requeue_stale_tasks(), 1)
        return DBTaskResult.objects.get(pk=result.id)

    def run_queue(self) -> None:
        call_command("db_worker", "--backend", "database", "--batch", "--no-startup-delay", stdout=StringIO())

    def test_killed_in_the_render_the_next_worker_seals_it_once(self):
        record = self.signed_off()
        task = self.killed_while_sealing(record)
        self.run_queue()
        task.refresh_from_db()
        self.assertEqual((task.status, len(task.worker_ids)), (TaskResultStatus.SUCCESSFUL, 2))
        sealed = SealedReport.objects.get(sign_off=record)
        content = Path(sealed.pdf.path).read_bytes()
        self.assertEqual(hashlib.sha256(content).hexdigest(), sealed.pdf_sha256)

    def test_killed_after_the_seal_committed_the_next_worker_keeps_that_one(self):
        record = self.signed_off()
        first = seal(record)
        task = self.killed_while_sealing(record)
        self.run_queue()
        task.refresh_from_db()
        self.assertEqual((task.status, task.return_value), (TaskResultStatus.SUCCESSFUL, first.pk))
        self.assertEqual(list(SealedReport.objects.filter(sign_off=record)), [first])

    def test_a_sealing_given_up_is_recorded_for_the_report_page(self):
        record = self.signed_off()
        result = seal_report.using(backend="database").enqueue(record.pk)
        workers = [f"dead-{n}" for n in range(run_worker.MAX_CLAIMS)]
        long_ago = timezone.now() - 2 * STALE
        DBTaskResult.objects.filter(pk=result.id).update(
            status=TaskResultStatus.RUNNING, worker_ids=workers, started_at=long_ago
        )
        with self.assertLogs("ics.tasks", "ERROR"):
            self.assertEqual(run_worker.requeue_stale_tasks(), 1)
        # The task_finished signal reached the reporting app, which recorded the failure.
        failure = SealingFailure.objects.get(sign_off=record)
        self.assertEqual((failure.attempts, failure.error), (run_worker.MAX_CLAIMS, receivers.WORKER_LOST))
        self.assertIsNone(failure.retried_at)
        self.assertFalse(SealedReport.objects.filter(sign_off=record).exists())


class HeartbeatKeepsGoingTests(TestCase):
    def test_an_error_other_than_the_databases_is_logged_and_the_beat_carries_on(self):
        with (
            mock.patch.object(run_worker, "close_old_connections"),  # the test's transaction stays open
            mock.patch.object(run_worker, "requeue_stale_tasks", side_effect=LookupError("task row gone")),
            self.assertLogs("ics.tasks", "ERROR") as logs,
        ):
            self.assertTrue(run_worker.beat("w1", look_for_stale=True))
        self.assertEqual([(e["event"], e["error"]) for e in events(logs)], [("heartbeat_error", "LookupError")])
        self.assertTrue(WorkerHeartbeat.objects.filter(worker_id="w1").exists())
