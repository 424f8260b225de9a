"""What the reporting app does when the assessments app announces something."""

import logging

from reporting.tasks import seal_report

logger = logging.getLogger(__name__)


def seal_on_sign_off(sender, *, assessment, record, **kwargs) -> None:
    """Write the comparison's summary rows (they fix the peer spread the report prints),
    then seal the final PDF. The signal comes after the commit; a failure is logged, the
    rows can be rebuilt (`manage.py rebuild_comparison`) and the PDF is sealed on its
    first download."""
    from reporting.figures import write_figures

    try:
        write_figures(assessment)
    except Exception:  # the sign-off stands; say so and carry on to the sealing
        logger.exception("The comparison figures of assessment %s could not be written.", assessment.pk)
    seal_report.enqueue(record.pk)


def forget_on_reopening(sender, *, assessment, record, **kwargs) -> None:
    """A reopened assessment's figures leave the comparison until it is signed off again."""
    from reporting.figures import remove_figures

    remove_figures(assessment)


# Raised by operations/management/commands/run_worker.py for a task it gave up after the
# workers running it died; matched by name, as reporting imports no other app's commands.
WORKER_LOST = "operations.management.commands.run_worker.WorkerLost"


def record_task_given_up(sender, *, task_result, **kwargs) -> None:
    """A reporting task that ended without its own code saying so: given up by the worker
    wrapper after the workers running it died (WorkerLost), or stopped by the worker's
    own exit in the middle (a second stop signal: SystemExit, which the tasks' handlers
    see too, but a kill may not leave them time to record). Whatever waits for it is told,
    so that no page says "being prepared" for ever:

    - a sealing gets a recorded failure (the report page says so; "Try again"), unless it
      was sealed after all or a failure is already open;
    - a PDF made on request is marked failed (its waiting page offers "Try again"),
      rather than left pending and asked for afresh ten minutes later, which would give
      a render that kills its worker to three more workers."""
    from django.tasks import TaskResultStatus

    if task_result.status != TaskResultStatus.FAILED or not task_result.errors:
        return
    error = task_result.errors[-1].exception_class_path
    if error not in (WORKER_LOST, "builtins.SystemExit", "builtins.KeyboardInterrupt"):
        return
    path = task_result.task.module_path
    if path == "reporting.tasks.seal_report":
        _sealing_given_up(task_result, error)
    elif path == "reporting.tasks.prepare_pdf":
        from reporting.models import PreparedPdf

        prepared_id = task_result.args[0] if task_result.args else task_result.kwargs["prepared_id"]
        PreparedPdf.objects.filter(pk=prepared_id, status=PreparedPdf.Status.PENDING).update(
            status=PreparedPdf.Status.FAILED, error="The worker stopped while making it."
        )


def _sealing_given_up(task_result, error: str) -> None:
    from assessments.models import SignOffRecord
    from reporting.models import SealedReport, SealingFailure
    from reporting.services import record_sealing_failure

    sign_off_id = task_result.args[0] if task_result.args else task_result.kwargs["sign_off_id"]
    if not SignOffRecord.objects.filter(pk=sign_off_id).exists():
        return  # removed with its assessment meanwhile: nothing to report on
    if SealedReport.objects.filter(sign_off_id=sign_off_id).exists():
        return  # sealed after all (its worker died after the commit)
    if SealingFailure.objects.filter(sign_off_id=sign_off_id, retried_at__isnull=True).exists():
        return  # the task's own handler recorded it
    attempts = len(task_result.worker_ids) if error == WORKER_LOST else task_result.kwargs.get("attempt", 1)
    record_sealing_failure(sign_off_id, attempts=attempts, error=error)
