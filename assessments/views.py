"""Views of the assessment cycle. Each: resolve through an access helper, validate with
a form, call a service, then redirect or render (a page, or a partial for htmx)."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import DatabaseError
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from assessments import services
from assessments.access import MANAGERS, SCORERS, get_assessment_for_user, get_respondent_for_user
from assessments.forms import (
    ActionForm,
    AgreedScoreForm,
    AnswerForm,
    AssessmentForm,
    EvidenceForm,
    InviteForm,
    action_initial,
    answer_initial,
)
from assessments.history import KINDS, history_rows, visible_entries
from assessments.models import Action, AgreedScore, Answer, Assessment, AssessmentLocked, Evidence
from assessments.selectors import (
    assessment_lines,
    assessment_sections,
    levels_by_scale,
    moderation_summary,
    respondent_progress,
    scoring_page,
    scoring_progress,
)
from assessments.services import AssessmentError, StaleVersion
from frameworks.models import Line
from organisations.access import get_organisation_for_user
from organisations.models import Membership

Role = Membership.Role
Status = Assessment.Status
# What a service may refuse with: a broken rule, or the lock (from the service's own
# check or, as a backstop, from the database).
REFUSED = (AssessmentError, AssessmentLocked)

logger = logging.getLogger(__name__)


def _url(name: str, assessment: Assessment, *args) -> str:
    return reverse(f"assessments:{name}", args=[assessment.organisation.ods_code, assessment.period_start_year, *args])


def _fail(request: HttpRequest, exc: Exception) -> None:
    messages.error(request, str(exc))


def _mine(form, fields: dict[str, str]) -> dict:
    """What the person typed, from a bound form's raw data, to show beside the saved
    version after a conflict ("copy mine back"): field html name → value, and label →
    value for reading."""
    values, shown = {}, []
    for name, label in fields.items():
        bound = form[name]
        raw = bound.data if not isinstance(bound.data, list) else ",".join(bound.data)
        raw = "" if raw in (None, False) else ("on" if raw is True else str(raw))
        values[bound.html_name] = raw
        if raw:
            choices = {str(k): v for k, v in getattr(form.fields[name], "choices", [])}
            shown.append((label, choices.get(raw, raw)))
    return {"values": values, "shown": shown}


# /organisations/<ods>/assessments/


def assessment_list(request: HttpRequest, ods_code: str) -> HttpResponse:
    access = get_organisation_for_user(request.user, ods_code)
    assessments = (
        Assessment.objects.visible_to(request.user)
        .filter(organisation=access.organisation)
        .order_by("-period_start_year")
    )
    return render(
        request,
        "assessments/assessment_list.html",
        {
            "access": access,
            "organisation": access.organisation,
            "assessments": assessments,
            "can_create": access.has_role([Role.SECRETARY]),
        },
    )


def assessment_create(request: HttpRequest, ods_code: str) -> HttpResponse:
    access = get_organisation_for_user(request.user, ods_code, roles=[Role.SECRETARY])
    organisation = access.organisation
    form = AssessmentForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.create_assessment(
                organisation, form.details(), by=request.user, previous=form.cleaned_data.get("start_from")
            )
        except REFUSED as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Assessment created as a draft. Now invite the directors.")
            return redirect(_url("respondents", assessment))
    return render(request, "assessments/assessment_form.html", {"form": form, "organisation": organisation})


# /organisations/<ods>/assessments/<year>/


def assessment_detail(request: HttpRequest, ods_code: str, year: int) -> HttpResponse:
    access = get_assessment_for_user(request.user, ods_code, year)
    assessment = access.assessment
    respondent = None
    if access.membership is not None:
        respondent = assessment.respondents.filter(user=request.user, removed_at__isnull=True).first()
    context = {
        "access": access,
        "assessment": assessment,
        "organisation": assessment.organisation,
        "respondent": respondent,
        "frameworks": assessment.frameworks.all(),
        "line_count": len(assessment.included_lines()),
    }
    if access.is_manager:
        context["respondents"] = respondent_progress(assessment)
        context["agreed_count"] = assessment.agreed_scores.count()
        context["unevidenced"] = _unevidenced(assessment)
    return render(request, "assessments/assessment_detail.html", context)


def _unevidenced(assessment: Assessment) -> list[AgreedScore]:
    return list(
        assessment.agreed_scores.without_expected_evidence()
        .select_related("line__section", "line__framework__scale")
        .order_by("line__code")
    )


def assessment_edit(request: HttpRequest, ods_code: str, year: int) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, ods_code, year, roles=[Role.SECRETARY]).assessment
    initial = {
        "title": assessment.title,
        "period_start_year": assessment.period_start_year,
        "frameworks": assessment.frameworks.all(),
        "deadline": assessment.deadline,
        "anonymous": assessment.anonymous,
    }
    form = AssessmentForm(
        request.POST or None, initial=initial, organisation=assessment.organisation, assessment=assessment
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_assessment(assessment, form.details(), by=request.user)
        except REFUSED as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Assessment details saved.")
            return redirect(_url("detail", assessment))
    return render(
        request,
        "assessments/assessment_form.html",
        {"form": form, "organisation": assessment.organisation, "assessment": assessment},
    )


def respondents(request: HttpRequest, ods_code: str, year: int) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, ods_code, year, roles=[Role.SECRETARY]).assessment
    invited = {r.user_id for r in assessment.respondents.active()}
    available = services.eligible_directors(assessment).exclude(user_id__in=invited)
    form = InviteForm(request.POST or None, memberships=available)
    if request.method == "POST" and form.is_valid():
        try:
            added = services.invite_respondents(assessment, form.cleaned_data["directors"], by=request.user)
        except REFUSED as exc:
            _fail(request, exc)
        else:
            sent = " and emailed" if assessment.status == Status.OPEN else ""
            messages.success(request, f"{len(added)} director{'s' if len(added) != 1 else ''} invited{sent}.")
        return redirect(_url("respondents", assessment))
    return render(
        request,
        "assessments/respondents.html",
        {
            "assessment": assessment,
            "organisation": assessment.organisation,
            "form": form,
            "respondents": respondent_progress(assessment),
            "can_change": assessment.status in (Status.DRAFT, Status.OPEN),
        },
    )


@require_POST
def respondent_remove(request: HttpRequest, ods_code: str, year: int, respondent_id: int) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, ods_code, year, roles=[Role.SECRETARY]).assessment
    respondent = get_object_or_404(assessment.respondents.select_related("user"), pk=respondent_id)
    try:
        services.remove_respondent(respondent, by=request.user)
    except REFUSED as exc:
        _fail(request, exc)
    else:
        messages.success(
            request,
            f"{respondent.user.get_full_name() or respondent.user} removed; "
            "their answers are kept but no longer counted.",
        )
    return redirect(_url("respondents", assessment))


@require_POST
def remind(request: HttpRequest, ods_code: str, year: int) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, ods_code, year, roles=[Role.SECRETARY]).assessment
    try:
        sent = services.send_reminders(assessment, by=request.user)
    except REFUSED as exc:
        _fail(request, exc)
    else:
        messages.success(request, f"Reminder sent to {sent} director{'s' if sent != 1 else ''}.")
    return redirect(_url("respondents", assessment))


# Steps that cannot be undone are confirmed on a page that says what happens next; the
# POST from that page does the step.
STEPS = {
    "open": {
        "roles": [Role.SECRETARY],
        "service": services.open_assessment,
        "title": "Open for scoring and send invitations",
        "button": "Open for scoring and send the invitations",
        "success": "The assessment is open for scoring; invitations are on their way.",
    },
    "start-moderation": {
        "roles": MANAGERS,
        "service": services.start_moderation,
        "title": "Close scoring and start moderation",
        "button": "Close scoring and start moderation",
        "success": "Scoring is closed and moderation has started.",
    },
    "sign-off": {
        "roles": [Role.CHAIR],
        "service": services.sign_off,
        "title": "Sign off and lock",
        "button": "Sign off and lock the assessment",
        "success": "Signed off. The assessment is now locked.",
    },
}


def _step(request: HttpRequest, ods_code: str, year: int, step: str) -> HttpResponse:
    spec = STEPS[step]
    access = get_assessment_for_user(request.user, ods_code, year, roles=spec["roles"])
    assessment = access.assessment
    if request.method == "POST":
        try:
            spec["service"](assessment, by=request.user)
        except REFUSED as exc:
            _fail(request, exc)
        else:
            messages.success(request, spec["success"])
            return redirect(_url("detail", assessment))
    respondents = [r for r in respondent_progress(assessment) if r.removed_at is None]
    context = {
        "assessment": assessment,
        "organisation": assessment.organisation,
        "step": step,
        "spec": spec,
        "respondents": respondents,
        "waiting": [r for r in respondents if r.submitted_at is None],
        "without_email": [r for r in respondents if not r.user.email],
        "action_url": _url(step, assessment),
    }
    if step == "sign-off":
        context["missing"] = services.missing_agreed_lines(assessment)
        context["unevidenced"] = _unevidenced(assessment)
        context["line_count"] = len(assessment.included_lines())
    return render(request, "assessments/confirm.html", context)


@require_http_methods(["GET", "POST"])
def open_for_scoring(request: HttpRequest, ods_code: str, year: int) -> HttpResponse:
    return _step(request, ods_code, year, "open")


@require_http_methods(["GET", "POST"])
def start_moderation(request: HttpRequest, ods_code: str, year: int) -> HttpResponse:
    return _step(request, ods_code, year, "start-moderation")


@require_http_methods(["GET", "POST"])
def sign_off(request: HttpRequest, ods_code: str, year: int) -> HttpResponse:
    return _step(request, ods_code, year, "sign-off")


# /organisations/<ods>/assessments/<year>/score/


def score_start(request: HttpRequest, ods_code: str, year: int) -> HttpResponse:
    respondent = get_respondent_for_user(request.user, ods_code, year)
    first = (
        respondent.answers.filter(level__isnull=True, dont_know=False)
        .order_by("line__framework__title", "line__section__order", "line__order")
        .values_list("line__section__code", flat=True)
        .first()
    ) or respondent.answers.order_by("line__framework__title", "line__section__order").values_list(
        "line__section__code", flat=True
    ).first()
    if first is None:
        messages.info(request, "Scoring has not opened yet.")
        return redirect(_url("detail", respondent.assessment))
    return redirect(_url("score", respondent.assessment, first))


ANSWER_FIELDS = {"level": "Level", "target_level": "Target level", "comment": "Comment"}


def _answer_form(answer: Answer, levels, data=None) -> AnswerForm:
    return AnswerForm(data, prefix=answer.line.code, initial=answer_initial(answer), levels=levels)


def _form_errors(form) -> str:
    labels = {name: field.label or name for name, field in form.fields.items()}
    parts = []
    for name, errors in form.errors.items():
        label = "" if name == "__all__" else f"{labels.get(name, name).replace(' (optional)', '')}: "
        parts.extend(f"{label}{error}" for error in errors)
    return "; ".join(parts)


def score_section(request: HttpRequest, ods_code: str, year: int, section_code: str) -> HttpResponse:
    """A director's scoring page for one section. Autosaves line by line with htmx; without
    JavaScript the whole section is posted and saved here. A line that cannot be saved
    keeps everything the person typed, with the reason beside it; the others are saved."""
    respondent = get_respondent_for_user(request.user, ods_code, year)
    assessment = respondent.assessment
    page = scoring_page(respondent, section_code)
    if page is None:
        raise Http404("No such section in this assessment.")
    levels = levels_by_scale(assessment)
    errors: dict[int, str] = {}
    kept: dict[int, AnswerForm] = {}  # lines shown again as typed
    mine: dict[int, dict] = {}  # lines in conflict: what the person typed, beside the saved answer
    status = 200
    if request.method == "POST":
        saved = 0
        for answer in page.answers:
            scale_levels = levels[answer.line.section.framework.scale_id]
            form = _answer_form(answer, scale_levels, request.POST)
            if not form.is_valid():
                errors[answer.pk], kept[answer.pk] = "Not saved: see the message beside the field.", form
                continue
            try:
                before = answer.version
                services.save_answer(answer, form.answer_input(), by=request.user, max_level=scale_levels[-1].number)
                saved += answer.version != before
            except StaleVersion as exc:
                errors[answer.pk], mine[answer.pk] = str(exc), _mine(form, ANSWER_FIELDS)
            except REFUSED as exc:
                errors[answer.pk], kept[answer.pk] = str(exc), form
        if not errors:
            messages.success(request, f"Saved ({saved} answer{'s' if saved != 1 else ''} changed).")
            following = _next_section(page, section_code)
            if "next" in request.POST and following:
                return redirect(_url("score", assessment, following))
            return redirect(_url("score", assessment, section_code))
        messages.error(request, "Some answers were not saved; see the messages beside them. What you typed is kept.")
        status = 409 if mine and not kept else 400
        page = scoring_page(respondent, section_code)
    section = page.answers[0].line.section
    rows = []
    for answer in page.answers:
        form = kept.get(answer.pk) or _answer_form(answer, levels[answer.line.section.framework.scale_id])
        rows.append((answer, form, errors.get(answer.pk), page.previous.get(answer.line_id), mine.get(answer.pk)))
    return render(
        request,
        "assessments/score_section.html",
        {
            "assessment": assessment,
            "organisation": assessment.organisation,
            "respondent": respondent,
            "page": page,
            "section": section,
            "rows": rows,
            "next_section": _next_section(page, section_code),
            "levels": levels[section.framework.scale_id],
            "editable": assessment.status == Status.OPEN and respondent.submitted_at is None,
        },
        status=status,
    )


def _next_section(page, section_code: str) -> str | None:
    codes = [p.code for p in page.sections]
    index = codes.index(section_code)
    return codes[index + 1] if index + 1 < len(codes) else None


@require_POST
def score_line(request: HttpRequest, ods_code: str, year: int, line_code: str) -> HttpResponse:
    """Autosave of one answer (htmx). Returns the line's status with the progress panel
    (out of band): saved, or invalid (400, with the message; the inputs keep what was
    typed). A save based on an older version (409) returns the whole line as it now
    stands, with what the person typed beside it and "copy mine back"."""
    # One query finds the answer, its respondent and assessment, and proves that the
    # person is still a member and a respondent; the error paths below cost more.
    answer = (
        Answer.objects.select_related("respondent__assessment__organisation", "line__section__framework")
        .filter(
            line__code=line_code,
            respondent__user=request.user,
            respondent__removed_at__isnull=True,
            respondent__assessment__organisation__ods_code=ods_code,
            respondent__assessment__period_start_year=year,
            respondent__assessment__organisation__memberships__user=request.user,
            respondent__assessment__organisation__memberships__role__in=SCORERS,
        )
        .first()
    )
    if answer is None:
        get_respondent_for_user(request.user, ods_code, year)  # 404 or 403 as the case may be
        raise Http404("That line is not part of this assessment.")
    respondent = answer.respondent
    levels = levels_by_scale(respondent.assessment)[answer.line.section.framework.scale_id]
    form = AnswerForm(request.POST, prefix=answer.line.code, levels=levels)
    status, error, saved, mine = 200, None, False, None
    if not form.is_valid():
        status, error = 400, _form_errors(form)
    else:
        try:
            services.save_answer(answer, form.answer_input(), by=request.user, max_level=levels[-1].number)
            saved = True
        except StaleVersion as exc:
            status, error, mine = 409, str(exc), _mine(form, ANSWER_FIELDS)
            answer = exc.current
        except REFUSED as exc:
            status, error = 400, str(exc)
    context = {
        "answer": answer,
        "form": _answer_form(answer, levels),
        "error": error,
        "saved": saved,
        "mine": mine,
        "editable": True,
        "assessment": respondent.assessment,
    }
    if status == 409:
        response = render(request, "assessments/score_section.html#line", context, status=status)
        response["HX-Retarget"] = f"#answer-{answer.pk}"
        response["HX-Reswap"] = "outerHTML"
        return response
    # Otherwise only the status (with the new version) is replaced, so that the keyboard
    # focus stays where the person is working, and the progress panel is updated.
    try:
        sections = scoring_progress(respondent)
    except DatabaseError:
        if not saved:
            raise
        # The answer is saved (its transaction committed): say so, with its new version,
        # rather than answer a stored save with an error because the progress panel could
        # not be read (the database went away in between). The panel is left as it was.
        logger.warning("Answer %s saved; its progress panel could not be read.", answer.pk, exc_info=True)
        sections = None
    if sections is not None:
        context["page"] = {
            "sections": sections,
            "answered": sum(p.answered for p in sections),
            "total": sum(p.total for p in sections),
        }
    context["section"] = answer.line.section
    context["organisation"] = respondent.assessment.organisation
    return render(request, "assessments/score_section.html#autosave", context, status=status)


@require_POST
def submit_response(request: HttpRequest, ods_code: str, year: int) -> HttpResponse:
    respondent = get_respondent_for_user(request.user, ods_code, year)
    try:
        services.submit_response(respondent, by=request.user)
    except REFUSED as exc:
        _fail(request, exc)
        return redirect(_url("score-start", respondent.assessment))
    messages.success(request, "Your scores are submitted. You can reopen them until moderation starts.")
    return redirect(_url("detail", respondent.assessment))


@require_POST
def reopen_response(request: HttpRequest, ods_code: str, year: int) -> HttpResponse:
    respondent = get_respondent_for_user(request.user, ods_code, year)
    try:
        services.reopen_response(respondent, by=request.user)
    except REFUSED as exc:
        _fail(request, exc)
        return redirect(_url("detail", respondent.assessment))
    messages.success(request, "Your scores are reopened. Submit them again when you are done.")
    return redirect(_url("score-start", respondent.assessment))


# /organisations/<ods>/assessments/<year>/moderate/


def moderate_start(request: HttpRequest, ods_code: str, year: int) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, ods_code, year, roles=MANAGERS).assessment
    sections = assessment_sections(assessment)
    if not sections:
        raise Http404
    return redirect(_url("moderate", assessment, sections[0].code))


def moderate_section(request: HttpRequest, ods_code: str, year: int, section_code: str) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, ods_code, year, roles=MANAGERS).assessment
    return _moderation_page(request, assessment, section_code)


AGREED_FIELDS = {
    "level": "Agreed level",
    "not_assessed": "Not assessed",
    "not_assessed_reason": "Why not assessed",
    "target_level": "Target level",
    "target_date": "Target date",
    "rationale": "Rationale",
}


def _moderation_page(
    request: HttpRequest,
    assessment: Assessment,
    section_code: str,
    *,
    kept: dict[str, AgreedScoreForm] | None = None,
    mine: dict[str, dict] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Per line: distribution, mean, spread, executive vs non-executive, comments (within
    the confidentiality rules of assessments/selectors.py); the agreed score with
    evidence. A fixed number of queries whatever the number of lines and respondents.

    After a refused save the page is drawn again with that line's form as typed (`kept`),
    or, after a conflict, the saved version with what was typed beside it (`mine`)."""
    kept, mine, errors = kept or {}, mine or {}, errors or {}
    lines = assessment_lines(assessment)
    sections = list({line.section_id: line.section for line in lines}.values())
    section = next((s for s in sections if s.code == section_code), None)
    if section is None:
        raise Http404("No such section in this assessment.")
    levels = levels_by_scale(assessment)[section.framework.scale_id]
    summary = moderation_summary(assessment, [ln for ln in lines if ln.section_id == section.pk], levels)
    ordered = summary.lines
    if request.GET.get("order") == "disagreement":
        # Most spread first; lines whose figures are withheld (no spread shown) last.
        ordered = sorted(ordered, key=lambda s: (s.spread is None, -(s.spread or 0)))
    actions = list(
        Action.objects.filter(assessment=assessment)
        .filter(Q(section=section) | Q(line__section=section))
        .select_related("line")
        .order_by("due_date", "pk")
    )
    rows = []
    for line_summary in ordered:
        code = line_summary.line.code
        form = kept.get(code) or _agreed_form(line_summary.agreed, levels, prefix=code)
        rows.append((line_summary, form, EvidenceForm(prefix=f"evidence-{code}"), errors.get(code), mine.get(code)))
    return render(
        request,
        "assessments/moderate_section.html",
        {
            "assessment": assessment,
            "organisation": assessment.organisation,
            "sections": sections,
            "section": section,
            "levels": levels,
            "summary": summary,
            # Each line's forms carry the line code as prefix: unique ids and labels on the page.
            "rows": rows,
            "actions": actions,
            "editable": assessment.status == Status.MODERATION,
            "evidence_editable": assessment.status in (Status.OPEN, Status.MODERATION),
            "order": request.GET.get("order", ""),
        },
        status=status,
    )


