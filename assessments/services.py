"""Every change to an assessment goes through a function here.

Each function checks its rule, writes in one transaction, records who did it in the
assessment's history (old and new values), and raises AssessmentError with a message
a board secretary or director can act on. Views turn that into a message; the
database is left unchanged.

Workflow: draft → open for scoring → moderation → signed off (→ reopened by staff).
"""

from __future__ import annotations

import datetime
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from assessments.models import (
    MAX_COMMENT,
    Action,
    AgreedScore,
    Answer,
    Assessment,
    Evidence,
    HistoryEntry,
    Respondent,
    SignOffRecord,
    unlocked,
)
from assessments.signals import assessment_reopened, assessment_signed_off
from frameworks.models import Framework, Line, Section
from organisations.models import Membership, Organisation

Status = Assessment.Status
Role = Membership.Role
logger = logging.getLogger(__name__)


class AssessmentError(Exception):
    """A rule of the workflow was broken; the message says which, in plain words."""


class Locked(AssessmentError):
    """The assessment is signed off (the services' own check; the database is the backstop)."""


class StaleVersion(AssessmentError):
    """The thing changed since the person loaded it (another tab, another device)."""

    def __init__(self, message: str, current: Any):
        super().__init__(message)
        self.current = current


# --- helpers --------------------------------------------------------------------


def _record(
    assessment: Assessment,
    *,
    by,
    action: str,
    subject: str,
    obj=None,
    line: Line | None = None,
    respondent: Respondent | None = None,
    changes: dict | None = None,
    note: str = "",
) -> HistoryEntry:
    return HistoryEntry.objects.create(
        assessment=assessment,
        actor=by,
        action=action,
        subject=subject,
        subject_id=getattr(obj, "pk", None),
        line_code=line.code if line else "",
        respondent=respondent,
        changes=changes or {},
        note=note,
    )


def _value(value: Any) -> Any:
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if hasattr(value, "pk"):
        return str(value)
    return value


def _diff(obj, values: dict[str, Any]) -> dict[str, list]:
    return {
        name: [_value(getattr(obj, name)), _value(value)]
        for name, value in values.items()
        if getattr(obj, name) != value
    }


def _require_status(assessment: Assessment, *allowed: str, doing: str) -> None:
    if assessment.status == Status.SIGNED_OFF and Status.SIGNED_OFF not in allowed:
        raise Locked(f"This assessment is signed off and locked, so you cannot {doing}.")
    if assessment.status not in allowed:
        names = " or ".join(str(Status(s).label).lower() for s in allowed)
        raise AssessmentError(
            f"You cannot {doing} while the assessment is {assessment.get_status_display().lower()}; it must be {names}."
        )


def _role_of(user, organisation: Organisation) -> str | None:
    return Membership.objects.filter(user=user, organisation=organisation).values_list("role", flat=True).first()


def _require_role(user, assessment_or_organisation, roles: Iterable[str], doing: str) -> None:
    """Every service that changes something checks the person's role itself: the views
    check too, but this is the check nothing can go round."""
    organisation = getattr(assessment_or_organisation, "organisation", assessment_or_organisation)
    if _role_of(user, organisation) not in set(roles):
        raise AssessmentError(f"Your role in {organisation.name} does not allow you to {doing}.")


def _check_levels(line: Line, level: int | None, target: int | None, *, max_level: int | None = None) -> None:
    top = max_level or line.framework.scale.levels.aggregate(top=Max("number"))["top"]
    for name, value in (("score", level), ("target", target)):
        if value is not None and not (1 <= value <= top):
            raise AssessmentError(f"The {name} must be a level from 1 to {top}; {value} is not on the scale.")
    if level is not None and target is not None and target < level:
        raise AssessmentError(f"The target level ({target}) cannot be below the current level ({level}).")


# --- set up ---------------------------------------------------------------------


@dataclass(frozen=True)
class AssessmentDetails:
    title: str
    period_start_year: int
    deadline: datetime.date
    anonymous: bool
    frameworks: list[Framework]


