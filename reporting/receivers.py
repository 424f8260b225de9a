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


def record_sealing_given_up(sender, *, task_result, **kwargs) -> None:
    """A sealing the worker wrapper gave up (its workers died running it) never reached
    seal_report's own handler, which records a failure on its last attempt: record it
    here, so that the report page says so instead of waiting for ever."""
    from django.tasks import TaskResultStatus

    from reporting.services import record_sealing_failure

    if task_result.task.module_path != "reporting.tasks.seal_report" or task_result.status != TaskResultStatus.FAILED:
        return
    if not task_result.errors or task_result.errors[-1].exception_class_path != WORKER_LOST:
        return
    from assessments.models import SignOffRecord
    from reporting.models import SealedReport

    sign_off_id = task_result.args[0] if task_result.args else task_result.kwargs["sign_off_id"]
    if not SignOffRecord.objects.filter(pk=sign_off_id).exists():
        return  # removed with its assessment meanwhile: nothing to report on
    if SealedReport.objects.filter(sign_off_id=sign_off_id).exists():
        return  # sealed after all (its worker died after the commit)
    record_sealing_failure(sign_off_id, attempts=len(task_result.worker_ids), error=WORKER_LOST)