def _agreed_form(score: AgreedScore | None, levels, data=None, *, prefix: str) -> AgreedScoreForm:
    initial = {"version": 0}
    if score is not None:
        initial = {
            "level": score.level,
            "not_assessed": score.not_assessed,
            "not_assessed_reason": score.not_assessed_reason,
            "target_level": score.target_level,
            "target_date": score.target_date,
            "rationale": score.rationale,
            "version": score.version,
        }
    return AgreedScoreForm(data, initial=initial, levels=levels, prefix=prefix)


def _assessment_line(assessment: Assessment, line_code: str) -> Line:
    line = (
        Line.objects.select_related("section__framework")
        .filter(framework__assessments=assessment, code=line_code)
        .first()
    )
    if line is None or not assessment.includes_line(line, framework_ids={line.framework_id}):
        raise Http404("That line is not part of this assessment.")
    return line


@require_POST
def agreed_score(request: HttpRequest, ods_code: str, year: int, line_code: str) -> HttpResponse:
    """Save an agreed score. Refused or in conflict, the moderation page comes back with
    what was typed kept (and, in a conflict, the saved version beside it)."""
    assessment = get_assessment_for_user(request.user, ods_code, year, roles=MANAGERS).assessment
    line = _assessment_line(assessment, line_code)
    levels = levels_by_scale(assessment)[line.section.framework.scale_id]
    form = AgreedScoreForm(request.POST, levels=levels, prefix=line.code)
    if not form.is_valid():
        messages.error(request, f"{line.code}: not saved; see the messages beside the fields.")
        return _moderation_page(
            request,
            assessment,
            line.section.code,
            kept={line.code: form},
            errors={line.code: _form_errors(form)},
            status=400,
        )
    try:
        services.record_agreed_score(assessment, line, form.agreed_input(), by=request.user)
    except StaleVersion as exc:
        messages.error(request, f"{line.code}: {exc}")
        return _moderation_page(
            request,
            assessment,
            line.section.code,
            mine={line.code: _mine(form, AGREED_FIELDS)},
            errors={line.code: str(exc)},
            status=409,
        )
    except REFUSED as exc:
        messages.error(request, f"{line.code}: {exc}")
        return _moderation_page(
            request, assessment, line.section.code, kept={line.code: form}, errors={line.code: str(exc)}, status=400
        )
    messages.success(request, f"{line.code}: agreed score saved.")
    return redirect(_url("moderate", assessment, line.section.code) + f"#line-{line.code}")