@transaction.atomic
def create_assessment(
    organisation: Organisation, details: AssessmentDetails, *, by, previous: Assessment | None = None
) -> Assessment:
    """A new draft assessment. With `previous` (last year's), open actions carry over
    and last year's agreed scores are shown as a reference (never copied as answers)."""
    _require_role(by, organisation, [Role.SECRETARY], "set up an assessment")
    _validate_details(organisation, details)
    if Assessment.objects.filter(organisation=organisation, period_start_year=details.period_start_year).exists():
        raise AssessmentError(
            f"{organisation.name} already has an assessment for {details.period_start_year}/"
            f"{(details.period_start_year + 1) % 100:02d}."
        )
    if previous is not None and (previous.organisation_id != organisation.pk or previous.status != Status.SIGNED_OFF):
        raise AssessmentError("Only a signed-off assessment of the same organisation can be carried forward.")
    start = datetime.date(details.period_start_year, 4, 1)
    assessment = Assessment.objects.create(
        organisation=organisation,
        ics=organisation.ics_on(start),
        organisation_type=organisation.type,
        period_start_year=details.period_start_year,
        title=details.title,
        deadline=details.deadline,
        anonymous=details.anonymous,
        previous=previous,
        created_by=by,
    )
    assessment.frameworks.set(details.frameworks)
    _record(
        assessment,
        by=by,
        action="created",
        subject="Assessment",
        obj=assessment,
        changes={
            "title": [None, details.title],
            "period": [None, assessment.period_label],
            "deadline": [None, details.deadline.isoformat()],
            "anonymous": [None, details.anonymous],
            "frameworks": [None, [str(f) for f in details.frameworks]],
        },
    )
    if previous is not None:
        for old in previous.actions.filter(status__in=Action.OPEN_STATUSES):
            action = Action.objects.create(
                assessment=assessment,
                line=old.line,
                section=old.section,
                description=old.description,
                owner=old.owner,
                due_date=old.due_date,
                status=old.status,
                carried_from=old,
                created_by=by,
            )
            _record(
                assessment,
                by=by,
                action="carried forward",
                subject="Action",
                obj=action,
                line=old.line,
                changes={"description": [None, old.description]},
                note=f"From {previous.period_label}.",
            )
    return assessment


def _validate_details(organisation: Organisation, details: AssessmentDetails, *, existing: Assessment | None = None):
    if not details.title.strip():
        raise AssessmentError("Give the assessment a title.")
    if not details.frameworks:
        raise AssessmentError("Choose at least one framework.")
    start = datetime.date(details.period_start_year, 4, 1)
    end = datetime.date(details.period_start_year + 1, 3, 31)
    if (organisation.closed_on and organisation.closed_on < start) or (
        organisation.opened_on and organisation.opened_on > end
    ):
        raise AssessmentError(
            f"{organisation.name} did not exist in {details.period_start_year}/"
            f"{(details.period_start_year + 1) % 100:02d}: choose a period when it was open."
        )
    if not organisation.type:
        raise AssessmentError(f"{organisation.name} has no organisation type recorded, so its lines cannot be chosen.")
    for framework in details.frameworks:
        if framework.status != Framework.Status.CURRENT and not (
            existing and existing.frameworks.filter(pk=framework.pk).exists()
        ):
            raise AssessmentError(f"{framework} is {framework.get_status_display().lower()}: choose a current version.")
    if details.deadline < timezone.localdate():
        raise AssessmentError("The deadline is in the past: choose today or a later date.")
    # Pages address sections and lines by code, so codes must not repeat across frameworks.
    counts = Counter(Line.objects.filter(framework__in=details.frameworks).values_list("code", flat=True))
    counts.update(Section.objects.filter(framework__in=details.frameworks).values_list("code", flat=True))
    shared = sorted(code for code, n in counts.items() if n > 1)
    if shared:
        raise AssessmentError(
            f"These frameworks use the same codes ({', '.join(shared[:5])}), so they cannot be assessed together."
        )


