"""Views of the assessment cycle. Each: resolve through an access helper, validate with
a form, call a service, then redirect or render (a page, or a partial for htmx)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from assessments import services
from assessments.access import MANAGERS, get_assessment_for_user, get_respondent_for_user
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
from assessments.models import Action, AgreedScore, Answer, Assessment, AssessmentLocked, Evidence
from assessments.selectors import (
    assessment_lines,
    assessment_sections,
    levels_by_scale,
    moderation_summary,
    respondent_progress,
    scoring_page,
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


def _url(name: str, assessment: Assessment, *args) -> str:
    return reverse(f"assessments:{name}", args=[assessment.organisation.ods_code, assessment.period_start_year, *args])


def _fail(request: HttpRequest, exc: Exception) -> None:
    messages.error(request, str(exc))


# /organisations/<ods>/assessments/


def assessment_list(request: HttpRequest, ods_code: str) -> HttpResponse:
    access = get_organisation_for_user(request.user, ods_code)
    assessments = access.organisation.assessments.order_by("-period_start_year")
    if access.is_consultant:
        assessments = assessments.filter(status=Status.SIGNED_OFF, ics__consultant_assignments__user=request.user)
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
        # Agreed scores of 3 or above with no evidence, flagged wherever they appear.
        context["unevidenced"] = list(
            assessment.agreed_scores.filter(level__gte=3)
            .exclude(line__in=assessment.evidence.values("line"))
            .select_related("line__section")
            .order_by("line__code")
        )
    return render(request, "assessments/assessment_detail.html", context)


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


def _transition(request, ods_code, year, roles, service, success: str) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, ods_code, year, roles=roles).assessment
    try:
        service(assessment, by=request.user)
    except REFUSED as exc:
        _fail(request, exc)
    else:
        messages.success(request, success)
    return redirect(_url("detail", assessment))


@require_POST
def open_for_scoring(request: HttpRequest, ods_code: str, year: int) -> HttpResponse:
    return _transition(
        request,
        ods_code,
        year,
        [Role.SECRETARY],
        services.open_assessment,
        "The assessment is open for scoring; invitations have been sent.",
    )


@require_POST
def start_moderation(request: HttpRequest, ods_code: str, year: int) -> HttpResponse:
    return _transition(
        request, ods_code, year, MANAGERS, services.start_moderation, "Scoring is closed and moderation has started."
    )


@require_POST
def sign_off(request: HttpRequest, ods_code: str, year: int) -> HttpResponse:
    return _transition(
        request, ods_code, year, [Role.CHAIR], services.sign_off, "Signed off. The assessment is now locked."
    )


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


def _answer_forms(page, levels, data=None):
    return [
        (
            answer,
            AnswerForm(
                data,
                prefix=answer.line.code,
                initial=answer_initial(answer),
                levels=levels[answer.line.section.framework.scale_id],
            ),
        )
        for answer in page.answers
    ]


def score_section(request: HttpRequest, ods_code: str, year: int, section_code: str) -> HttpResponse:
    """A director's scoring page for one section. Autosaves line by line with htmx; without
    JavaScript the whole section is posted and saved here."""
    respondent = get_respondent_for_user(request.user, ods_code, year)
    assessment = respondent.assessment
    page = scoring_page(respondent, section_code)
    if page is None:
        raise Http404("No such section in this assessment.")
    levels = levels_by_scale(assessment)
    errors: dict[int, str] = {}
    if request.method == "POST":
        forms = _answer_forms(page, levels, request.POST)
        saved = 0
        for answer, form in forms:
            if not form.is_valid():
                errors[answer.pk] = "; ".join(e for errs in form.errors.values() for e in errs)
                continue
            data = form.answer_input()
            try:
                before = answer.version
                services.save_answer(
                    answer, data, by=request.user, max_level=levels[answer.line.section.framework.scale_id][-1].number
                )
                saved += answer.version != before
            except StaleVersion as exc:
                errors[answer.pk] = str(exc)
            except REFUSED as exc:
                errors[answer.pk] = str(exc)
        if not errors:
            messages.success(request, f"Saved ({saved} answer{'s' if saved != 1 else ''} changed).")
            following = _next_section(page, section_code)
            if "next" in request.POST and following:
                return redirect(_url("score", assessment, following))
            return redirect(_url("score", assessment, section_code))
        messages.error(request, "Some answers were not saved; see the messages beside them.")
        page = scoring_page(respondent, section_code)
    forms = _answer_forms(page, levels)
    section = page.answers[0].line.section
    return render(
        request,
        "assessments/score_section.html",
        {
            "assessment": assessment,
            "organisation": assessment.organisation,
            "respondent": respondent,
            "page": page,
            "section": section,
            "rows": [
                (answer, form, errors.get(answer.pk), page.previous.get(answer.line_id)) for answer, form in forms
            ],
            "next_section": _next_section(page, section_code),
            "levels": levels[section.framework.scale_id],
            "editable": assessment.status == Status.OPEN and respondent.submitted_at is None,
        },
    )


def _next_section(page, section_code: str) -> str | None:
    codes = [p.code for p in page.sections]
    index = codes.index(section_code)
    return codes[index + 1] if index + 1 < len(codes) else None


@require_POST
def score_line(request: HttpRequest, ods_code: str, year: int, line_code: str) -> HttpResponse:
    """Autosave of one answer (htmx). Returns the line's fragment: saved, refused as stale
    (409, with the current answer shown), or invalid (400, with the message)."""
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
        )
        .first()
    )
    if answer is None:
        get_respondent_for_user(request.user, ods_code, year)  # 404 or 403 as the case may be
        raise Http404("That line is not part of this assessment.")
    respondent = answer.respondent
    levels = levels_by_scale(respondent.assessment)[answer.line.section.framework.scale_id]
    form = AnswerForm(request.POST, prefix=answer.line.code, levels=levels)
    status, error, saved = 200, None, False
    if not form.is_valid():
        status, error = 400, "; ".join(e for errs in form.errors.values() for e in errs)
    else:
        try:
            services.save_answer(answer, form.answer_input(), by=request.user, max_level=levels[-1].number)
            saved = True
        except StaleVersion as exc:
            status, error = 409, str(exc)
            answer = exc.current
        except REFUSED as exc:
            status, error = 400, str(exc)
    fresh = AnswerForm(prefix=answer.line.code, initial=answer_initial(answer), levels=levels)
    context = {
        "answer": answer,
        "form": fresh,
        "error": error,
        "saved": saved,
        "editable": True,
        "assessment": respondent.assessment,
    }
    if status == 409:
        # Stale: replace the whole line so the person sees the answer as it now stands.
        response = render(request, "assessments/score_section.html#line", context, status=status)
        response["HX-Retarget"] = f"#answer-{answer.pk}"
        response["HX-Reswap"] = "outerHTML"
        return response
    # Otherwise only the status (with the new version) is replaced, so that the
    # keyboard focus stays where the person is working.
    return render(request, "assessments/score_section.html#status", context, status=status)


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
    """Per line: distribution, mean, spread, executive vs non-executive, comments; the agreed
    score with evidence. Ten queries whatever the number of lines and respondents."""
    assessment = get_assessment_for_user(request.user, ods_code, year, roles=MANAGERS).assessment
    lines = assessment_lines(assessment)
    sections = list({line.section_id: line.section for line in lines}.values())
    section = next((s for s in sections if s.code == section_code), None)
    if section is None:
        raise Http404("No such section in this assessment.")
    levels = levels_by_scale(assessment)[section.framework.scale_id]
    summaries = moderation_summary(assessment, [ln for ln in lines if ln.section_id == section.pk], levels)
    if request.GET.get("order") == "disagreement":
        summaries.sort(key=lambda s: (s.spread is None, -(s.spread or 0)))
    actions = list(
        Action.objects.filter(assessment=assessment)
        .filter(Q(section=section) | Q(line__section=section))
        .select_related("line")
        .order_by("due_date", "pk")
    )
    return render(
        request,
        "assessments/moderate_section.html",
        {
            "assessment": assessment,
            "organisation": assessment.organisation,
            "sections": sections,
            "section": section,
            "levels": levels,
            # Each line's forms carry the line code as prefix: unique ids and labels on the page.
            "rows": [
                (s, _agreed_form(s.agreed, levels, prefix=s.line.code), EvidenceForm(prefix=f"evidence-{s.line.code}"))
                for s in summaries
            ],
            "actions": actions,
            "editable": assessment.status == Status.MODERATION,
            "evidence_editable": assessment.status in (Status.OPEN, Status.MODERATION),
            "order": request.GET.get("order", ""),
        },
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
    if line is None or not line.applies_to(assessment.organisation.type):
        raise Http404("That line is not part of this assessment.")
    return line


@require_POST
def agreed_score(request: HttpRequest, ods_code: str, year: int, line_code: str) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, ods_code, year, roles=MANAGERS).assessment
    line = _assessment_line(assessment, line_code)
    levels = levels_by_scale(assessment)[line.section.framework.scale_id]
    form = AgreedScoreForm(request.POST, levels=levels, prefix=line.code)
    back = _url("moderate", assessment, line.section.code) + f"#line-{line.code}"
    if not form.is_valid():
        messages.error(request, f"{line.code}: " + "; ".join(e for errs in form.errors.values() for e in errs))
        return redirect(back)
    try:
        services.record_agreed_score(assessment, line, form.agreed_input(), by=request.user)
    except REFUSED as exc:
        _fail(request, f"{line.code}: {exc}")
    else:
        messages.success(request, f"{line.code}: agreed score saved.")
    return redirect(back)


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


@require_POST
def evidence_remove(request: HttpRequest, ods_code: str, year: int, evidence_id: int) -> HttpResponse:
    assessment = get_assessment_for_user(request.user, ods_code, year, roles=MANAGERS).assessment
    evidence = get_object_or_404(
        Evidence.objects.select_related("line__section"), pk=evidence_id, assessment=assessment
    )
    try:
        services.remove_evidence(evidence, by=request.user)
    except REFUSED as exc:
        _fail(request, exc)
    else:
        messages.success(request, f"Evidence “{evidence.title}” removed.")
    return redirect(_url("moderate", assessment, evidence.line.section.code) + f"#line-{evidence.line.code}")


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
    assessment = get_assessment_for_user(request.user, ods_code, year, roles=MANAGERS).assessment
    entries = assessment.history.select_related("actor").order_by("-at", "-pk")
    rows = []
    for entry in entries:
        who = entry.actor.get_full_name() or entry.actor.username if entry.actor else "System"
        if entry.respondent_id and assessment.anonymous:
            who = "A director"
        rows.append((entry, who))
    return render(
        request,
        "assessments/history.html",
        {"assessment": assessment, "organisation": assessment.organisation, "rows": rows},
    )