@require_POST
def evidence_add(request: HttpRequest, ods_code: str, year: int, line_code: str) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, ods_code, year, roles=MANAGERS).assessment
    line = _assessment_line(assessment, line_code)
    form = EvidenceForm(request.POST, request.FILES, prefix=f"evidence-{line.code}")
    back = _url("moderate", assessment, line.section.code) + f"#line-{line.code}"
    if not form.is_valid():
        messages.error(
            request, f"{line.code}, evidence not added: " + " ".join(e for errs in form.errors.values() for e in errs)
        )
        return redirect(back)
    try:
        services.add_evidence(assessment, line, form.evidence_input(), by=request.user)
    except REFUSED as exc:
        _fail(request, f"{line.code}: {exc}")
    else:
        messages.success(request, f"{line.code}: evidence added.")
    return redirect(back)


def evidence_file(request: HttpRequest, ods_code: str, year: int, evidence_id: int) -> HttpResponse:
    """Uploaded evidence, only to those who may see the assessment; always as a download."""
    assessment = get_assessment_for_user(request.user, ods_code, year).assessment
    evidence = get_object_or_404(Evidence, pk=evidence_id, assessment=assessment)
    if not evidence.file:
        raise Http404("This evidence is a link, not a file.")
    return FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=evidence.original_name or "evidence",
        content_type=evidence.content_type or "application/octet-stream",
    )