@transaction.atomic
def update_assessment(assessment: Assessment, details: AssessmentDetails, *, by) -> Assessment:
    """Change title and deadline (and frameworks and anonymity while still a draft)."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _require_role(by, assessment, [Role.SECRETARY], "change the assessment's details")
    _require_status(assessment, Status.DRAFT, Status.OPEN, doing="change the assessment's details")
    if details.anonymous != assessment.anonymous and assessment.status != Status.DRAFT:
        # Directors scored on the promise they were given; changing it now could name them.
        raise AssessmentError("Anonymity is fixed once scoring opens: directors scored on the promise they were given.")
    _validate_details(assessment.organisation, details, existing=assessment)
    current = set(assessment.frameworks.values_list("pk", flat=True))
    wanted = {f.pk for f in details.frameworks}
    changes = _diff(assessment, {"title": details.title, "deadline": details.deadline, "anonymous": details.anonymous})
    if current != wanted:
        if assessment.status != Status.DRAFT:
            raise AssessmentError("Frameworks can change only while the assessment is a draft.")
        changes["frameworks"] = [
            sorted(str(f) for f in Framework.objects.filter(pk__in=current)),
            sorted(str(f) for f in details.frameworks),
        ]
        assessment.frameworks.set(details.frameworks)
    if details.period_start_year != assessment.period_start_year:
        raise AssessmentError("The period of an assessment cannot change; create a new assessment instead.")
    if changes:
        assessment.title, assessment.deadline, assessment.anonymous = details.title, details.deadline, details.anonymous
        assessment.save(update_fields=["title", "deadline", "anonymous", "updated_at"])
        _record(assessment, by=by, action="changed", subject="Assessment", obj=assessment, changes=changes)
    return assessment


# --- respondents ----------------------------------------------------------------


def eligible_directors(assessment: Assessment):
    """Board members who may score: directors and the chair of the organisation."""
    return (
        Membership.objects.filter(organisation=assessment.organisation, role__in=[Role.DIRECTOR, Role.CHAIR])
        .select_related("user")
        .order_by("user__last_name", "user__first_name")
    )


@transaction.atomic
def invite_respondents(assessment: Assessment, memberships: Iterable[Membership], *, by) -> list[Respondent]:
    """Invite directors (executive/non-executive recorded as they are now)."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _require_role(by, assessment, [Role.SECRETARY], "invite directors")
    _require_status(assessment, Status.DRAFT, Status.OPEN, doing="invite directors")
    eligible = {m.pk: m for m in eligible_directors(assessment)}
    invited = []
    for membership in memberships:
        if membership.pk not in eligible:
            raise AssessmentError(f"{membership.user} is not a director of {assessment.organisation.name}.")
        respondent = Respondent.objects.filter(assessment=assessment, user=membership.user).first()
        if respondent is not None and respondent.removed_at is None:
            raise AssessmentError(f"{membership.user.get_full_name() or membership.user} is already invited.")
        is_executive = membership.role == Role.DIRECTOR and membership.is_executive
        if respondent is None:
            respondent = Respondent.objects.create(
                assessment=assessment, user=membership.user, is_executive=is_executive, invited_by=by
            )
        else:  # invited again after being removed: their earlier answers come back
            respondent.removed_at = None
            respondent.is_executive = is_executive
            respondent.save(update_fields=["removed_at", "is_executive"])
        _record(
            assessment,
            by=by,
            action="invited",
            subject="Respondent",
            obj=respondent,
            changes={
                "director": [None, respondent.user.get_full_name() or respondent.user.username],
                "executive": [None, is_executive],
            },
        )
        invited.append(respondent)
    if assessment.status == Status.OPEN:
        _prepare_answers(assessment, invited)
        _send_invitations(assessment, invited)
    return invited


@transaction.atomic
def remove_respondent(respondent: Respondent, *, by) -> None:
    """Take a director off the assessment. Their answers are kept but no longer counted."""
    assessment = Assessment.objects.select_for_update().get(pk=respondent.assessment_id)
    _require_role(by, assessment, [Role.SECRETARY], "remove a director")
    _require_status(assessment, Status.DRAFT, Status.OPEN, doing="remove a director")
    if respondent.removed_at is not None:
        raise AssessmentError("That director has already been removed.")
    respondent.removed_at = timezone.now()
    respondent.save(update_fields=["removed_at"])
    _record(
        assessment,
        by=by,
        action="removed",
        subject="Respondent",
        obj=respondent,
        changes={"director": [respondent.user.get_full_name() or respondent.user.username, None]},
    )


def _prepare_answers(assessment: Assessment, respondents: Iterable[Respondent]) -> None:
    """One blank answer per included line per respondent, so that every autosave is an
    update of a known row with a version, and progress is a simple count."""
    lines = assessment.included_lines()
    for respondent in respondents:
        have = set(respondent.answers.values_list("line_id", flat=True))
        Answer.objects.bulk_create([Answer(respondent=respondent, line=line) for line in lines if line.pk not in have])


