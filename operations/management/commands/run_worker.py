"""Run the background worker (django-tasks-db's `db_worker`) with a heartbeat.

    manage.py run_worker

Every HEARTBEAT_SECONDS a thread records that this worker is alive, so that the health
check can say whether anyone is running the tasks (sealing reports, sending e-mails).
Options after `--` go to db_worker (e.g. `-- --interval 2`).
"""

import socket
import threading
import uuid

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone

HEARTBEAT_SECONDS = 15


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
            call_command("db_worker", "--worker-id", worker_id, *worker_args)
        finally:
            stop.set()

    def _beat(self, worker_id: str, stop: threading.Event) -> None:
        from operations.models import WorkerHeartbeat

        while not stop.is_set():
            close_old_connections()
            WorkerHeartbeat.objects.update_or_create(worker_id=worker_id, defaults={"seen_at": timezone.now()})
            stop.wait(HEARTBEAT_SECONDS)