@require_http_methods(["GET", "POST"])
def evidence_remove(request: HttpRequest, ods_code: str, year: int, evidence_id: int) -> HttpResponse:
    """Confirm, then remove a piece of evidence (its file is deleted)."""
    assessment = get_assessment_for_user(request.user, ods_code, year, roles=MANAGERS).assessment
    evidence = get_object_or_404(
        Evidence.objects.select_related("line__section", "line__framework__scale"),
        pk=evidence_id,
        assessment=assessment,
    )
    back = _url("moderate", assessment, evidence.line.section.code) + f"#line-{evidence.line.code}"
    if request.method == "POST":
        try:
            services.remove_evidence(evidence, by=request.user)
        except REFUSED as exc:
            _fail(request, exc)
        else:
            messages.success(request, f"Evidence “{evidence.title}” removed.")
        return redirect(back)
    agreed = assessment.agreed_scores.filter(line=evidence.line).select_related("line__framework__scale").first()
    others = assessment.evidence.filter(line=evidence.line).exclude(pk=evidence.pk).count()
    return render(
        request,
        "assessments/confirm.html",
        {
            "assessment": assessment,
            "organisation": assessment.organisation,
            "step": "evidence-remove",
            "spec": {"title": "Remove evidence", "button": "Remove this evidence"},
            "evidence": evidence,
            "leaves_unevidenced": bool(agreed and agreed.expects_evidence) and others == 0,
            "agreed": agreed,
            "action_url": _url("evidence-remove", assessment, evidence.pk),
            "cancel_url": back,
        },
    )