def invitation_subject(assessment: Assessment, *, reminder: bool = False) -> str:
    title = assessment.title
    if assessment.period_label not in title:
        title = f"{title} ({assessment.period_label})"
    return ("Reminder: " if reminder else "") + f"{assessment.organisation.name}: your scores for {title}"


def _send_invitations(assessment: Assessment, respondents: Iterable[Respondent], *, reminder: bool = False) -> int:
    """Queue invitation (or reminder) emails to go out once the transaction commits, so
    that no row lock is held while a mail server answers, and nobody is emailed about a
    change that was rolled back. Returns how many are queued."""
    url = settings.SITE_URL + reverse(
        "assessments:score-start", args=[assessment.organisation.ods_code, assessment.period_start_year]
    )
    subject = invitation_subject(assessment, reminder=reminder)
    messages = []
    for respondent in respondents:
        if not respondent.user.email:
            continue
        context = {"assessment": assessment, "respondent": respondent, "url": url, "reminder": reminder}
        body = render_to_string("assessments/email/invitation.txt", context)
        messages.append((respondent.pk, respondent.user.email, body))
    field = "last_reminded_at" if reminder else "invitation_sent_at"
    transaction.on_commit(lambda: _queue_emails(messages, subject, field))
    return len(messages)


def _queue_emails(messages: list[tuple[int, str, str]], subject: str, field: str) -> None:
    """Hand the e-mails to the task backend named by EMAIL_TASK_BACKEND: the worker's
    queue in production, so that no request waits on a mail server."""
    from assessments.tasks import send_emails

    queued_at = timezone.now().isoformat()
    send_emails.using(backend=settings.EMAIL_TASK_BACKEND).enqueue(
        [list(m) for m in messages], subject, field, queued_at=queued_at
    )


def _deliver(messages: list[tuple[int, str, str]], subject: str, field: str, queued_at: str | None = None) -> int:
    """Send each queued email and record when it went; one failure does not stop the
    rest. Returns how many went.

    A task can run twice (its worker died, and run_worker put it back in the queue): a
    director whose `field` was set since the e-mails were queued (`queued_at`) already
    has this one and is not sent it again."""
    sent = 0
    done: set[int] = set()
    if queued_at:
        ids = [respondent_id for respondent_id, _, _ in messages]
        since = {f"{field}__gte": datetime.datetime.fromisoformat(queued_at)}
        done = set(Respondent.objects.filter(pk__in=ids, **since).values_list("pk", flat=True))
    for respondent_id, address, body in messages:
        if respondent_id in done:
            continue
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
        except Exception:
            logger.exception("Could not send %s to respondent %s", field, respondent_id)
            continue
        Respondent.objects.filter(pk=respondent_id).update(**{field: timezone.now()})
        sent += 1
    return sent


@transaction.atomic
def send_reminders(assessment: Assessment, *, by) -> int:
    """Remind every invited director who has not submitted yet."""
    assessment = Assessment.objects.select_for_update().select_related("organisation").get(pk=assessment.pk)
    _require_role(by, assessment, [Role.SECRETARY], "send reminders")
    _require_status(assessment, Status.OPEN, doing="send reminders")
    waiting = list(assessment.respondents.active().filter(submitted_at__isnull=True).select_related("user"))
    sent = _send_invitations(assessment, waiting, reminder=True)
    _record(assessment, by=by, action="reminded", subject="Respondent", changes={"reminders sent": [None, sent]})
    return sent


# --- transitions ----------------------------------------------------------------


@transaction.atomic
def open_assessment(assessment: Assessment, *, by, notify: bool = True) -> Assessment:
    """Draft → open for scoring: invitations go out (unless `notify` is off, for demo
    data) and the frameworks are frozen."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _require_role(by, assessment, [Role.SECRETARY], "open the assessment for scoring")
    _require_status(assessment, Status.DRAFT, doing="open the assessment for scoring")
    respondents = list(assessment.respondents.active().select_related("user"))
    if not respondents:
        raise AssessmentError("Invite at least one director before opening the assessment.")
    if assessment.deadline < timezone.localdate():
        raise AssessmentError("The deadline has passed: set a new one before opening.")
    for framework in assessment.frameworks.all():
        framework.mark_in_use()
    # The lines are fixed from here: remember the type that chose them.
    assessment.organisation_type = assessment.organisation.type
    _set_status(assessment, Status.OPEN, by=by, extra_fields=["organisation_type"])
    _prepare_answers(assessment, respondents)
    if notify:
        _send_invitations(assessment, respondents)
    return assessment


@transaction.atomic
def start_moderation(assessment: Assessment, *, by) -> Assessment:
    """Open → moderation: scoring closes; directors can no longer change or reopen."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _require_role(by, assessment, [Role.SECRETARY, Role.CHAIR], "start moderation")
    _require_status(assessment, Status.OPEN, doing="start moderation")
    if not assessment.respondents.active().filter(submitted_at__isnull=False).exists():
        raise AssessmentError("No director has submitted yet: wait for at least one submission.")
    _set_status(assessment, Status.MODERATION, by=by)
    return assessment


