"""The yearly assessment cycle: set-up, private scoring, moderation, sign-off, history.

Workflow rules live in assessments/services.py. Two invariants are enforced here and
in the database, below every view, form, admin page and service:

- A signed-off assessment is locked. Database triggers (migration 0002) refuse any
  insert, update or delete of a signed-off assessment's respondents, answers, agreed
  scores, evidence, actions and frameworks, and any change to the assessment itself
  other than moving its status away from "signed off". The models turn the
  database's refusal into AssessmentLocked. In Python, only
  `services.reopen_assessment` (staff, with a recorded reason) may make that status
  change, inside `unlocked()`.
- The history is append-only: an entry is written once and never changed or deleted
  (other than with its assessment, which the lock protects once signed off).
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, models
from django.db.models import Q

from frameworks.models import Framework, Line, Section
from organisations.models import IntegratedCareSystem, Organisation

MAX_COMMENT = 10_000
# The text the database triggers raise; see migration 0002_lock_triggers.
LOCK_MESSAGE = "assessment is signed off and locked"

_unlocked = contextvars.ContextVar("assessment_unlocked", default=False)


class AssessmentLocked(Exception):
    """A change was attempted to a signed-off assessment."""

    def __init__(self, message: str = "This assessment is signed off and locked: nothing in it can change."):
        super().__init__(message)


@contextmanager
def unlocked():
    """Allow a signed-off assessment's status to change. Only the staff reopen service uses this."""
    token = _unlocked.set(True)
    try:
        yield
    finally:
        _unlocked.reset(token)


@contextmanager
def _lock_errors():
    """Turn the database triggers' refusal into AssessmentLocked."""
    try:
        yield
    except DatabaseError as exc:
        if LOCK_MESSAGE in str(exc):
            raise AssessmentLocked() from exc
        raise


class LockedQuerySet(models.QuerySet):
    def update(self, **kwargs):
        with _lock_errors():
            return super().update(**kwargs)

    def delete(self):
        with _lock_errors():
            return super().delete()

    def bulk_create(self, *args, **kwargs):
        with _lock_errors():
            return super().bulk_create(*args, **kwargs)


class AssessmentPart(models.Model):
    """Base for everything that belongs to an assessment and is frozen with it."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        with _lock_errors():
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        with _lock_errors():
            return super().delete(*args, **kwargs)


class AssessmentQuerySet(LockedQuerySet):
    def visible_to(self, user) -> AssessmentQuerySet:
        """Assessments a person may see at all: every assessment of an organisation they
        are a member of, and the signed-off assessments of organisations in an ICS they
        are a consultant for (the ICS the assessment belongs to)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(
            Q(organisation__memberships__user=user)
            | Q(status=Assessment.Status.SIGNED_OFF, ics__consultant_assignments__user=user)
        ).distinct()


class Assessment(models.Model):
    """One organisation's self-assessment for one period (e.g. 2026/27)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open for scoring"
        MODERATION = "moderation", "Moderation"
        SIGNED_OFF = "signed_off", "Signed off"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="assessments")
    # The ICS configuration in force at the start of the period (1 April), kept so
    # that comparisons use the system the organisation belonged to that year.
    ics = models.ForeignKey(
        IntegratedCareSystem, on_delete=models.PROTECT, null=True, blank=True, related_name="assessments"
    )
    period_start_year = models.PositiveSmallIntegerField(help_text="2026 for the period 2026/27.")
    title = models.CharField(max_length=200)
    frameworks = models.ManyToManyField(Framework, related_name="assessments")
    deadline = models.DateField(help_text="The date by which directors should submit their scores.")
    anonymous = models.BooleanField(
        default=True, help_text="Show individual comments to the board without names (scores are never named)."
    )
    status = models.CharField(max_length=20, choices=Status, default=Status.DRAFT)
    previous = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", help_text="Last year's assessment."
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["organisation", "-period_start_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "period_start_year"], name="assessment_one_per_organisation_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.organisation.ods_code} {self.period_label})"

    def save(self, *args, **kwargs):
        # The database allows a signed-off assessment's status to change (that is how
        # reopening works); here only the reopen service may do it.
        if self.pk is not None and not _unlocked.get():
            if Assessment.objects.filter(pk=self.pk, status=self.Status.SIGNED_OFF).exists():
                raise AssessmentLocked()
        with _lock_errors():
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        with _lock_errors():
            return super().delete(*args, **kwargs)

    @property
    def period_label(self) -> str:
        return f"{self.period_start_year}/{(self.period_start_year + 1) % 100:02d}"

    @property
    def is_locked(self) -> bool:
        return self.status == self.Status.SIGNED_OFF

    def included_lines(self) -> list[Line]:
        """The lines of its frameworks that apply to the organisation's type, in order."""
        lines = (
            Line.objects.filter(framework__in=self.frameworks.all())
            .select_related("section", "framework")
            .order_by("framework__slug", "section__order", "order")
        )
        return [line for line in lines if line.applies_to(self.organisation.type)]

    def includes_line(self, line: Line) -> bool:
        return line.applies_to(self.organisation.type) and self.frameworks.filter(pk=line.framework_id).exists()


class RespondentQuerySet(LockedQuerySet):
    def active(self) -> RespondentQuerySet:
        return self.filter(removed_at__isnull=True)


