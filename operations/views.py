"""The health check for a load balancer: no login, JSON, nothing but three yes/no answers."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

# A worker writes its heartbeat every HEARTBEAT_SECONDS; one not seen for this long is gone.
WORKER_STALE_AFTER = datetime.timedelta(seconds=60)


def runs_on_worker() -> bool:
    """Whether tasks wait for a worker process (TASK_BACKEND=database) rather than run at
    once in the request that queued them."""
    return settings.TASKS["default"]["BACKEND"] == settings.TASK_BACKENDS["database"]


@login_not_required
@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, every migration is applied and (where tasks run on
    a worker) a worker was seen in the last minute; 503 otherwise."""
    checks = {"database": False, "migrations": False, "worker": None}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = True
        executor = MigrationExecutor(connection)
        checks["migrations"] = not executor.migration_plan(executor.loader.graph.leaf_nodes())
        if runs_on_worker():
            from operations.models import WorkerHeartbeat

            checks["worker"] = WorkerHeartbeat.objects.filter(seen_at__gte=timezone.now() - WORKER_STALE_AFTER).exists()
    except DatabaseError:
        pass
    healthy = checks["database"] and checks["migrations"] and checks["worker"] is not False
    return JsonResponse({"status": "ok" if healthy else "fail", **checks}, status=200 if healthy else 503)
