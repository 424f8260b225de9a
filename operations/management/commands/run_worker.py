"""Run the background worker (django-tasks-db's `db_worker`) with a heartbeat.

    manage.py run_worker

Every HEARTBEAT_SECONDS a thread records that this worker is alive, so that the health
check can say whether anyone is running the tasks (sealing reports, sending e-mails).
Options after `--` go to db_worker (e.g. `-- --interval 2`).

Two things db_worker (django-tasks-db 0.13) does not do, done here:

- It never takes back a task whose worker died: a task is claimed by setting it RUNNING
  with the worker's id, and only that worker ever changes it again. A worker killed in
  the middle of a task (the OOM killer, a lost machine, `kill -9`) leaves it RUNNING for
  ever, and the sealed PDF of that sign-off is never made. So the heartbeat thread, when
  the worker starts and after every beat, puts back in the queue each RUNNING task whose
  worker has not been seen for STALE_AFTER (`requeue_stale_tasks`), and another worker
  runs it. Running a task again must therefore be safe: `reporting.services.seal` is
  (a sign-off has at most one sealed report, and the file is written only once the PDF
  is whole). A task that has already been given to MAX_CLAIMS workers that all died is
  not given to another: it is marked failed, so that a task that kills its worker (a
  render running out of memory) cannot take every worker down in turn.
- It stops at the first database error of its own (PostgreSQL restarting, a failover):
  the process exits, and under systemd's Restart=always it is started again ten times a
  second until systemd gives up. Here db_worker is started again after RETRY_SECONDS
  instead, with the same worker id, once the task it was running (if any) is back in
  the queue; and the heartbeat thread carries on through the outage.

Every task put back or given up is logged on `ics.tasks` as one JSON line, as the
finished tasks are (operations/logs.py).
"""

from __future__ import annotations

import datetime
import json
import logging
import socket
import threading
import time
import uuid

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import DatabaseError, InterfaceError, OperationalError, close_old_connections, connection
from django.tasks import TaskResultStatus
from django.utils import timezone

from operations.logs import tasks_log

HEARTBEAT_SECONDS = 15
# A worker not seen for this long is gone: three missed beats, so that one slow write
# (or a short database outage, see `beat`) never passes for a dead worker. The health
# check calls a worker gone after a minute (operations/views.py).
STALE_AFTER = datetime.timedelta(seconds=3 * HEARTBEAT_SECONDS)
# A task is given to at most this many workers: after that many died running it, it is
# marked failed rather than put back.
MAX_CLAIMS = 3
# After a database error, the wait before trying again (the heartbeat and db_worker).
RETRY_SECONDS = 5


class WorkerLost(Exception):
    """Recorded as the error of a task given up after MAX_CLAIMS workers died running it."""


class Command(BaseCommand):
    help = "Run the background worker, recording a heartbeat for the health check."

    def add_arguments(self, parser) -> None:
        parser.add_argument("worker_args", nargs="*", help="passed to db_worker")

    def handle(self, *args, worker_args: list[str], **options) -> None:
        worker_id = f"{socket.gethostname()[:40]}-{uuid.uuid4().hex[:12]}"
        stop = threading.Event()
        beat = threading.Thread(target=self._beat, args=(worker_id, stop), daemon=True)
        beat.start()
        try:
            self._work(worker_id, worker_args)
        finally:
            stop.set()

    def _work(self, worker_id: str, worker_args: list[str]) -> None:
        """db_worker, started again after a database error of its own. A task's own
        errors never reach here (db_worker records them as the task's failure); only its
        bookkeeping's do, so the task it was running, if any, is no longer running: it is
        put back in the queue before db_worker starts again (our heartbeat is fresh, so
        `requeue_stale_tasks` would never take it back)."""
        lost = False
        while True:
            try:
                if lost:
                    requeue_tasks_of(worker_id)
                call_command("db_worker", "--worker-id", worker_id, *worker_args)
                return
            except (OperationalError, InterfaceError) as exc:
                lost = True
                log("worker_database_error", logging.ERROR, worker=worker_id, error=type(exc).__name__)
            close_quietly()
            time.sleep(RETRY_SECONDS)

    def _beat(self, worker_id: str, stop: threading.Event) -> None:
        try:
            answered = True
            while not stop.is_set():
                answered = beat(worker_id, look_for_stale=answered)
                stop.wait(HEARTBEAT_SECONDS if answered else RETRY_SECONDS)
        finally:
            close_quietly()


def beat(worker_id: str, *, look_for_stale: bool) -> bool:
    """One heartbeat, then the stale tasks put back unless `look_for_stale` is off.
    Returns whether the database answered.

    A database error is logged and the thread carries on: a thread that died with it
    would leave a live worker looking dead to the health check, and to every other
    worker, which would take its tasks. The first beat after an error does not look for
    stale tasks: the other workers have not beaten since the outage either, and are
    given a beat's time (they try again every RETRY_SECONDS) to say they are alive."""
    from operations.models import WorkerHeartbeat

    try:
        close_old_connections()
        WorkerHeartbeat.objects.update_or_create(worker_id=worker_id, defaults={"seen_at": timezone.now()})
        if look_for_stale:
            requeue_stale_tasks()
    except DatabaseError as exc:
        log("heartbeat_failed", logging.WARNING, worker=worker_id, error=type(exc).__name__)
        close_quietly()
        return False
    except Exception as exc:  # noqa: BLE001 - logged as a JSON line below, and the thread must live
        # Anything else (a task row that cannot be read back) must not end the thread:
        # a worker whose heartbeat stopped would see its own task taken away.
        log("heartbeat_error", logging.ERROR, worker=worker_id, error=type(exc).__name__)
    return True