class Respondent(AssessmentPart):
    """A director invited to score. Executive or non-executive as at the invitation."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="respondents")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="responses")
    is_executive = models.BooleanField()
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    invited_at = models.DateTimeField(auto_now_add=True)
    invitation_sent_at = models.DateTimeField(null=True, blank=True)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Removing keeps the answers (nothing lost) but leaves them out of every figure.
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = RespondentQuerySet.as_manager()

    class Meta:
        ordering = ["assessment", "invited_at"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "user"], name="respondent_once_per_assessment"),
        ]

    def __str__(self) -> str:
        return f"{self.user} for {self.assessment}"

    @property
    def kind_label(self) -> str:
        return "Executive" if self.is_executive else "Non-executive"


class Answer(AssessmentPart):
    """One director's private score for one line. Never shown with their name to others."""

    respondent = models.ForeignKey(Respondent, on_delete=models.CASCADE, related_name="answers")
    line = models.ForeignKey(Line, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(null=True, blank=True)
    dont_know = models.BooleanField("don't know", default=False)
    target_level = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    # Optimistic concurrency: a save must name the version it started from.
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LockedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["respondent", "line"], name="answer_once_per_line"),
            models.CheckConstraint(condition=Q(level__isnull=True) | Q(level__gte=1), name="answer_level_positive"),
            models.CheckConstraint(
                condition=~(Q(dont_know=True) & Q(level__isnull=False)), name="answer_dont_know_has_no_level"
            ),
            models.CheckConstraint(
                condition=Q(target_level__isnull=True) | Q(level__isnull=True) | Q(target_level__gte=models.F("level")),
                name="answer_target_not_below_level",
            ),
        ]

    def __str__(self) -> str:
        return f"answer to {self.line_id} by respondent {self.respondent_id}"

    @property
    def is_answered(self) -> bool:
        return self.dont_know or self.level is not None


class AgreedScore(AssessmentPart):
    """The board's moderated score for a line: the official result."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="agreed_scores")
    line = models.ForeignKey(Line, on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(null=True, blank=True)
    not_assessed = models.BooleanField(default=False)
    not_assessed_reason = models.TextField(blank=True)
    target_level = models.PositiveSmallIntegerField(null=True, blank=True)
    target_date = models.DateField(null=True, blank=True)
    rationale = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=0)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    objects = LockedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "line"], name="agreed_score_once_per_line"),
            models.CheckConstraint(condition=Q(level__isnull=True) | Q(level__gte=1), name="agreed_level_positive"),
            models.CheckConstraint(
                condition=(Q(not_assessed=True) & Q(level__isnull=True))
                | (Q(not_assessed=False) & Q(level__isnull=False)),
                name="agreed_score_level_or_not_assessed",
            ),
            models.CheckConstraint(
                condition=Q(target_level__isnull=True) | Q(level__isnull=True) | Q(target_level__gte=models.F("level")),
                name="agreed_target_not_below_level",
            ),
        ]

    def __str__(self) -> str:
        return f"agreed score for {self.line_id} in assessment {self.assessment_id}"


def evidence_upload_path(instance: Evidence, filename: str) -> str:
    # The stored name is ours, not the uploader's: no path tricks, no clashes.
    import uuid
    from pathlib import PurePath

    suffix = PurePath(filename).suffix.lower()[:10]
    return f"evidence/{instance.assessment_id}/{uuid.uuid4().hex}{suffix}"


class Evidence(AssessmentPart):
    """A document, link or record behind an agreed score."""

    class Kind(models.TextChoices):
        BOARD_PAPER = "board-paper", "Board paper"
        POLICY = "policy", "Policy"
        AUDIT_REPORT = "audit-report", "Audit report"
        MINUTES = "minutes", "Minutes"
        SURVEY = "survey", "Survey results"
        DATA = "data", "Data or dashboard"
        EXTERNAL_REVIEW = "external-review", "External review"
        OTHER = "other", "Other"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="evidence")
    line = models.ForeignKey(Line, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind)
    as_at = models.DateField("as at")
    url = models.URLField("link", max_length=500, blank=True)
    file = models.FileField(upload_to=evidence_upload_path, blank=True, max_length=300)
    original_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    objects = LockedQuerySet.as_manager()

    class Meta:
        ordering = ["line", "as_at", "title"]
        verbose_name_plural = "evidence"
        constraints = [
            models.CheckConstraint(condition=~Q(url="") | ~Q(file=""), name="evidence_has_link_or_file"),
        ]

    def __str__(self) -> str:
        return self.title


class Action(AssessmentPart):
    """An improvement action for a line or a section; open ones carry into next year."""

    class Status(models.TextChoices):
        OPEN = "open", "Not started"
        IN_PROGRESS = "in-progress", "In progress"
        DONE = "done", "Done"
        DROPPED = "dropped", "Dropped"

    OPEN_STATUSES = (Status.OPEN, Status.IN_PROGRESS)

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="actions")
    line = models.ForeignKey(Line, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    section = models.ForeignKey(Section, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    description = models.TextField()
    owner = models.CharField(max_length=200)
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status, default=Status.OPEN)
    carried_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="carried_to"
    )
    version = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LockedQuerySet.as_manager()

    class Meta:
        ordering = ["assessment", "due_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(line__isnull=False) | Q(section__isnull=False), name="action_for_line_or_section"
            ),
        ]

    def __str__(self) -> str:
        return self.description[:60]

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class HistoryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The history is append-only.")

    def delete(self):
        raise PermissionError("The history is append-only.")


class HistoryEntry(models.Model):
    """Who changed what in an assessment, when, from what, to what. Append-only."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="history")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=40)
    subject = models.CharField(max_length=40)
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    line_code = models.CharField(max_length=20, blank=True)
    # Set for entries about an individual's answers, so that the history page can
    # hide who it was when the assessment is anonymous.
    respondent = models.ForeignKey(Respondent, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    changes = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)

    objects = HistoryQuerySet.as_manager()

    class Meta:
        ordering = ["assessment", "at", "pk"]
        verbose_name_plural = "history entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.subject}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("The history is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The history is append-only.")