@transaction.atomic
def sign_off(assessment: Assessment, *, by) -> Assessment:
    """Moderation → signed off, by the chair, once every line has an agreed score or is
    explicitly not assessed. The assessment is then locked."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _require_role(by, assessment, [Role.CHAIR], "sign the assessment off")
    _require_status(assessment, Status.MODERATION, doing="sign the assessment off")
    missing = missing_agreed_lines(assessment)
    if missing:
        codes = ", ".join(line.code for line in missing[:8]) + (" …" if len(missing) > 8 else "")
        raise AssessmentError(
            f"{len(missing)} line{'s have' if len(missing) != 1 else ' has'} no agreed score yet ({codes}). "
            "Agree a score, or mark the line not assessed with a reason."
        )
    record = _add_sign_off_record(assessment, SignOffRecord.Kind.SIGNED_OFF, by=by)
    assessment.signed_off_by = by
    assessment.signed_off_at = record.at
    _set_status(
        assessment,
        Status.SIGNED_OFF,
        by=by,
        extra_fields=["signed_off_by", "signed_off_at"],
    )
    transaction.on_commit(lambda: assessment_signed_off.send(sender=Assessment, assessment=assessment, record=record))
    return assessment


def _add_sign_off_record(assessment: Assessment, kind: str, *, by, reason: str = "") -> SignOffRecord:
    latest = assessment.sign_off_records.order_by("-sequence").values_list("sequence", flat=True).first() or 0
    return SignOffRecord.objects.create(assessment=assessment, sequence=latest + 1, kind=kind, by=by, reason=reason)


@transaction.atomic
def reopen_assessment(assessment: Assessment, *, by, reason: str) -> Assessment:
    """Signed off → moderation. Staff only, with a recorded reason."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if not by.is_staff:
        raise AssessmentError("Only an administrator can reopen a signed-off assessment.")
    if assessment.status != Status.SIGNED_OFF:
        raise AssessmentError("Only a signed-off assessment can be reopened.")
    if not reason.strip():
        raise AssessmentError("Give the reason for reopening; it is kept in the history.")
    # The sign-off records keep who signed off before; these two fields describe the
    # sign-off in force, and there is none until the chair signs off again.
    record = _add_sign_off_record(assessment, SignOffRecord.Kind.REOPENED, by=by, reason=reason.strip())
    with unlocked():
        assessment.signed_off_by = None
        assessment.signed_off_at = None
        _set_status(
            assessment,
            Status.MODERATION,
            by=by,
            extra_fields=["signed_off_by", "signed_off_at"],
            note=reason.strip(),
        )
    transaction.on_commit(lambda: assessment_reopened.send(sender=Assessment, assessment=assessment, record=record))
    return assessment


def _set_status(assessment: Assessment, status: str, *, by, extra_fields=(), note: str = "") -> None:
    old = assessment.status
    assessment.status = status
    assessment.save(update_fields=["status", "updated_at", *extra_fields])
    _record(
        assessment,
        by=by,
        action="status changed",
        subject="Assessment",
        obj=assessment,
        changes={"status": [Status(old).label, Status(status).label]},
        note=note,
    )


def missing_agreed_lines(assessment: Assessment) -> list[Line]:
    """Included lines with no agreed score (or "not assessed") yet: what blocks sign-off."""
    agreed = set(assessment.agreed_scores.values_list("line_id", flat=True))
    return [line for line in assessment.included_lines() if line.pk not in agreed]


# --- individual scoring ----------------------------------------------------------


STALE_ANSWER = (
    "This answer was changed elsewhere (another tab or device) after you opened it. "
    "The saved answer is shown, with what you typed beside it."
)


@dataclass(frozen=True)
class AnswerInput:
    level: int | None
    dont_know: bool
    target_level: int | None
    comment: str
    version: int


