"""Writing what the reporting app writes about a sign-off: its sealed report, and a
sealing that failed (with who asked for it to be tried again)."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from assessments.models import Assessment, SignOffRecord
from reporting.access import may_retry_sealing
from reporting.models import SealedReport, SealingFailure
from reporting.selectors import PEER_MINIMUM, Report, build_report, canonical_json, fingerprint
from reporting.text import plain

if TYPE_CHECKING:
    from reporting.pdf import RenderedPdf

logger = logging.getLogger(__name__)


class ReportError(Exception):
    pass


class SealingRefused(ReportError):
    """Trying a sealing again is refused; the message says why, in plain words."""


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


def _require_in_force(assessment: Assessment, record: SignOffRecord) -> None:
    latest = assessment.latest_sign_off()
    if (
        record.kind != SignOffRecord.Kind.SIGNED_OFF
        or assessment.status != Assessment.Status.SIGNED_OFF
        or latest is None
        or latest.pk != record.pk
    ):
        raise ReportError("Only the sign-off in force of a signed-off assessment is sealed.")


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
    _require_in_force(assessment, record)

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


# --- A sealing that failed ---------------------------------------------------------


def record_sealing_failure(sign_off_id: int, *, attempts: int, error: BaseException | str) -> SealingFailure:
    """The task's last attempt failed: keep that for the report page (the exception's class,
    or its dotted path, only; its message and traceback are in the log)."""
    if not isinstance(error, str):
        error = f"{type(error).__module__}.{type(error).__qualname__}"
    values = {
        "attempts": attempts,
        "error": error[:200],
        "failed_at": timezone.now(),
    }
    try:
        with transaction.atomic():
            return SealingFailure.objects.create(sign_off_id=sign_off_id, **values)
    except IntegrityError:
        # Already failed, and nobody has asked again since (a sealing queued twice): the
        # open failure is the latest.
        failure = SealingFailure.objects.get(sign_off_id=sign_off_id, retried_at__isnull=True)
        SealingFailure.objects.filter(pk=failure.pk).update(**values)
        failure.refresh_from_db()
        return failure


def sealing_failure(record: SignOffRecord) -> SealingFailure | None:
    """The sign-off's failed sealing that nobody has asked to try again yet, if there is
    one (the caller checks first that it is not sealed: a sealed report supersedes it)."""
    return SealingFailure.objects.filter(sign_off=record, retried_at__isnull=True).first()


def retry_sealing(record: SignOffRecord, *, by) -> SealingFailure:
    """Queue the sealing of a sign-off whose sealing failed again, for the worker (which
    tries it twice, as at sign-off).

    For the secretary and chair of the organisation only, checked here whoever calls
    (PermissionDenied). Refused with SealingRefused when the sign-off is already sealed,
    is not the one in force, or its sealing has not failed (it is still being prepared,
    or someone has already asked). Who asked and when is written on the failure, once:
    two people asking at the same moment queue one sealing. The task is queued after the
    commit, so the worker finds the request recorded."""
    assessment = Assessment.objects.select_related("organisation").get(pk=record.assessment_id)
    if not may_retry_sealing(by, assessment.organisation_id):
        raise PermissionDenied("Only the organisation's secretary or chair can ask for the PDF to be made again.")
    try:
        _require_in_force(assessment, record)
    except ReportError as exc:
        raise SealingRefused("That sign-off is no longer the one in force: there is nothing to make again.") from exc
    if SealedReport.objects.filter(sign_off=record).exists():
        raise SealingRefused("The signed-off PDF has been made: download it from the report.")
    failure = sealing_failure(record)
    if failure is None:
        raise SealingRefused("The signed-off PDF is being made; there is nothing to try again.")

    from reporting.tasks import seal_report

    with transaction.atomic():
        claimed = SealingFailure.objects.filter(pk=failure.pk, retried_at__isnull=True).update(
            retried_by=by, retried_at=timezone.now()
        )
        if not claimed:
            raise SealingRefused("Someone has just asked for the signed-off PDF to be made again.")
        transaction.on_commit(lambda: seal_report.enqueue(record.pk))
    logger.info("Sealing of sign-off %s queued again at the request of user %s.", record.pk, by.pk)
    failure.refresh_from_db()
    return failure
