"""PDFs made on request (a draft report, a director's own page, an ICS comparison): by
the worker where there is one (TASK_BACKEND=database), never in a web request; at once
otherwise. Each kind is one function from (person, arguments) to a rendered PDF, which
checks the person's access again: the worker acts for them, later."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from reporting.models import PreparedPdf

logger = logging.getLogger(__name__)

# A PDF asked for again within this time (and unchanged: the key holds the figures'
# fingerprint) is the one already made.
FRESH_FOR = timezone.timedelta(minutes=10)


@dataclass(frozen=True)
class Made:
    content: bytes
    filename: str


def _draft(user, arguments: dict) -> Made:
    from reporting.access import get_report_access
    from reporting.selectors import build_report
    from reporting.services import render_report_pdf

    assessment = get_report_access(user, arguments["ods_code"], arguments["year"]).assessment
    pdf = render_report_pdf(build_report(assessment))
    return Made(pdf.content, arguments["filename"])


def _mine(user, arguments: dict) -> Made:
    from reporting.access import get_own_respondent
    from reporting.selectors import build_report, furthest_from_board, own_scores
    from reporting.services import render_report_pdf

    respondent = get_own_respondent(user, arguments["ods_code"], arguments["year"])
    report = build_report(respondent.assessment)
    own = own_scores(report, respondent)
    context = {
        "assessment": respondent.assessment,
        "organisation": respondent.assessment.organisation,
        "respondent": respondent,
        "own": own,
        "furthest": furthest_from_board(own),
    }
    pdf = render_report_pdf(report, "reporting/mine_print.html", **context)
    return Made(pdf.content, arguments["filename"])


def _comparison(user, arguments: dict) -> Made:
    from reporting.comparison import get_comparable_ics, ics_comparison
    from reporting.pdf import render_pdf

    ics = get_comparable_ics(user, arguments["ods_code"])
    data = ics_comparison(
        ics,
        framework_id=arguments["framework_id"],
        period=arguments["period"],
        types=arguments["types"],
        sort=arguments["sort"],
        descending=arguments["descending"],
    )
    pdf = render_pdf(render_to_string("reporting/comparison_print.html", {"comparison": data, "ics": ics}))
    return Made(pdf.content, arguments["filename"])


MAKERS: dict[str, Callable[..., Made]] = {"draft": _draft, "mine": _mine, "comparison": _comparison}


def make_now(user, kind: str, arguments: dict) -> Made:
    return MAKERS[kind](user, arguments)


def request_pdf(user, kind: str, arguments: dict, *, version: str = "", retry: bool = False) -> PreparedPdf:
    """The PDF of this request: the one being prepared, made or failed a moment ago, or a
    new one queued for the worker (after the commit); `retry` replaces a failed one.
    `version` is what makes the content differ (the figures' fingerprint): a change
    means a new PDF."""
    key = hashlib.sha256(
        json.dumps({"kind": kind, "arguments": arguments, "version": version}, sort_keys=True).encode()
    ).hexdigest()
    existing = (
        PreparedPdf.objects.filter(owner=user, kind=kind, key=key, created_at__gte=timezone.now() - FRESH_FOR)
        .order_by("-pk")
        .first()
    )
    if existing is not None and not (retry and existing.status == PreparedPdf.Status.FAILED):
        return existing
    prepared = PreparedPdf.objects.create(
        owner=user, kind=kind, key=key, arguments=arguments, filename=arguments["filename"]
    )
    from reporting.tasks import prepare_pdf

    transaction.on_commit(lambda: prepare_pdf.enqueue(prepared.pk))
    return prepared


def prepare(prepared_id: int) -> None:
    """The worker's part: make the PDF for the person who asked, if they still may."""
    prepared = PreparedPdf.objects.select_related("owner").get(pk=prepared_id)
    if prepared.status != PreparedPdf.Status.PENDING:
        return
    try:
        made = make_now(prepared.owner, prepared.kind, prepared.arguments)
    except Exception as exc:
        logger.exception("Prepared PDF %s (%s) failed.", prepared.pk, prepared.kind)
        PreparedPdf.objects.filter(pk=prepared.pk).update(status=PreparedPdf.Status.FAILED, error=str(exc)[:500])
        return
    prepared.pdf.save(f"{prepared.pk}-{prepared.key[:12]}.pdf", ContentFile(made.content), save=False)
    prepared.status = PreparedPdf.Status.READY
    prepared.save(update_fields=["pdf", "status"])
