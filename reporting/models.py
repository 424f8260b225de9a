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
