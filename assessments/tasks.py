"""The assessments app's background work (django.tasks): e-mails go out from the worker
where there is one (TASK_BACKEND=database), never from a web request."""

from django.tasks import task


@task
def send_emails(messages: list[list], subject: str, field: str, queued_at: str | None = None) -> int:
    """Send queued invitations or reminders: each message is [respondent id, address,
    body]; `field` is the respondent's timestamp to set when one goes out; `queued_at`
    (ISO 8601) lets a second run skip those already sent."""
    from assessments.services import _deliver

    return _deliver([tuple(message) for message in messages], subject, field, queued_at)