@transaction.atomic
def save_answer(answer: Answer, data: AnswerInput, *, by, max_level: int | None = None) -> Answer:
    """Save one director's answer to one line, refusing a save based on a stale version.

    `answer` must come from the director's own respondent (the view resolves it through
    the access helper); its respondent and assessment must be loaded."""
    respondent = answer.respondent
    assessment = respondent.assessment
    if respondent.user_id != by.pk:
        raise AssessmentError("You can change only your own answers.")
    _require_status(assessment, Status.OPEN, doing="change your scores")
    if respondent.removed_at is not None:
        raise AssessmentError("You are no longer a respondent to this assessment.")
    if respondent.submitted_at is not None:
        raise AssessmentError("You have submitted your scores. Reopen them to make changes.")
    level = None if data.dont_know else data.level
    _check_levels(answer.line, level, data.target_level, max_level=max_level)
    if len(data.comment) > MAX_COMMENT:
        raise AssessmentError(f"The comment is {len(data.comment):,} characters long; the most is {MAX_COMMENT:,}.")
    values = {
        "level": level,
        "dont_know": data.dont_know,
        "target_level": data.target_level,
        "comment": data.comment.strip(),
    }
    changes = _diff(answer, values)
    if data.version != answer.version:
        raise StaleVersion(STALE_ANSWER, current=answer)
    if not changes:
        return answer
    # The status, the submission and the version are checked in the same statement as
    # the write, not trusted from when the request began: a save that races "start
    # moderation", a submission in another tab or a save in another tab changes nothing.
    # The role is checked here too, in the same statement: still a director or the chair.
    still_allowed = Respondent.objects.filter(
        pk=OuterRef("respondent_id"),
        user=by,
        assessment__organisation__memberships__user=by,
        assessment__organisation__memberships__role__in=[Role.DIRECTOR, Role.CHAIR],
        removed_at__isnull=True,
        submitted_at__isnull=True,
        assessment__status=Status.OPEN,
    )
    # pk and version on the answer row itself, the rest in EXISTS: a single-table UPDATE
    # whose version test PostgreSQL re-checks against the row another save has just
    # committed. (With the conditions as joins Django writes `WHERE id IN (subquery)`,
    # and the re-check saw the old version in the subquery: two saves from one version
    # both landed. tests/postgres/test_concurrency.py.)
    updated = Answer.objects.filter(Exists(still_allowed), pk=answer.pk, version=data.version).update(
        **values, version=data.version + 1, updated_at=timezone.now()
    )
    if not updated:
        current = Answer.objects.select_related("respondent__assessment").get(pk=answer.pk)
        state = current.respondent
        if state.assessment.status != Status.OPEN:
            _require_status(state.assessment, Status.OPEN, doing="change your scores")
        if state.removed_at is not None:
            raise AssessmentError("You are no longer a respondent to this assessment.")
        if state.submitted_at is not None:
            raise AssessmentError("You have submitted your scores. Reopen them to make changes.")
        _require_role(by, state.assessment.organisation, [Role.DIRECTOR, Role.CHAIR], "change scores")
        raise StaleVersion("This answer was changed elsewhere a moment ago. The saved answer is shown.", current)
    for name, value in values.items():
        setattr(answer, name, value)
    answer.version = data.version + 1
    _record(
        assessment,
        by=by,
        action="changed",
        subject="Answer",
        obj=answer,
        line=answer.line,
        respondent=respondent,
        changes=changes,
    )
    return answer


@transaction.atomic
def submit_response(respondent: Respondent, *, by) -> Respondent:
    """A director submits their scores; every line needs a level or "don't know"."""
    # Lock the assessment first (as the transitions do), so that a submission cannot
    # land after "start moderation" read the submissions.
    Assessment.objects.select_for_update().get(pk=respondent.assessment_id)
    respondent = Respondent.objects.select_for_update().select_related("assessment").get(pk=respondent.pk)
    if respondent.user_id != by.pk:
        raise AssessmentError("You can submit only your own scores.")
    _require_role(by, respondent.assessment.organisation, [Role.DIRECTOR, Role.CHAIR], "submit scores")
    _require_status(respondent.assessment, Status.OPEN, doing="submit your scores")
    if respondent.removed_at is not None:
        raise AssessmentError("You are no longer a respondent to this assessment.")
    if respondent.submitted_at is not None:
        raise AssessmentError("You have already submitted your scores.")
    unanswered = respondent.answers.filter(level__isnull=True, dont_know=False).select_related("line")
    if unanswered:
        codes = ", ".join(a.line.code for a in unanswered[:8])
        count = len(unanswered)
        raise AssessmentError(
            f"{count} line{'s are' if count != 1 else ' is'} not answered yet ({codes}{' …' if count > 8 else ''}). "
            'Choose a level or "Don\'t know" for every line.'
        )
    respondent.submitted_at = timezone.now()
    respondent.save(update_fields=["submitted_at"])
    _record(respondent.assessment, by=by, action="submitted", subject="Response", obj=respondent, respondent=respondent)
    return respondent


