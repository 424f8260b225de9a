"""The maturity report's pages, its PDF and exports, a director's own page, and the
check of a printed report. Access: reporting/access.py."""

from __future__ import annotations

import json
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST

from assessments.access import MANAGERS, SCORERS, get_assessment_for_user
from assessments.models import Assessment
from operations.views import runs_on_worker
from reporting import exports
from reporting.access import get_own_respondent, get_report_access, reports_visible_to
from reporting.comparison import (
    COMPARED_TYPES,
    get_comparable_ics,
    ics_comparison,
    ics_trend,
    national,
    national_choices,
)
from reporting.models import PreparedPdf, SealedReport
from reporting.prepared import make_now, request_pdf
from reporting.selectors import build_report, furthest_from_board, own_scores
from reporting.services import ReportError, SealingRefused, report_context, retry_sealing, seal, sealing_failure

HASH_RE = re.compile(r"^[0-9a-f]{64}$")


def _filename(assessment, suffix: str) -> str:
    return slugify(f"maturity report {assessment.organisation.ods_code} {assessment.period_label}") + suffix


@require_GET
def report(request: HttpRequest, ods_code: str, year: int) -> HttpResponse:
    access = get_report_access(request.user, ods_code, year)
    assessment = access.assessment
    built = build_report(assessment)
    current = built.sealed
    context = {
        **report_context(built),
        "assessment": assessment,
        "organisation": assessment.organisation,
        "sealed": current,
        "earlier_sealed": [s for s in built.sealed_reports if s is not current],
        # Directors and the chair score; whether this one did is the own page's business
        # (a 404 there), which keeps the report page within its query budget.
        "own_page": built.sign_off is not None and access.role in SCORERS,
        # A sealing that failed on its last attempt, said to all, with "Try again" for
        # those who may ask (reporting/access.py).
        "sealing_failure": built.sealing_failure,
        "seal_again_url": _seal_again_url(assessment) if access.is_manager else "",
        "on_worker": runs_on_worker(),
    }
    return render(request, "reporting/report.html", context)


@require_GET
def report_pdf(request: HttpRequest, ods_code: str, year: int) -> HttpResponse:
    """The sealed PDF of the sign-off in force (sealed now if the task did not), or, before
    sign-off, a draft rendered on request and never stored."""
    access = get_report_access(request.user, ods_code, year)
    assessment = access.assessment
    record = assessment.latest_sign_off() if assessment.status == assessment.Status.SIGNED_OFF else None
    if record is not None:
        sealed = SealedReport.objects.filter(sign_off=record).select_related("sign_off", "assessment").first()
        if sealed is None and runs_on_worker():
            # The sign-off queued the sealing for the worker: never render in a request.
            # If its last attempt failed, say so (no waiting for ever) and offer to try again.
            what = f"The signed-off report of {assessment.organisation.name} for {assessment.period_label}"
            return _preparing(
                request,
                what=what,
                back_url=_report_url(assessment),
                sealed=True,
                failure=sealing_failure(record),
                retry_url=_seal_again_url(assessment) if access.is_manager else "",
            )
        if sealed is None:
            try:
                sealed = seal(record)
            except ReportError as exc:
                raise Http404(str(exc)) from exc
        # This address serves whichever sign-off is in force, which a reopening changes.
        return _sealed_response(sealed, cache="private, no-cache")
    arguments = {"ods_code": ods_code, "year": year, "filename": _filename(assessment, "-draft.pdf")}
    version = build_report(assessment).data_sha256() if runs_on_worker() else ""
    return _pdf(request, "draft", arguments, version=version, what="The draft report", back=_report_url(assessment))


@require_GET
def sealed_pdf(request: HttpRequest, ods_code: str, year: int, number: int) -> HttpResponse:
    """An earlier sealed report of an assessment that was reopened and signed off again."""
    assessment = get_report_access(request.user, ods_code, year).assessment
    sealed = (
        SealedReport.objects.filter(assessment=assessment, sign_off__sequence=number).select_related("sign_off").first()
    )
    if sealed is None:
        raise Http404("No sealed report with that number.")
    return _sealed_response(sealed)


@require_POST
def seal_again(request: HttpRequest, ods_code: str, year: int) -> HttpResponse:
    """The signed-off PDF's "Try again", after its sealing failed: queue it for the worker
    once more. The secretary and chair only (checked here and again by the service); back
    to the page it was asked from (the report, or the PDF's waiting page)."""
    assessment = get_assessment_for_user(request.user, ods_code, year, roles=MANAGERS).assessment
    record = assessment.latest_sign_off() if assessment.status == Assessment.Status.SIGNED_OFF else None
    if record is None:
        messages.error(request, "The assessment is not signed off: there is no signed-off PDF to make.")
    else:
        try:
            retry_sealing(record, by=request.user)
        except SealingRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "The signed-off PDF is being made again by the background worker.")
    if request.POST.get("then") == "pdf":
        return redirect("reporting:pdf", ods_code=assessment.organisation.ods_code, year=assessment.period_start_year)
    return redirect(_report_url(assessment))


