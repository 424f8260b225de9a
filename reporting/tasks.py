"""Background work, through Django's tasks API. Until a worker is configured the
immediate backend runs it at once, after the sign-off has committed."""

from django.tasks import task

from assessments.models import SignOffRecord


@task
def seal_report(sign_off_id: int) -> int:
    from reporting.services import seal

    return seal(SignOffRecord.objects.get(pk=sign_off_id)).pk
