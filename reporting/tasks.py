"""Background work, through Django's tasks API: on the worker with TASK_BACKEND=database
(`make serve`, production), at once in the enqueuing request otherwise (`make run`)."""

import logging

from django.tasks import task

from assessments.models import SignOffRecord

logger = logging.getLogger(__name__)

ATTEMPTS = 2


@task
def seal_report(sign_off_id: int, attempt: int = 1) -> int:
    """Seal a sign-off's PDF. A failure other than a refusal is tried once more (queued
    again); when the last attempt fails too, the failure is recorded for the report page
    (services.record_sealing_failure) and reported in the log. Nothing half-written is
    left (services.seal)."""
    from reporting.services import ReportError, record_sealing_failure, seal

    try:
        return seal(SignOffRecord.objects.get(pk=sign_off_id)).pk
    except ReportError:
        raise  # not the sign-off in force: trying again would change nothing
    except Exception as exc:
        error = f"{type(exc).__module__}.{type(exc).__qualname__}"
        if attempt < ATTEMPTS:
            logger.warning(
                "Sealing sign-off %s failed (%s), attempt %s of %s: trying again.",
                sign_off_id,
                error,
                attempt,
                ATTEMPTS,
            )
            seal_report.enqueue(sign_off_id, attempt=attempt + 1)
        else:
            logger.error(
                "Sealing sign-off %s failed (%s), attempt %s of %s: the report page says so and its secretary "
                "or chair can try again.",
                sign_off_id,
                error,
                attempt,
                ATTEMPTS,
            )
            try:
                record_sealing_failure(sign_off_id, attempts=attempt, error=error)
            except Exception:
                logger.exception("The failed sealing of sign-off %s could not be recorded.", sign_off_id)
        raise


@task
def prepare_pdf(prepared_id: int) -> None:
    """Make a PDF someone asked for (reporting/prepared.py)."""
    from reporting.prepared import prepare

    prepare(prepared_id)
