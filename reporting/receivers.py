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