@transaction.atomic
def reopen_response(respondent: Respondent, *, by) -> Respondent:
    """A director takes back their submission to change it, until moderation starts."""
    Assessment.objects.select_for_update().get(pk=respondent.assessment_id)
    respondent = Respondent.objects.select_for_update().select_related("assessment").get(pk=respondent.pk)
    if respondent.user_id != by.pk:
        raise AssessmentError("You can reopen only your own scores.")
    _require_role(by, respondent.assessment.organisation, [Role.DIRECTOR, Role.CHAIR], "reopen scores")
    _require_status(respondent.assessment, Status.OPEN, doing="reopen your scores")
    if respondent.submitted_at is None:
        raise AssessmentError("Your scores are not submitted, so there is nothing to reopen.")
    respondent.submitted_at = None
    respondent.save(update_fields=["submitted_at"])
    _record(respondent.assessment, by=by, action="reopened", subject="Response", obj=respondent, respondent=respondent)
    return respondent


# --- moderation -----------------------------------------------------------------


@dataclass(frozen=True)
class AgreedInput:
    level: int | None
    not_assessed: bool
    not_assessed_reason: str
    target_level: int | None
    target_date: datetime.date | None
    rationale: str
    version: int | None  # None when the person saw no agreed score yet


def _moderated_line(assessment: Assessment, line: Line) -> None:
    if not assessment.includes_line(line):
        raise AssessmentError(f"Line {line.code} is not part of this assessment.")


