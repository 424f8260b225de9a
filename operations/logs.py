"""Structured logs: one line per request and one per background task, as JSON, with no
personal data (a user's id, never their name, e-mail or what they typed; the path
without its query string)."""

from __future__ import annotations

import json
import logging
import time

requests_log = logging.getLogger("ics.requests")
tasks_log = logging.getLogger("ics.tasks")


def request_log(get_response):
    """Middleware: method, path, status, duration and user id of every request."""

    def middleware(request):
        start = time.perf_counter()
        response = get_response(request)
        user = getattr(request, "user", None)
        requests_log.info(
            json.dumps(
                {
                    "event": "request",
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "ms": round((time.perf_counter() - start) * 1000, 1),
                    "user": user.pk if user is not None and user.is_authenticated else None,
                },
                separators=(",", ":"),
            )
        )
        return response

    return middleware


def task_finished(sender, task_result, **kwargs) -> None:
    """One line per finished task: its name, status, duration and attempt."""
    started, finished = task_result.started_at, task_result.finished_at
    seconds = (finished - started).total_seconds() if started and finished else None
    tasks_log.info(
        json.dumps(
            {
                "event": "task",
                "task": task_result.task.name,
                "id": task_result.id,
                "status": str(task_result.status),
                "seconds": None if seconds is None else round(seconds, 3),
                "errors": len(task_result.errors),
            },
            separators=(",", ":"),
        )
    )
