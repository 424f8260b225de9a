"""The one table of the operations app: when each background worker was last seen."""

from django.db import models


class WorkerHeartbeat(models.Model):
    """Written every few seconds by `manage.py run_worker`; read by the health check."""

    worker_id = models.CharField(max_length=64, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"worker {self.worker_id} seen {self.seen_at:%Y-%m-%d %H:%M:%S}"