@transaction.atomic
def record_agreed_score(assessment: Assessment, line: Line, data: AgreedInput, *, by) -> AgreedScore:
    """The board's agreed score for a line, during moderation (secretary or chair)."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _require_role(by, assessment, [Role.SECRETARY, Role.CHAIR], "record agreed scores")
    _require_status(assessment, Status.MODERATION, doing="record agreed scores")
    _moderated_line(assessment, line)
    if data.not_assessed:
        if not data.not_assessed_reason.strip():
            raise AssessmentError("Say why the line is not assessed.")
        level, target = None, None
    else:
        if data.level is None:
            raise AssessmentError("Choose the agreed level, or mark the line not assessed with a reason.")
        level, target = data.level, data.target_level
    _check_levels(line, level, target)
    if len(data.rationale) > MAX_COMMENT or len(data.not_assessed_reason) > MAX_COMMENT:
        raise AssessmentError(f"The rationale and reason are limited to {MAX_COMMENT:,} characters each.")
    values = {
        "level": level,
        "not_assessed": data.not_assessed,
        "not_assessed_reason": data.not_assessed_reason.strip() if data.not_assessed else "",
        "target_level": target,
        "target_date": data.target_date if target is not None else None,
        "rationale": data.rationale.strip(),
    }
    score = AgreedScore.objects.select_for_update().filter(assessment=assessment, line=line).first()
    if score is None:
        if data.version not in (None, 0):
            raise StaleVersion("This agreed score was removed elsewhere.", current=None)
        score = AgreedScore.objects.create(assessment=assessment, line=line, updated_by=by, version=1, **values)
        _record(
            assessment,
            by=by,
            action="created",
            subject="Agreed score",
            obj=score,
            line=line,
            changes={k: [None, _value(v)] for k, v in values.items() if v not in (None, "", False)},
        )
        return score
    if data.version != score.version:
        raise StaleVersion(
            "Someone else changed this agreed score after you opened it. Theirs is shown beside yours; "
            "copy yours back if you still want it.",
            current=score,
        )
    changes = _diff(score, values)
    if changes:
        for name, value in values.items():
            setattr(score, name, value)
        score.version += 1
        score.updated_by = by
        score.save()
        _record(assessment, by=by, action="changed", subject="Agreed score", obj=score, line=line, changes=changes)
    return score


@dataclass(frozen=True)
class EvidenceInput:
    title: str
    kind: str
    as_at: datetime.date
    url: str
    file: Any  # an UploadedFile already checked by the form (size and content), or None
    content_type: str = ""


@transaction.atomic
def add_evidence(assessment: Assessment, line: Line, data: EvidenceInput, *, by) -> Evidence:
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _require_role(by, assessment, [Role.SECRETARY, Role.CHAIR], "add evidence")
    _require_status(assessment, Status.OPEN, Status.MODERATION, doing="add evidence")
    _moderated_line(assessment, line)
    if not data.url and not data.file:
        raise AssessmentError("Give a link, a file, or both.")
    evidence = Evidence(
        assessment=assessment,
        line=line,
        title=data.title.strip(),
        kind=data.kind,
        as_at=data.as_at,
        url=data.url,
        added_by=by,
    )
    if data.file:
        evidence.original_name = data.file.name[:200]
        evidence.content_type = data.content_type
        evidence.size = data.file.size
        evidence.file.save(data.file.name, data.file, save=False)
    evidence.save()
    _record(
        assessment,
        by=by,
        action="added",
        subject="Evidence",
        obj=evidence,
        line=line,
        changes={
            "title": [None, evidence.title],
            "kind": [None, evidence.get_kind_display()],
            "link": [None, evidence.url or None],
            "file": [None, evidence.original_name or None],
        },
    )
    return evidence


@transaction.atomic
def remove_evidence(evidence: Evidence, *, by) -> None:
    assessment = Assessment.objects.select_for_update().get(pk=evidence.assessment_id)
    _require_role(by, assessment, [Role.SECRETARY, Role.CHAIR], "remove evidence")
    _require_status(assessment, Status.OPEN, Status.MODERATION, doing="remove evidence")
    _record(
        assessment,
        by=by,
        action="removed",
        subject="Evidence",
        obj=evidence,
        line=evidence.line,
        changes={"title": [evidence.title, None]},
    )
    stored = evidence.file.name if evidence.file else ""
    evidence.delete()
    if stored:
        # Delete the file only once the row is gone for good.
        storage = evidence.file.storage
        transaction.on_commit(lambda: storage.delete(stored))


@dataclass(frozen=True)
class ActionInput:
    line: Line | None
    section: Section | None
    description: str
    owner: str
    due_date: datetime.date | None
    status: str
    version: int | None = None


@transaction.atomic
def save_action(assessment: Assessment, data: ActionInput, *, by, action: Action | None = None) -> Action:
    """Create an action, or change one (with a version check)."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _require_role(by, assessment, [Role.SECRETARY, Role.CHAIR], "record actions")
    _require_status(assessment, Status.DRAFT, Status.OPEN, Status.MODERATION, doing="record actions")
    if data.line is None and data.section is None:
        raise AssessmentError("Choose the line or section the action is for.")
    if data.line is not None:
        _moderated_line(assessment, data.line)
    if data.section is not None and data.section.framework_id not in set(
        assessment.frameworks.values_list("pk", flat=True)
    ):
        raise AssessmentError(f"Section {data.section.code} is not part of this assessment.")
    if not data.description.strip() or not data.owner.strip():
        raise AssessmentError("An action needs a description and an owner.")
    if data.status not in Action.Status.values:
        raise AssessmentError("Choose a status from the list.")
    values = {
        "line": data.line,
        "section": data.section,
        "description": data.description.strip(),
        "owner": data.owner.strip(),
        "due_date": data.due_date,
        "status": data.status,
    }
    if action is None:
        action = Action.objects.create(assessment=assessment, created_by=by, version=1, **values)
        _record(
            assessment,
            by=by,
            action="created",
            subject="Action",
            obj=action,
            line=data.line,
            changes={k: [None, _value(v)] for k, v in values.items() if v not in (None, "")},
        )
        return action
    action = Action.objects.select_for_update().get(pk=action.pk, assessment=assessment)
    if data.version != action.version:
        raise StaleVersion("Someone else changed this action after you opened it. Their version is shown.", action)
    changes = _diff(action, values)
    if changes:
        for name, value in values.items():
            setattr(action, name, value)
        action.version += 1
        action.save()
        _record(assessment, by=by, action="changed", subject="Action", obj=action, line=action.line, changes=changes)
    return action
