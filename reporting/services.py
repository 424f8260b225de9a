"""Writing the one thing the reporting app writes: the sealed report of a sign-off."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from assessments.models import Assessment, SignOffRecord
from reporting.models import SealedReport
from reporting.selectors import PEER_MINIMUM, Report, build_report, canonical_json, fingerprint
from reporting.text import plain

if TYPE_CHECKING:
    from reporting.pdf import RenderedPdf

logger = logging.getLogger(__name__)


class ReportError(Exception):
    pass


def stamp_text(report: Report) -> str:
    """The line every page of the PDF carries: the sign-off, or that it is a draft."""
    a = report.assessment
    where = f"{plain(report.organisation_name)} ({a.organisation.ods_code}), {a.period_label}"
    if report.sign_off is None:
        return f"DRAFT, not signed off: {where}"
    by = plain(report.sign_off.by.get_full_name() or report.sign_off.by.username)
    return f"Signed off by {by}, chair, {report.sign_off.at:%d %B %Y}, sign-off {report.sign_off.sequence}: {where}"


def report_context(report: Report) -> dict:
    return {
        "report": report,
        "data_sha256": report.data_sha256(),
        "stamp": stamp_text(report),
        "peer_minimum": PEER_MINIMUM,
    }


def render_report_pdf(report: Report, template: str = "reporting/report_print.html", **extra) -> RenderedPdf:
    """Imported here, not at the top: serving pages must not need WeasyPrint's system
    libraries (tests/test_dependencies.py)."""
    from reporting.pdf import render_pdf

    return render_pdf(render_to_string(template, {**report_context(report), **extra}))


def seal(record: SignOffRecord) -> SealedReport:
    """Render the final PDF of a sign-off once and store it with both fingerprints.

    Idempotent: a sign-off already sealed returns its report. Refused for anything but
    the sign-off in force of a signed-off assessment. The file is written only after the
    PDF rendered, and removed again if the row cannot be stored, so a failure leaves no
    half-written report behind (RenderError or ReportError tell the caller)."""
    existing = SealedReport.objects.filter(sign_off=record).select_related("sign_off").first()
    if existing is not None:
        return existing
    assessment = Assessment.objects.select_related("organisation", "ics", "previous").get(pk=record.assessment_id)
    latest = assessment.latest_sign_off()
    if (
        record.kind != SignOffRecord.Kind.SIGNED_OFF
        or assessment.status != Assessment.Status.SIGNED_OFF
        or latest is None
        or latest.pk != record.pk
    ):
        raise ReportError("Only the sign-off in force of a signed-off assessment is sealed.")

    report = build_report(assessment)
    data = json.loads(canonical_json(report.data()))
    pdf = render_report_pdf(report)
    pdf_sha256 = hashlib.sha256(pdf.content).hexdigest()
    sealed = SealedReport(
        assessment=assessment,
        sign_off=record,
        pdf_sha256=pdf_sha256,
        size=len(pdf.content),
        pages=pdf.pages,
        data=data,
        data_sha256=fingerprint(data),
    )
    sealed.pdf.save(f"{record.sequence}-{pdf_sha256[:16]}.pdf", ContentFile(pdf.content), save=False)
    try:
        with transaction.atomic():
            sealed.save()
    except IntegrityError:
        # Sealed at the same moment by someone else (the task and a first download):
        # keep theirs, remove our copy.
        sealed.pdf.delete(save=False)
        return SealedReport.objects.select_related("sign_off").get(sign_off=record)
    except BaseException:
        sealed.pdf.delete(save=False)
        raise
    logger.info("Sealed report %s for sign-off %s (%s pages).", sealed.pk, record.pk, pdf.pages)
    return sealed
