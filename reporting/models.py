"""The reporting app's own tables: the report sealed at each sign-off (and a sealing that
failed), the comparison's summary rows, and PDFs made on request."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from assessments.models import AppendOnly, Assessment, SignOffRecord


def sealed_report_path(instance: SealedReport, filename: str) -> str:
    return f"reports/{instance.assessment_id}/{filename}"


class SealedReport(AppendOnly):
    """The final PDF of one sign-off, rendered once after it committed and served from
    storage from then on. Append-only: reopening and signing off again seals a new one
    with the next number; the old ones stay, as printed board packs do.

    Two fingerprints: `data_sha256`, of the canonical JSON of every figure the report
    prints (printed on every page, so a paper copy can be traced to its sign-off), and
    `pdf_sha256`, of the file itself (shown on the web page, to check a download)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="+")
    sign_off = models.OneToOneField(SignOffRecord, on_delete=models.CASCADE, related_name="sealed_report")
    pdf = models.FileField(upload_to=sealed_report_path, max_length=300)
    pdf_sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveIntegerField()
    pages = models.PositiveIntegerField()
    data = models.JSONField()
    data_sha256 = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["assessment", "sign_off__sequence"]

    def __str__(self) -> str:
        return f"Sealed report #{self.sign_off.sequence} of {self.assessment}"

    @property
    def number(self) -> int:
        return self.sign_off.sequence


class SealingFailure(models.Model):
    """A sealing that failed on its last attempt (reporting/tasks.py), so that the report
    page can say so instead of "being prepared" for ever. One row per failed run: a
    secretary or chair asking for it to be tried again is recorded on the row
    (`retried_by`, `retried_at`, set once), and the next failure is a new row, so at most
    one is open (not yet tried again) at a time. A sealed report of the sign-off
    supersedes them all; they stay, as a record of what happened.

    Only the exception's class is kept, never its message (which could quote people's
    text) nor its traceback: those are in the log for the administrators."""

    sign_off = models.ForeignKey(SignOffRecord, on_delete=models.CASCADE, related_name="sealing_failures")
    attempts = models.PositiveSmallIntegerField()
    failed_at = models.DateTimeField(default=timezone.now)
    error = models.CharField(max_length=200)
    retried_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    retried_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sign_off", "pk"]
        constraints = [
            # At most one failure nobody has yet asked to try again: the report reads it in
            # the query that reads the sign-offs (reporting/selectors.py, `open_failure`).
            models.UniqueConstraint(
                fields=["sign_off"], condition=models.Q(retried_at__isnull=True), name="sealing_failure_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"Sealing of sign-off {self.sign_off_id} failed ({self.error}, {self.attempts} attempts)"

    @property
    def tried(self) -> str:
        """How many times it was tried, in words: "once", "twice", "3 times"."""
        return {1: "once", 2: "twice"}.get(self.attempts, f"{self.attempts} times")


class SectionFigure(models.Model):
    """One section's result in one signed-off assessment, for the ICS comparison.

    Written from the report's data when the assessment is signed off (the figures its
    sealed report prints), removed when it is reopened, and rebuilt by `manage.py
    rebuild_comparison`: comparisons read these rows, not the individual scores."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey("organisations.Organisation", on_delete=models.CASCADE, related_name="+")
    ics = models.ForeignKey("organisations.IntegratedCareSystem", on_delete=models.CASCADE, related_name="+")
    period_start_year = models.PositiveSmallIntegerField()
    organisation_type = models.CharField(max_length=20)
    framework = models.ForeignKey("frameworks.Framework", on_delete=models.CASCADE, related_name="+")
    section_code = models.CharField(max_length=20)
    maturity = models.DecimalField(max_digits=3, decimal_places=1, null=True)
    assessed = models.PositiveSmallIntegerField()
    lines = models.PositiveSmallIntegerField()
    # The ICS peers' spread as it stood at sign-off, which the signed-off report prints
    # for ever after: worked out again later, it would change as other trusts sign off
    # or reopen, and the difference would give a named trust's figures away.
    peers = models.PositiveSmallIntegerField(null=True)
    peer_lower_quartile = models.DecimalField(max_digits=3, decimal_places=1, null=True)
    peer_median = models.DecimalField(max_digits=3, decimal_places=1, null=True)
    peer_upper_quartile = models.DecimalField(max_digits=3, decimal_places=1, null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "framework", "section_code"], name="section_figure_unique"),
        ]
        indexes = [models.Index(fields=["ics", "framework", "period_start_year"])]

    def __str__(self) -> str:
        return f"{self.section_code} of assessment {self.assessment_id}: {self.maturity}"


class LineFigure(models.Model):
    """One line's agreed level and the spread of its submitted scores in one signed-off
    assessment (the spread empty where the report withholds it), for the comparison."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="+")
    ics = models.ForeignKey("organisations.IntegratedCareSystem", on_delete=models.CASCADE, related_name="+")
    period_start_year = models.PositiveSmallIntegerField()
    organisation_type = models.CharField(max_length=20)
    framework = models.ForeignKey("frameworks.Framework", on_delete=models.CASCADE, related_name="+")
    line_code = models.CharField(max_length=20)
    level = models.PositiveSmallIntegerField(null=True)
    spread = models.FloatField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "framework", "line_code"], name="line_figure_unique"),
        ]
        indexes = [models.Index(fields=["ics", "framework", "period_start_year"])]

    def __str__(self) -> str:
        return f"{self.line_code} of assessment {self.assessment_id}: {self.level}"


class PreparedPdf(models.Model):
    """A PDF made on request by the worker (a draft report, a director's own page, an ICS
    comparison): asked for, then fetched when ready. Kept for a short while so that a
    reload does not make it again; the person who asked is the only one who gets it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Being prepared"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    owner = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)
    # The SHA-256 of what was asked for (kind, arguments, the figures' fingerprint where
    # there is one), so the same request finds the same PDF and a changed one does not.
    key = models.CharField(max_length=64)
    arguments = models.JSONField()
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    pdf = models.FileField(upload_to="prepared/", max_length=300, blank=True)
    filename = models.CharField(max_length=200)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "kind", "key"])]

    def __str__(self) -> str:
        return f"{self.kind} PDF for user {self.owner_id}: {self.status}"
