"""The only table the reporting app writes: the report sealed at each sign-off."""

from __future__ import annotations

from django.db import models

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