# /organisations/<ods>/assessments/<year>/actions/


def actions(request: HttpRequest, ods_code: str, year: int) -> HttpResponse:
    access = get_assessment_for_user(request.user, ods_code, year)
    assessment = access.assessment
    if access.membership is None and assessment.status != Status.SIGNED_OFF:
        raise Http404
    form = None
    if access.is_manager:
        form = ActionForm(
            request.POST or None, lines=assessment.included_lines(), sections=assessment_sections(assessment)
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.save_action(assessment, form.action_input(), by=request.user)
            except REFUSED as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "Action added.")
                return redirect(_url("actions", assessment))
    elif request.method == "POST":
        raise PermissionDenied
    items = assessment.actions.select_related("line", "section", "carried_from__assessment").order_by("due_date", "pk")
    return render(
        request,
        "assessments/actions.html",
        {
            "assessment": assessment,
            "organisation": assessment.organisation,
            "actions": items,
            "form": form,
            "editable": access.is_manager and assessment.status != Status.SIGNED_OFF,
        },
    )


def action_edit(request: HttpRequest, ods_code: str, year: int, action_id: int) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, ods_code, year, roles=MANAGERS).assessment
    action = get_object_or_404(Action, pk=action_id, assessment=assessment)
    form = ActionForm(
        request.POST or None,
        initial=action_initial(action),
        lines=assessment.included_lines(),
        sections=assessment_sections(assessment),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.save_action(assessment, form.action_input(), by=request.user, action=action)
        except REFUSED as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Action saved.")
            return redirect(_url("actions", assessment))
    return render(
        request,
        "assessments/action_form.html",
        {"assessment": assessment, "organisation": assessment.organisation, "form": form, "action": action},
    )


# /organisations/<ods>/assessments/<year>/history/


def history(request: HttpRequest, ods_code: str, year: int) -> HttpResponse:
    """Who did what, newest first, 50 to a page, filterable by kind and line. Changes to
    individual answers are never shown here (assessments/history.py)."""
    assessment = get_assessment_for_user(request.user, ods_code, year, roles=MANAGERS).assessment
    kind = request.GET.get("kind", "")
    kind = kind if kind in KINDS else ""
    codes = [line.code for line in assessment.included_lines()]
    line_code = request.GET.get("line", "")
    line_code = line_code if line_code in codes else ""
    page = Paginator(visible_entries(assessment, kind=kind, line_code=line_code), 50).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in (("kind", kind), ("line", line_code)) if v})
    return render(
        request,
        "assessments/history.html",
        {
            "assessment": assessment,
            "organisation": assessment.organisation,
            "rows": history_rows(page.object_list),
            "page": page,
            "kinds": KINDS,
            "kind": kind,
            "codes": codes,
            "line_code": line_code,
            "query": query,
        },
    )