def requeue_stale_tasks(*, now: datetime.datetime | None = None) -> int:
    """Put back in the queue (or give up, after MAX_CLAIMS) every RUNNING task whose
    worker has shown no sign of life for STALE_AFTER. The worker is the one that claimed
    it last (`worker_ids` lists every claim); its last sign of life is its heartbeat or
    the claim itself, whichever is later, so that a task claimed before its worker's
    first beat is not taken away, and a worker with no heartbeat row at all (one run
    without this wrapper, or killed before its first beat) still counts as gone once
    the claim is old. Returns how many tasks were put back or given up."""
    from django_tasks_db.models import DBTaskResult

    from operations.models import WorkerHeartbeat

    now = now or timezone.now()
    running = list(DBTaskResult.objects.running().only("id", "task_path", "worker_ids", "started_at"))
    claimers = {task.worker_ids[-1] for task in running if task.worker_ids}
    seen = dict(WorkerHeartbeat.objects.filter(worker_id__in=claimers).values_list("worker_id", "seen_at"))
    changed = 0
    for task in running:
        worker = task.worker_ids[-1] if task.worker_ids else None
        signs = [when for when in (seen.get(worker), task.started_at) if when is not None]
        last_seen = max(signs) if signs else None
        if last_seen is not None and now - last_seen <= STALE_AFTER:
            continue
        unseen = None if last_seen is None else round((now - last_seen).total_seconds(), 1)
        changed += put_back(task, reason="worker not seen", now=now, seconds_unseen=unseen)
    return changed


def requeue_tasks_of(worker_id: str) -> int:
    """Put back (or give up) the RUNNING tasks this worker claimed: its db_worker
    stopped on a database error, so it is running none of them."""
    from django_tasks_db.models import DBTaskResult

    running = DBTaskResult.objects.running().only("id", "task_path", "worker_ids", "started_at")
    mine = [task for task in running if task.worker_ids and task.worker_ids[-1] == worker_id]
    return sum(put_back(task, reason="its worker lost the database", now=timezone.now()) for task in mine)


def put_back(task, *, reason: str, now: datetime.datetime, **details) -> int:
    """One UPDATE, and only if the task is still RUNNING from the claim that was read
    (same status and started_at): a task that finished meanwhile, or was put back and
    claimed again by another worker, is left alone. READY again, for the next worker;
    or FAILED with WorkerLost once MAX_CLAIMS workers have died running it. Returns 1 if
    the task was changed, 0 if not."""
    from django_tasks_db.models import DBTaskResult

    claims = len(task.worker_ids)
    same_claim = DBTaskResult.objects.filter(pk=task.pk, status=TaskResultStatus.RUNNING, started_at=task.started_at)
    if claims >= MAX_CLAIMS:
        event, level = "task_given_up", logging.ERROR
        changed = same_claim.update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            return_value=None,
            exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
            traceback=f"{WorkerLost.__qualname__}: {claims} workers stopped while running this task ({reason}); "
            "it is not given to another.\n",
        )
    else:
        event, level = "task_requeued", logging.WARNING
        changed = same_claim.update(status=TaskResultStatus.READY)
    if changed:
        worker = task.worker_ids[-1] if task.worker_ids else None
        log(event, level, id=str(task.pk), task=task.task_path, worker=worker, claims=claims, reason=reason, **details)
        if event == "task_given_up":
            announce_given_up(task.pk)
    return changed


def announce_given_up(task_id) -> None:
    """Send Django's `task_finished` for a task given up here, as db_worker does for one
    that failed in its hands, so that whoever waits for it learns of it (the reporting
    app records a sealing given up, for the report page; the task log writes its line)."""
    from django.tasks.signals import task_finished
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    result = DBTaskResult.objects.get(pk=task_id).task_result
    # A receiver's error must not stop the heartbeat thread: it is logged, with the task.
    for _receiver, error in task_finished.send_robust(sender=DatabaseBackend, task_result=result):
        if isinstance(error, Exception):
            log("task_finished_receiver_failed", logging.ERROR, id=str(task_id), error=type(error).__name__)


def log(event: str, level: int, **fields) -> None:
    """One JSON line on `ics.tasks`, as operations/logs.py writes the finished tasks."""
    tasks_log.log(level, json.dumps({"event": event, **fields}, separators=(",", ":")))


def close_quietly() -> None:
    """Close this thread's database connection, which may already be broken."""
    try:
        connection.close()
    except DatabaseError:
        pass
