"""What the reporting app does when the assessments app announces something."""

from reporting.tasks import seal_report


def seal_on_sign_off(sender, *, assessment, record, **kwargs) -> None:
    """Seal the final PDF of a sign-off. The signal comes after the commit; a render
    that fails is logged by the task and the PDF is sealed on its first download."""
    seal_report.enqueue(record.pk)
