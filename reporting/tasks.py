"""Background work, through Django's tasks API: on the worker with TASK_BACKEND=database
(`make serve`, production), at once in the enqueuing request otherwise (`make run`)."""

from django.tasks import task

from assessments.models import SignOffRecord

ATTEMPTS = 2


@task
def seal_report(sign_off_id: int, attempt: int = 1) -> int:
    """Seal a sign-off's PDF. A failure other than a refusal is tried once more (queued
    again) and reported in the log; nothing half-written is left (services.seal)."""
    from reporting.services import ReportError, seal

    try:
        return seal(SignOffRecord.objects.get(pk=sign_off_id)).pk
    except ReportError:
        raise  # not the sign-off in force: trying again would change nothing
    except Exception:
        if attempt < ATTEMPTS:
            seal_report.enqueue(sign_off_id, attempt=attempt + 1)
        raise


@task
def prepare_pdf(prepared_id: int) -> None:
    """Make a PDF someone asked for (reporting/prepared.py)."""
    from reporting.prepared import prepare

    prepare(prepared_id)