def _report_url(assessment) -> str:
    return reverse("reporting:report", args=[assessment.organisation.ods_code, assessment.period_start_year])


def _seal_again_url(assessment) -> str:
    return reverse("reporting:seal-again", args=[assessment.organisation.ods_code, assessment.period_start_year])


def _pdf(request: HttpRequest, kind: str, arguments: dict, *, version: str, what: str, back: str) -> HttpResponse:
    """A PDF made on request: by the worker where there is one (a page that waits for
    it), at once otherwise."""
    if not runs_on_worker():
        made = make_now(request.user, kind, arguments)
        return _download(made.content, made.filename)
    prepared = request_pdf(request.user, kind, arguments, version=version, retry=request.GET.get("again") == "1")
    if prepared.status == PreparedPdf.Status.READY:
        with prepared.pdf.open("rb") as file:
            return _download(file.read(), prepared.filename)
    failed = prepared.status == PreparedPdf.Status.FAILED
    kept = request.GET.copy()
    kept["again"] = "1"
    retry = request.path + "?" + kept.urlencode()
    return _preparing(request, what=what, back_url=back, failed=failed, retry_url=retry)


def _download(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _preparing(
    request: HttpRequest, *, what: str, back_url: str, sealed=False, failed=False, retry_url="", failure=None
) -> HttpResponse:
    """202 while the worker makes it; 200 with the failure and "Try again" if it failed: a
    PDF made on request is asked for again with a link (`retry_url`, its owner's), a
    sealed one with a POST (`failure` is the failed sealing, `retry_url` the form's
    address for those who may ask, else empty).

    While it waits, the page does not refresh itself (a timed refresh fails WCAG 2.2.1):
    static/js/app.js asks `check_url` every 5 seconds and, once the answer is no longer
    202, opens it (the PDF downloads; a failure shows its page). Without JavaScript,
    "Check again" does the same. `check_url` never asks for a retry (no `again=1`)."""
    failed = failed or failure is not None
    kept = request.GET.copy()
    kept.pop("again", None)
    context = {
        "check_url": request.path + ("?" + kept.urlencode() if kept else ""),
        "what": what,
        "back_url": back_url,
        "sealed": sealed,
        "failed": failed,
        "retry_url": retry_url,
        "failure": failure,
    }
    response = render(request, "reporting/preparing.html", context, status=200 if failed else 202)
    response["Cache-Control"] = "no-store"
    return response


def _sealed_response(sealed: SealedReport, *, cache: str = "private, max-age=86400, immutable") -> FileResponse:
    """A sealed file. At its numbered address it never changes, so the browser may keep
    it (privately: it is confidential); the ETag lets a browser revalidate otherwise."""
    name = _filename(sealed.assessment, f"-sign-off-{sealed.number}.pdf")
    response = FileResponse(sealed.pdf.open("rb"), content_type="application/pdf", as_attachment=True, filename=name)
    response["Cache-Control"] = cache
    response["ETag"] = f'"{sealed.pdf_sha256}"'
    return response


EXPORTS = {
    "scores.csv": "scores",
    "sections.csv": "sections",
    "actions.csv": "actions",
    "report.xlsx": None,
}


@require_GET
def export(request: HttpRequest, ods_code: str, year: int, name: str) -> HttpResponse:
    if name not in EXPORTS:
        raise Http404("No such export.")
    assessment = get_report_access(request.user, ods_code, year).assessment
    built = build_report(assessment)
    stem = _filename(assessment, "")
    if name == "report.xlsx":
        response = HttpResponse(
            exports.as_xlsx(built), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'
    else:
        header, rows = exports.TABLES[EXPORTS[name]](built)
        response = HttpResponse(exports.as_csv(header, rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{stem}-{name}"'
    response["Cache-Control"] = "no-store"
    return response


def _own_context(request: HttpRequest, ods_code: str, year: int) -> dict:
    respondent = get_own_respondent(request.user, ods_code, year)
    built = build_report(respondent.assessment)
    own = own_scores(built, respondent)
    return {
        **report_context(built),
        "assessment": respondent.assessment,
        "organisation": respondent.assessment.organisation,
        "respondent": respondent,
        "own": own,
        "furthest": furthest_from_board(own),
    }


@require_GET
def mine(request: HttpRequest, ods_code: str, year: int) -> HttpResponse:
    response = render(request, "reporting/mine.html", _own_context(request, ods_code, year))
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def mine_pdf(request: HttpRequest, ods_code: str, year: int) -> HttpResponse:
    respondent = get_own_respondent(request.user, ods_code, year)
    assessment = respondent.assessment
    arguments = {"ods_code": ods_code, "year": year, "filename": _filename(assessment, "-my-scores.pdf")}
    version = build_report(assessment).data_sha256() if runs_on_worker() else ""
    back = reverse("reporting:mine", args=[ods_code, year])
    return _pdf(request, "mine", arguments, version=version, what="Your scores beside the board's", back=back)


@login_required
@require_GET
def check(request: HttpRequest) -> HttpResponse:
    """Which signed-off report a fingerprint belongs to, among those the person may open."""
    raw = request.GET.get("fingerprint", "")
    given = re.sub(r"\s+", "", raw).lower()
    context = {"fingerprint": raw[:200], "checked": bool(raw), "error": "", "matches": []}
    if raw and not HASH_RE.match(given):
        context["error"] = "A fingerprint is 64 characters, the digits 0 to 9 and the letters a to f."
    elif raw:
        visible = reports_visible_to(request.user).values("pk")
        found = (
            SealedReport.objects.filter(assessment__in=visible)
            .filter(Q(data_sha256=given) | Q(pdf_sha256=given))
            .select_related("assessment__organisation", "sign_off__by")
            .order_by("pk")
        )
        context["matches"] = [(sealed, "figures" if sealed.data_sha256 == given else "file") for sealed in found]
    return render(request, "reporting/check.html", context)


# --- The ICS comparison --------------------------------------------------------------


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _sort_key(value: str) -> str:
    """A column to sort by: a name, "type", "overall" or a section code; else by name."""
    return value if re.fullmatch(r"[A-Za-z0-9.\-]{1,20}", value) else "name"


def _comparison(request: HttpRequest, ods_code: str):
    ics = get_comparable_ics(request.user, ods_code)
    framework, period = request.GET.get("framework"), request.GET.get("period")
    if "choice" in request.GET:  # the form's one select: "<framework id>:<period>"
        framework, _, period = request.GET["choice"].partition(":")
    return ics, ics_comparison(
        ics,
        framework_id=_int(framework),
        period=_int(period),
        types=request.GET.getlist("type"),
        sort=_sort_key(request.GET.get("sort", "")),
        descending=request.GET.get("order") == "desc",
    )


@require_GET
def comparison(request: HttpRequest, ods_code: str) -> HttpResponse:
    ics, data = _comparison(request, ods_code)
    context = {
        "comparison": data,
        "ics": ics,
        # Staff compare systems but open no trust's report; consultants open them.
        "link_reports": not request.user.is_staff,
        "type_choices": [(t.value, t.label) for t in COMPARED_TYPES],
        "filters": _filters(request),
        "order": "&order=desc" if data.descending else "",
    }
    return render(request, "reporting/comparison.html", context)


def _filters(request: HttpRequest) -> str:
    """The page's choices, to carry into sort links, exports and the PDF."""
    kept = request.GET.copy()
    for name in ("sort", "order"):
        kept.pop(name, None)
    return kept.urlencode()


COMPARISON_EXPORTS = {"heatmap.csv", "lines.csv", "comparison.xlsx"}


@require_GET
def comparison_export(request: HttpRequest, ods_code: str, name: str) -> HttpResponse:
    if name not in COMPARISON_EXPORTS:
        raise Http404("No such export.")
    ics, data = _comparison(request, ods_code)
    stem = slugify(f"ics comparison {ics.ods_code} {data.period_label}")
    if name == "comparison.xlsx":
        response = HttpResponse(
            exports.comparison_xlsx(data),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        build = exports.heatmap_rows if name == "heatmap.csv" else exports.comparison_line_rows
        header, rows = build(data)
        response = HttpResponse(exports.as_csv(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{stem}-{name}"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def comparison_pdf(request: HttpRequest, ods_code: str) -> HttpResponse:

    ics, data = _comparison(request, ods_code)
    arguments = {
        "ods_code": ics.ods_code,
        "framework_id": data.framework.pk if data.framework else None,
        "period": data.period,
        "types": data.types,
        "sort": data.sort,
        "descending": data.descending,
        "filename": slugify(f"ics comparison {ics.ods_code} {data.period_label}") + ".pdf",
    }
    version = _comparison_version(data) if runs_on_worker() else ""
    back = reverse("reporting:comparison", args=[ics.ods_code]) + "?" + request.GET.urlencode()
    return _pdf(request, "comparison", arguments, version=version, what="The comparison", back=back)


def _comparison_version(data) -> str:
    """What makes the comparison's PDF differ: every figure it prints."""
    rows = [(r.organisation.ods_code, r.status, [str(c) for c in r.cells]) for r in data.rows]
    spread = [None if q is None else [q.count, str(q.lower), str(q.median), str(q.upper)] for q in data.spread]
    return json.dumps([rows, spread], sort_keys=True)


@require_GET
def comparison_trend(request: HttpRequest, ods_code: str) -> HttpResponse:
    ics = get_comparable_ics(request.user, ods_code)
    slug = request.GET.get("framework", "well-led")[:50]
    sections, rows = ics_trend(ics, slug)
    return render(request, "reporting/trend.html", {"ics": ics, "slug": slug, "sections": sections, "rows": rows})


@require_GET
def comparison_national(request: HttpRequest) -> HttpResponse:
    if not (request.user.is_authenticated and request.user.is_staff):
        raise Http404
    choices = national_choices()
    slug = request.GET.get("framework") or (choices[0][0] if choices else "well-led")
    period = _int(request.GET.get("period")) or (choices[0][2] if choices else None)
    sections, rows = national(slug, period) if period else ([], [])
    context = {"choices": choices, "slug": slug, "period": period, "sections": sections, "rows": rows}
    return render(request, "reporting/national.html", context)
