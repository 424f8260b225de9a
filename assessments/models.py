"""The yearly assessment cycle: set-up, private scoring, moderation, sign-off, history.

Workflow rules live in assessments/services.py. Two invariants are enforced here and
in the database, below every view, form, admin page and service:

- A signed-off assessment is locked. Database triggers (assessments/triggers.py,
  installed by migrations) refuse any insert, update or delete of a signed-off
  assessment's respondents, answers, agreed scores, evidence, actions and frameworks,
  and any change to the assessment itself. Its status may move to "signed off" only
  when the latest SignOffRecord says "signed off", and away from it only when the
  latest says "reopened": so no sign-off or reopening happens without its record, even
  through a queryset `update()` or raw SQL. The models turn the database's refusal
  into AssessmentLocked. In Python, only `services.reopen_assessment` (staff, with a
  recorded reason) reopens, inside `unlocked()`.
- The history is append-only: an entry is written once and never changed or deleted
  (other than with its assessment, which the lock protects once signed off).
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, models
from django.db.models import Q
from django.utils import timezone

from assessments import triggers
from frameworks.models import Framework, Line, Section
from ics_governance.lib.nhs import OrganisationType
from organisations.models import IntegratedCareSystem, Organisation

MAX_COMMENT = 10_000
# The texts the database triggers raise.
LOCK_MESSAGE = triggers.MESSAGE
RECORD_MESSAGE = triggers.RECORD_MESSAGE

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
        if RECORD_MESSAGE in str(exc):
            raise AssessmentLocked(
                "An assessment is signed off or reopened only through its sign-off or reopening, "
                "which keeps a record of who, when and why."
            ) from exc
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
    def update(self, **kwargs):
        # The triggers refuse this too; here it is refused before reaching the database,
        # with the same message, unless the reopen service is at work.
        if "status" in kwargs and not _unlocked.get() and self.filter(status=Assessment.Status.SIGNED_OFF).exists():
            raise AssessmentLocked()
        return super().update(**kwargs)

    def visible_to(self, user) -> AssessmentQuerySet:
        """Assessments a person may see at all, the one statement of that rule (the access
        helpers and every list use it):

        - members other than observers: every assessment of their organisation;
        - observers: their organisation's signed-off assessments;
        - consultants: the signed-off assessments of the ICSs they are assigned to (the
          ICS the organisation belonged to at the start of the assessment's period).
        """
        from organisations.models import Membership

        if not user.is_authenticated:
            return self.none()
        signed_off = Q(status=Assessment.Status.SIGNED_OFF)
        member_of = Membership.objects.filter(user=user).exclude(role=Membership.Role.OBSERVER)
        observer_of = Membership.objects.filter(user=user, role=Membership.Role.OBSERVER)
        return self.filter(
            Q(organisation__in=member_of.values("organisation"))
            | (signed_off & Q(organisation__in=observer_of.values("organisation")))
            | (signed_off & Q(ics__in=user.consultant_assignments.values("ics")))
        )


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
    # The organisation's type when the assessment was set up (refreshed when it opens):
    # it decides which lines apply, so a later change of type leaves this year's lines alone.
    organisation_type = models.CharField(max_length=20, choices=OrganisationType)
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
        """The lines the assessment scores, in page order: the lines of its frameworks
        that apply to its organisation type. Every page, service and report takes its
        lines from here (one query)."""
        lines = (
            Line.objects.filter(framework__assessments=self)
            .select_related("section__framework__scale", "framework__scale")
            .order_by("framework__title", "section__order", "order")
        )
        return [line for line in lines if line.applies_to(self.organisation_type)]

    def includes_line(self, line: Line, *, framework_ids: set[int] | None = None) -> bool:
        """Whether a line is part of this assessment. Pass `framework_ids` to save a query."""
        if not line.applies_to(self.organisation_type):
            return False
        if framework_ids is None:
            return self.frameworks.filter(pk=line.framework_id).exists() if line.framework_id else False
        return line.framework_id in framework_ids

    def latest_sign_off(self) -> SignOffRecord | None:
        return self.sign_off_records.order_by("-sequence").first()


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


class AgreedScoreQuerySet(LockedQuerySet):
    def without_expected_evidence(self) -> AgreedScoreQuerySet:
        """Agreed scores at or above their scale's evidence level with no evidence for
        their line: the one statement of the rule, flagged wherever agreed scores appear
        (overview, moderation, sign-off confirmation, report)."""
        evidence = Evidence.objects.filter(assessment=models.OuterRef("assessment"), line=models.OuterRef("line"))
        return self.filter(level__gte=models.F("line__framework__scale__evidence_from_level")).exclude(
            models.Exists(evidence)
        )


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

    objects = AgreedScoreQuerySet.as_manager()

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

    @property
    def expects_evidence(self) -> bool:
        """The level is at or above the scale's evidence level: the rule for one loaded
        row. `AgreedScoreQuerySet.without_expected_evidence` is the same rule in SQL, and
        a test holds the two together."""
        return self.level is not None and self.level >= self.line.framework.scale.evidence_from_level


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


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("This record is append-only.")

    def delete(self):
        raise PermissionError("This record is append-only.")


class AppendOnly(models.Model):
    """A row written once and never changed or deleted (other than with its assessment,
    which the lock protects once signed off)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError(f"{self._meta.verbose_name_plural.capitalize()} are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(f"{self._meta.verbose_name_plural.capitalize()} are append-only.")


class SignOffRecord(AppendOnly):
    """One sign-off or one reopening of an assessment, numbered in order. Append-only:
    reopening adds a record and never erases who signed off before. The database lets
    the assessment's status move to or from "signed off" only when its latest record
    says so (assessments/triggers.py). The sealed report hangs off the sign-off."""

    class Kind(models.TextChoices):
        SIGNED_OFF = "signed_off", "Signed off"
        REOPENED = "reopened", "Reopened"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="sign_off_records")
    sequence = models.PositiveIntegerField(help_text="1 for the first sign-off, then 2, 3 … in order.")
    kind = models.CharField(max_length=20, choices=Kind)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True, help_text="Why it was reopened (required for a reopening).")

    class Meta:
        ordering = ["assessment", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "sequence"], name="sign_off_record_sequence_unique"),
            models.CheckConstraint(
                condition=~Q(kind="reopened") | ~Q(reason=""), name="sign_off_record_reopening_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.sequence} of {self.assessment_id}"


class HistoryEntry(AppendOnly):
    """Who changed what in an assessment, when, from what, to what. Append-only."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="history")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=40)
    subject = models.CharField(max_length=40)
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    line_code = models.CharField(max_length=20, blank=True)
    # Set for entries about an individual's answers: kept for audit, shown only to that
    # director (assessments/history.py).
    respondent = models.ForeignKey(Respondent, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    changes = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["assessment", "at", "pk"]
        verbose_name_plural = "history entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.subject}"
