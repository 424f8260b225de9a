"""Every URL of the project × every persona → the status each must get.

- MATRIX: a GET to every URL (the open 2026 assessment of RA1); SIGNED_OFF_MATRIX: a
  GET to every URL of a signed-off assessment (2025), which observers and the ICS's
  consultant may read in part.
- POST_MATRIX: a POST with valid data to every state-changing URL, each with the
  assessment in the state where that POST does something. The personas allowed to do
  it must change the database (so the data is known to be valid); everyone else gets
  the status in the matrix and leaves every table of the assessments and reporting
  apps (and the frameworks table), the outbox and the task queue exactly as they were.
- READ_ONLY: every other URL of the app; a POST to it changes nothing, for anyone.

A new URL pattern must be added to MATRIX and to POST_MATRIX, READ_ONLY or
ACCOUNT_URLS: `test_every_url_pattern_is_in_the_matrix` fails otherwise. Admin URLs are
covered by ADMIN_URLS and the generic admin check.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.tasks import default_task_backend
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from assessments import services
from assessments.forms import AssessmentForm
from assessments.models import Action, AgreedScore, Answer, Assessment, Evidence, HistoryEntry, Respondent
from frameworks.models import Framework
from organisations.models import Membership
from reporting.models import SealingFailure
from reporting.services import record_sealing_failure, seal
from reporting.tasks import seal_report
from tests.base import PersonaTestCase
from tests.factories import PDF_BYTES, agree_all, answer_all, make_assessment, make_framework

PERSONAS = [
    "anonymous",
    "secretary",
    "chair",
    "executive",
    "non_executive",
    "observer",
    "consultant",
    "consultant_elsewhere",
    "outsider",
    "staff",
]


def statuses(*codes: int) -> dict[str, int]:
    assert len(codes) == len(PERSONAS)
    return dict(zip(PERSONAS, codes, strict=True))


def everyone(code: int, *, anonymous: int | None = None) -> dict[str, int]:
    result = dict.fromkeys(PERSONAS, code)
    if anonymous is not None:
        result["anonymous"] = anonymous
    return result


A = "/organisations/RA1/assessments/"
POST_ONLY = everyone(405, anonymous=302)

# url name: (method, path, expected statuses)
#                                     anon sec  chair exec ned  obs  cons else outs staff
MATRIX = {
    "home": ("get", "/", everyone(200, anonymous=302)),
    "frameworks:list": ("get", "/frameworks/", everyone(200, anonymous=302)),
    "frameworks:detail": ("get", "/frameworks/matrix/1/", everyone(200, anonymous=302)),
    "organisations:detail": ("get", "/organisations/RA1/", statuses(302, 200, 200, 200, 200, 200, 200, 404, 404, 404)),
    "organisations:people": (
        "get",
        "/organisations/RA1/people/",
        statuses(302, 200, 200, 403, 403, 403, 403, 404, 404, 404),
    ),
    "organisations:ics-detail": ("get", "/ics/QAA/", statuses(302, 404, 404, 404, 404, 404, 200, 404, 404, 404)),
    "login": ("get", "/accounts/login/", everyone(200)),
    "logout": ("get", "/accounts/logout/", everyone(405, anonymous=302)),  # signing out is a POST
    "password_change": ("get", "/accounts/password_change/", everyone(200, anonymous=302)),
    "password_change_done": ("get", "/accounts/password_change/done/", everyone(200, anonymous=302)),
    "password_reset": ("get", "/accounts/password_reset/", everyone(200)),
    "password_reset_done": ("get", "/accounts/password_reset/done/", everyone(200)),
    "password_reset_confirm": ("get", "/accounts/reset/MQ/set-password/", everyone(200)),
    "password_reset_complete": ("get", "/accounts/reset/done/", everyone(200)),
    # Assessments of RA1: 2026 is open for scoring (the executive and non-executive
    # directors are its respondents). Observers and consultants see an assessment only
    # once it is signed off (SIGNED_OFF_MATRIX): until then it is a 404, as for outsiders.
    "assessments:list": ("get", f"{A}", statuses(302, 200, 200, 200, 200, 200, 200, 404, 404, 404)),
    "assessments:create": ("get", f"{A}new/", statuses(302, 200, 403, 403, 403, 403, 403, 404, 404, 404)),
    "assessments:detail": ("get", f"{A}2026/", statuses(302, 200, 200, 200, 200, 404, 404, 404, 404, 404)),
    "assessments:edit": ("get", f"{A}2026/edit/", statuses(302, 200, 403, 403, 403, 404, 404, 404, 404, 404)),
    "assessments:respondents": (
        "get",
        f"{A}2026/respondents/",
        statuses(302, 200, 403, 403, 403, 404, 404, 404, 404, 404),
    ),
    "assessments:score-start": ("get", f"{A}2026/score/", statuses(302, 403, 403, 302, 302, 404, 404, 404, 404, 404)),
    "assessments:score": ("get", f"{A}2026/score/S1/", statuses(302, 403, 403, 200, 200, 404, 404, 404, 404, 404)),
    "assessments:moderate-start": (
        "get",
        f"{A}2026/moderate/",
        statuses(302, 302, 302, 403, 403, 404, 404, 404, 404, 404),
    ),
    "assessments:moderate": (
        "get",
        f"{A}2026/moderate/S1/",
        statuses(302, 200, 200, 403, 403, 404, 404, 404, 404, 404),
    ),
    "assessments:evidence-file": (
        "get",
        f"{A}2026/evidence/{{evidence}}/",
        statuses(302, 200, 200, 200, 200, 404, 404, 404, 404, 404),
    ),
    "assessments:actions": ("get", f"{A}2026/actions/", statuses(302, 200, 200, 200, 200, 404, 404, 404, 404, 404)),
    "assessments:action-edit": (
        "get",
        f"{A}2026/actions/{{action}}/",
        statuses(302, 200, 200, 403, 403, 404, 404, 404, 404, 404),
    ),
    "assessments:history": ("get", f"{A}2026/history/", statuses(302, 200, 200, 403, 403, 404, 404, 404, 404, 404)),
    # Steps that cannot be undone: a GET shows what happens next, the POST does it.
    "assessments:open": ("get", f"{A}2026/open/", statuses(302, 200, 403, 403, 403, 404, 404, 404, 404, 404)),
    "assessments:start-moderation": (
        "get",
        f"{A}2026/moderation/start/",
        statuses(302, 200, 200, 403, 403, 404, 404, 404, 404, 404),
    ),
    "assessments:sign-off": ("get", f"{A}2026/sign-off/", statuses(302, 403, 200, 403, 403, 404, 404, 404, 404, 404)),
    "assessments:evidence-remove": (
        "get",
        f"{A}2026/evidence/{{evidence}}/remove/",
        statuses(302, 200, 200, 403, 403, 404, 404, 404, 404, 404),
    ),
    # Other state changes are POST only: a GET is refused before anything is looked up.
    "assessments:respondent-remove": ("get", f"{A}2026/respondents/1/remove/", POST_ONLY),
    "assessments:remind": ("get", f"{A}2026/remind/", POST_ONLY),
    "assessments:submit": ("get", f"{A}2026/score/submit/", POST_ONLY),
    "assessments:reopen-response": ("get", f"{A}2026/score/reopen/", POST_ONLY),
    "assessments:score-line": ("get", f"{A}2026/score/line/S1.1/", POST_ONLY),
    "assessments:agreed-score": ("get", f"{A}2026/moderate/line/S1.1/", POST_ONLY),
    "assessments:evidence-add": ("get", f"{A}2026/moderate/line/S1.1/evidence/", POST_ONLY),
    # The maturity report of the open assessment: a draft for the secretary and chair only.
    "reporting:report": ("get", f"{A}2026/report/", statuses(302, 200, 200, 404, 404, 404, 404, 404, 404, 404)),
    "reporting:pdf": ("get", f"{A}2026/report/pdf/", statuses(302, 200, 200, 404, 404, 404, 404, 404, 404, 404)),
    "reporting:seal-again": ("get", f"{A}2026/report/pdf/try-again/", POST_ONLY),
    "reporting:sealed-pdf": (
        "get",
        f"{A}2026/report/sealed/1/",
        statuses(302, 404, 404, 404, 404, 404, 404, 404, 404, 404),
    ),
    "reporting:export": (
        "get",
        f"{A}2026/report/export/scores.csv",
        statuses(302, 200, 200, 404, 404, 404, 404, 404, 404, 404),
    ),
    "reporting:mine": ("get", f"{A}2026/report/mine/", everyone(404, anonymous=302)),
    "reporting:mine-pdf": ("get", f"{A}2026/report/mine/pdf/", everyone(404, anonymous=302)),
    "reporting:check": ("get", "/reports/check/?fingerprint=" + "0" * 64, everyone(200, anonymous=302)),
    # The ICS comparison: the ICS's consultants, and staff; anyone else 404.
    "reporting:comparison": ("get", "/ics/QAA/comparison/", statuses(302, 404, 404, 404, 404, 404, 200, 404, 404, 200)),
    "reporting:comparison-trend": (
        "get",
        "/ics/QAA/comparison/trend/",
        statuses(302, 404, 404, 404, 404, 404, 200, 404, 404, 200),
    ),
    "reporting:comparison-pdf": (
        "get",
        "/ics/QAA/comparison/pdf/",
        statuses(302, 404, 404, 404, 404, 404, 200, 404, 404, 200),
    ),
    "reporting:comparison-export": (
        "get",
        "/ics/QAA/comparison/export/heatmap.csv",
        statuses(302, 404, 404, 404, 404, 404, 200, 404, 404, 200),
    ),
    "reporting:national": ("get", "/comparison/national/", statuses(302, 404, 404, 404, 404, 404, 404, 404, 404, 200)),
    # For the load balancer: no login, the same answer for everyone.
    "health": ("get", "/health/", everyone(200)),
}

# The signed-off 2025 assessment of RA1. Observers read its overview, actions and
# evidence files, and so does the consultant of the ICS; a page their role does not
# allow is a 403 now that they can see the assessment. Nobody may change it (the pages
# that would are in POST_MATRIX, with open assessments, and tests/assessments/test_lock.py).
S = f"{A}2025/"
#                                     anon sec  chair exec ned  obs  cons else outs staff
SIGNED_OFF_MATRIX = {
    "assessments:detail": (f"{S}", statuses(302, 200, 200, 200, 200, 200, 200, 404, 404, 404)),
    "assessments:edit": (f"{S}edit/", statuses(302, 200, 403, 403, 403, 403, 403, 404, 404, 404)),
    "assessments:respondents": (f"{S}respondents/", statuses(302, 200, 403, 403, 403, 403, 403, 404, 404, 404)),
    "assessments:score-start": (f"{S}score/", statuses(302, 403, 403, 302, 302, 403, 403, 404, 404, 404)),
    "assessments:score": (f"{S}score/S1/", statuses(302, 403, 403, 200, 200, 403, 403, 404, 404, 404)),
    "assessments:moderate-start": (f"{S}moderate/", statuses(302, 302, 302, 403, 403, 403, 403, 404, 404, 404)),
    "assessments:moderate": (f"{S}moderate/S1/", statuses(302, 200, 200, 403, 403, 403, 403, 404, 404, 404)),
    "assessments:evidence-file": (
        f"{S}evidence/{{evidence}}/",
        statuses(302, 200, 200, 200, 200, 200, 200, 404, 404, 404),
    ),
    "assessments:actions": (f"{S}actions/", statuses(302, 200, 200, 200, 200, 200, 200, 404, 404, 404)),
    "assessments:action-edit": (
        f"{S}actions/{{action}}/",
        statuses(302, 200, 200, 403, 403, 403, 403, 404, 404, 404),
    ),
    "assessments:history": (f"{S}history/", statuses(302, 200, 200, 403, 403, 403, 403, 404, 404, 404)),
    "assessments:open": (f"{S}open/", statuses(302, 200, 403, 403, 403, 403, 403, 404, 404, 404)),
    "assessments:start-moderation": (
        f"{S}moderation/start/",
        statuses(302, 200, 200, 403, 403, 403, 403, 404, 404, 404),
    ),
    "assessments:sign-off": (f"{S}sign-off/", statuses(302, 403, 200, 403, 403, 403, 403, 404, 404, 404)),
    "assessments:evidence-remove": (
        f"{S}evidence/{{evidence}}/remove/",
        statuses(302, 200, 200, 403, 403, 403, 403, 404, 404, 404),
    ),
    "assessments:respondent-remove": (f"{S}respondents/1/remove/", POST_ONLY),
    "assessments:remind": (f"{S}remind/", POST_ONLY),
    "assessments:submit": (f"{S}score/submit/", POST_ONLY),
    "assessments:reopen-response": (f"{S}score/reopen/", POST_ONLY),
    "assessments:score-line": (f"{S}score/line/S1.1/", POST_ONLY),
    "assessments:agreed-score": (f"{S}moderate/line/S1.1/", POST_ONLY),
    "assessments:evidence-add": (f"{S}moderate/line/S1.1/evidence/", POST_ONLY),
    # Signed off: every member and the ICS's consultant read the report; a director's
    # own page is theirs alone (the secretary and chair are not respondents here).
    "reporting:report": (f"{S}report/", statuses(302, 200, 200, 200, 200, 200, 200, 404, 404, 404)),
    "reporting:pdf": (f"{S}report/pdf/", statuses(302, 200, 200, 200, 200, 200, 200, 404, 404, 404)),
    "reporting:seal-again": (f"{S}report/pdf/try-again/", POST_ONLY),
    "reporting:sealed-pdf": (f"{S}report/sealed/1/", statuses(302, 200, 200, 200, 200, 200, 200, 404, 404, 404)),
    "reporting:export": (f"{S}report/export/report.xlsx", statuses(302, 200, 200, 200, 200, 200, 200, 404, 404, 404)),
    "reporting:mine": (f"{S}report/mine/", statuses(302, 404, 404, 200, 200, 404, 404, 404, 404, 404)),
    "reporting:mine-pdf": (f"{S}report/mine/pdf/", statuses(302, 404, 404, 200, 200, 404, 404, 404, 404, 404)),
}


# --- POST: every state change, with valid data ---------------------------------


@dataclass
class Post:
    """A POST that does something when an allowed persona sends it."""

    path: str
    data: dict | Callable[[], dict]
    # Whether the change happened, given the user who posted: proves the data was valid.
    done: Callable[..., bool]
    mails: int = 0  # emails an allowed POST sends
    headers: dict = field(default_factory=dict)
    # Whether the change is in the assessment's history (HistoryEntry). The reporting app
    # writes only its own tables: who asked is on its own record, which `done` checks.
    history: bool = True

    def payload(self) -> dict:
        return self.data() if callable(self.data) else self.data


P = f"{A}2026/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def _deadline() -> str:
    return (timezone.localdate() + datetime.timedelta(days=21)).isoformat()


def _assessment(t, status: str, respondents=("executive", "non_executive")) -> Assessment:
    return make_assessment(
        t.trust,
        secretary=t.secretary,
        respondents=[getattr(t, name) for name in respondents],
        frameworks=[t.framework],
        status=status,
    )


def _submit(assessment: Assessment, *users) -> None:
    for respondent in assessment.respondents.filter(user__in=users):
        answer_all(respondent, level=3)
        services.submit_response(respondent, by=respondent.user)


def _status_is(assessment: Assessment, status: str) -> Callable[..., bool]:
    return lambda user: Assessment.objects.get(pk=assessment.pk).status == status


def create(t) -> Post:
    year = AssessmentForm(organisation=t.trust).fields["period_start_year"].initial
    data = {
        "title": "Board self-assessment",
        "period_start_year": year,
        "frameworks": [t.framework.pk],
        "deadline": _deadline(),
        "anonymous": "on",
    }
    return Post(
        f"{A}new/",
        data,
        lambda user: Assessment.objects.filter(organisation=t.trust, period_start_year=year, created_by=user).exists(),
    )


def edit(t) -> Post:
    assessment = _assessment(t, "draft")
    data = {
        "title": "Renamed",
        "period_start_year": assessment.period_start_year,
        "frameworks": [t.framework.pk],
        "deadline": _deadline(),
        "anonymous": "on",
    }
    return Post(f"{P}edit/", data, lambda user: Assessment.objects.get(pk=assessment.pk).title == "Renamed")


def invite(t) -> Post:
    assessment = _assessment(t, "open", respondents=["executive"])
    membership = Membership.objects.get(user=t.non_executive, organisation=t.trust)
    return Post(
        f"{P}respondents/",
        {"directors": [membership.pk]},
        lambda user: assessment.respondents.active().filter(user=t.non_executive).exists(),
        mails=1,
    )


def respondent_remove(t) -> Post:
    assessment = _assessment(t, "open")
    respondent = assessment.respondents.get(user=t.non_executive)
    return Post(
        f"{P}respondents/{respondent.pk}/remove/",
        {},
        lambda user: Respondent.objects.get(pk=respondent.pk).removed_at is not None,
    )


def remind(t) -> Post:
    assessment = _assessment(t, "open")
    return Post(
        f"{P}remind/",
        {},
        lambda user: HistoryEntry.objects.filter(assessment=assessment, action="reminded", actor=user).exists(),
        mails=2,
    )


def open_for_scoring(t) -> Post:
    assessment = _assessment(t, "draft")
    return Post(f"{P}open/", {}, _status_is(assessment, Assessment.Status.OPEN), mails=2)


def start_moderation(t) -> Post:
    assessment = _assessment(t, "open")
    _submit(assessment, t.executive)
    return Post(f"{P}moderation/start/", {}, _status_is(assessment, Assessment.Status.MODERATION))


def sign_off(t) -> Post:
    assessment = _assessment(t, "moderation")
    agree_all(assessment, by=t.secretary)
    return Post(f"{P}sign-off/", {}, _status_is(assessment, Assessment.Status.SIGNED_OFF))


def submit(t) -> Post:
    assessment = _assessment(t, "open")
    for respondent in assessment.respondents.all():
        answer_all(respondent, level=3)
    return Post(
        f"{P}score/submit/",
        {},
        lambda user: assessment.respondents.get(user=user).submitted_at is not None,
    )


def reopen_response(t) -> Post:
    assessment = _assessment(t, "open")
    _submit(assessment, t.executive, t.non_executive)
    return Post(
        f"{P}score/reopen/",
        {},
        lambda user: assessment.respondents.get(user=user).submitted_at is None,
    )


def _answers(assessment: Assessment, section_code: str):
    """The (fresh, so identical) answers of both directors to a section's lines."""
    answers = Answer.objects.filter(respondent__assessment=assessment, line__section__code=section_code)
    assert {a.version for a in answers} == {0}, "both directors' answers must start at the same version"
    return answers.filter(respondent__user__username="executive").select_related("line").order_by("line__order")


def score_line(t) -> Post:
    assessment = _assessment(t, "open")
    (answer,) = [a for a in _answers(assessment, "S1") if a.line.code == "S1.1"]
    data = {"S1.1-level": "4", "S1.1-target_level": "5", "S1.1-comment": "Strong.", "S1.1-version": answer.version}
    return Post(
        f"{P}score/line/S1.1/",
        data,
        lambda user: (
            Answer.objects.get(respondent__assessment=assessment, respondent__user=user, line__code="S1.1").level == 4
        ),
        headers=HTMX,
    )


def score_section(t) -> Post:
    assessment = _assessment(t, "open")
    data = {}
    for answer in _answers(assessment, "S1"):
        code = answer.line.code
        data |= {f"{code}-level": "2", f"{code}-target_level": "3", f"{code}-comment": "", f"{code}-version": 0}
    return Post(
        f"{P}score/S1/",
        data,
        lambda user: (
            set(
                Answer.objects.filter(
                    respondent__assessment=assessment, respondent__user=user, line__section__code="S1"
                ).values_list("level", flat=True)
            )
            == {2}
        ),
    )


def agreed_score(t) -> Post:
    assessment = _assessment(t, "moderation")
    data = {
        "S1.1-level": "3",
        "S1.1-not_assessed_reason": "",
        "S1.1-target_level": "4",
        "S1.1-target_date": _deadline(),
        "S1.1-rationale": "The board papers show it.",
        "S1.1-version": "0",  # as on the page: no agreed score yet
    }
    return Post(
        f"{P}moderate/line/S1.1/",
        data,
        lambda user: AgreedScore.objects.filter(assessment=assessment, line__code="S1.1", updated_by=user).exists(),
    )


def evidence_add(t) -> Post:
    assessment = _assessment(t, "moderation")

    def data() -> dict:  # a new upload for each POST: a file can be read once
        return {
            "evidence-S1.1-title": "Board paper",
            "evidence-S1.1-kind": "board-paper",
            "evidence-S1.1-as_at": timezone.localdate().isoformat(),
            "evidence-S1.1-url": "",
            "evidence-S1.1-file": SimpleUploadedFile("paper.pdf", PDF_BYTES, content_type="application/pdf"),
        }

    return Post(
        f"{P}moderate/line/S1.1/evidence/",
        data,
        lambda user: Evidence.objects.filter(assessment=assessment, added_by=user).exclude(file="").exists(),
    )


def evidence_remove(t) -> Post:
    assessment = _assessment(t, "moderation")
    upload = SimpleUploadedFile("paper.pdf", PDF_BYTES, content_type="application/pdf")
    evidence = services.add_evidence(
        assessment,
        t.framework.lines.get(code="S1.1"),
        services.EvidenceInput("Board paper", "board-paper", timezone.localdate(), "", upload, "application/pdf"),
        by=t.secretary,
    )
    return Post(
        f"{P}evidence/{evidence.pk}/remove/", {}, lambda user: not Evidence.objects.filter(pk=evidence.pk).exists()
    )


def action_add(t) -> Post:
    assessment = _assessment(t, "moderation")
    data = {
        "target": f"line:{t.framework.lines.get(code='S1.2').pk}",
        "description": "Review the committee structure.",
        "owner": "Chair",
        "due_date": _deadline(),
        "status": "open",
        "version": "",
    }
    return Post(
        f"{P}actions/", data, lambda user: Action.objects.filter(assessment=assessment, created_by=user).exists()
    )


def seal_again(t) -> Post:
    """A signed-off assessment whose sealed PDF failed on the worker's last attempt."""
    assessment = _assessment(t, "moderation")
    agree_all(assessment, by=t.secretary)
    record = services.sign_off(assessment, by=t.chair).latest_sign_off()
    failure = record_sealing_failure(record.pk, attempts=2, error=RuntimeError("The render crashed."))

    def done(user) -> bool:
        queued = default_task_backend.results[-1] if default_task_backend.results else None
        return (
            SealingFailure.objects.filter(pk=failure.pk, retried_by=user, retried_at__isnull=False).exists()
            and queued is not None
            and (queued.task.name, queued.args) == (seal_report.name, [record.pk])
        )

    return Post(f"{P}report/pdf/try-again/", {}, done, history=False)


def action_edit(t) -> Post:
    assessment = _assessment(t, "moderation")
    line = t.framework.lines.get(code="S1.2")
    action = services.save_action(
        assessment,
        services.ActionInput(line, None, "Do better", "Chief Executive", None, "open"),
        by=t.secretary,
    )
    data = {
        "target": f"section:{line.section_id}",
        "description": "Review the committee structure.",
        "owner": "Company Secretary",
        "due_date": "",
        "status": "in-progress",
        "version": action.version,
    }
    return Post(
        f"{P}actions/{action.pk}/",
        data,
        lambda user: Action.objects.get(pk=action.pk).description == "Review the committee structure.",
    )


#                                     anon sec  chair exec ned  obs  cons else outs staff
ONLY_SECRETARY = statuses(302, 302, 403, 403, 403, 404, 404, 404, 404, 404)
SECRETARY_AND_CHAIR = statuses(302, 302, 302, 403, 403, 404, 404, 404, 404, 404)
ONLY_CHAIR = statuses(302, 403, 302, 403, 403, 404, 404, 404, 404, 404)
RESPONDENTS = statuses(302, 403, 403, 302, 302, 404, 404, 404, 404, 404)

# url name: (set-up returning the Post, expected statuses, personas whose POST changes something).
# A refused persona's status is 302 (to sign in), 403 or 404, or 302 back to a page
# with a message if the view refuses that way; in every case nothing changes.
POST_MATRIX = {
    "assessments:create": (
        create,
        statuses(302, 302, 403, 403, 403, 403, 403, 404, 404, 404),
        {"secretary"},
    ),
    "assessments:edit": (edit, ONLY_SECRETARY, {"secretary"}),
    "assessments:respondents": (invite, ONLY_SECRETARY, {"secretary"}),
    "assessments:respondent-remove": (respondent_remove, ONLY_SECRETARY, {"secretary"}),
    "assessments:remind": (remind, ONLY_SECRETARY, {"secretary"}),
    "assessments:open": (open_for_scoring, ONLY_SECRETARY, {"secretary"}),
    "assessments:start-moderation": (start_moderation, SECRETARY_AND_CHAIR, {"secretary", "chair"}),
    "assessments:sign-off": (sign_off, ONLY_CHAIR, {"chair"}),
    "assessments:submit": (submit, RESPONDENTS, {"executive", "non_executive"}),
    "assessments:reopen-response": (reopen_response, RESPONDENTS, {"executive", "non_executive"}),
    "assessments:score-line": (
        score_line,
        statuses(302, 403, 403, 200, 200, 404, 404, 404, 404, 404),
        {"executive", "non_executive"},
    ),
    "assessments:score": (score_section, RESPONDENTS, {"executive", "non_executive"}),
    "assessments:agreed-score": (agreed_score, SECRETARY_AND_CHAIR, {"secretary", "chair"}),
    "assessments:evidence-add": (evidence_add, SECRETARY_AND_CHAIR, {"secretary", "chair"}),
    "assessments:evidence-remove": (evidence_remove, SECRETARY_AND_CHAIR, {"secretary", "chair"}),
    "assessments:actions": (action_add, SECRETARY_AND_CHAIR, {"secretary", "chair"}),
    "assessments:action-edit": (action_edit, SECRETARY_AND_CHAIR, {"secretary", "chair"}),
    # Signed off, so observers and the ICS's consultant see it: their role is refused.
    "reporting:seal-again": (
        seal_again,
        statuses(302, 302, 302, 403, 403, 403, 403, 404, 404, 404),
        {"secretary", "chair"},
    ),
}

# URLs that change nothing: a POST to them must not either.
READ_ONLY = {
    "home",
    "frameworks:list",
    "frameworks:detail",
    "organisations:detail",
    "organisations:people",
    "organisations:ics-detail",
    "assessments:list",
    "assessments:detail",
    "assessments:score-start",
    "assessments:moderate-start",
    "assessments:moderate",
    "assessments:evidence-file",
    "assessments:history",
    "reporting:report",
    "reporting:pdf",
    "reporting:sealed-pdf",
    "reporting:export",
    "reporting:mine",
    "reporting:mine-pdf",
    "reporting:check",
    "reporting:comparison",
    "reporting:comparison-trend",
    "reporting:comparison-pdf",
    "reporting:comparison-export",
    "reporting:national",
    "health",
}
# Django's own sign-in, sign-out and password views: each person acts on their own
# account only, so there is no role to check (tests/accounts/).
ACCOUNT_URLS = {
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}


def snapshot() -> dict[str, list[dict]]:
    """Every row of every table of the assessments and reporting apps (many-to-many
    tables included), and the frameworks (opening an assessment marks its frameworks in
    use)."""
    models = [
        *apps.get_app_config("assessments").get_models(include_auto_created=True),
        *apps.get_app_config("reporting").get_models(include_auto_created=True),
        Framework,
    ]
    return {model._meta.label: list(model._default_manager.order_by("pk").values()) for model in models}


# Objects that do not exist look the same as objects one may not see.
MISSING = {
    "organisations:detail": "/organisations/ZZZ9/",
    "organisations:people": "/organisations/ZZZ9/people/",
    "organisations:ics-detail": "/ics/ZZZ9/",
    "frameworks:detail": "/frameworks/matrix/99/",
    "assessments:detail": "/organisations/RA1/assessments/1999/",
    "assessments:list": "/organisations/ZZZ9/assessments/",
}

ADMIN_URLS = [
    "/admin/",
    "/admin/organisations/organisation/",
    "/admin/organisations/membership/",
    "/admin/organisations/consultantassignment/",
    "/admin/organisations/integratedcaresystem/",
    "/admin/frameworks/framework/",
    "/admin/auth/user/",
]


def _url_names(resolver: URLResolver, namespace: str = "") -> set[str]:
    names = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


class MatrixTestCase(PersonaTestCase):
    def as_persona(self, persona: str):
        self.client.logout()
        user = self.personas()[persona]
        if user is not None:
            self.client.force_login(user)

    def assertSignInRedirect(self, response):
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith("/accounts/login/?next="), response["Location"])


class PermissionMatrixTests(MatrixTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        framework = make_framework(slug="matrix")
        cls.ids = cls.assessment_with_evidence_and_action(framework, 2026)
        # Last year's, signed off: what observers and the ICS's consultant may read.
        cls.signed_off_ids = cls.assessment_with_evidence_and_action(framework, 2025, status="moderation")
        signed_off = Assessment.objects.get(organisation=cls.trust, period_start_year=2025)
        agree_all(signed_off, by=cls.chair)
        services.sign_off(signed_off, by=cls.chair)
        # Sealed as the task would (tests record tasks without running them).
        seal(signed_off.latest_sign_off())

    @classmethod
    def assessment_with_evidence_and_action(cls, framework, year: int, status: str = "open") -> dict[str, int]:
        assessment = make_assessment(
            cls.trust,
            secretary=cls.secretary,
            respondents=[cls.executive, cls.non_executive],
            frameworks=[framework],
            year=year,
            status=status,
        )
        line = framework.lines.get(code="S1.1")
        upload = SimpleUploadedFile("paper.pdf", PDF_BYTES, content_type="application/pdf")
        evidence = services.add_evidence(
            assessment,
            line,
            services.EvidenceInput("Board paper", "board-paper", assessment.deadline, "", upload, "application/pdf"),
            by=cls.secretary,
        )
        action = services.save_action(
            assessment,
            services.ActionInput(line, None, "Do better", "Chief Executive", None, "open"),
            by=cls.secretary,
        )
        return {"evidence": evidence.pk, "action": action.pk}

    def test_every_url_pattern_is_in_the_matrix(self):
        names = {name for name in _url_names(get_resolver()) if not name.startswith("admin:")}
        self.assertEqual(sorted(names - set(MATRIX)), [], "add these URLs to the permission matrix")
        self.assertEqual(sorted(set(MATRIX) - names), [], "these matrix entries name no URL")
        # ... and each is a state change (POST_MATRIX), read only, or one's own account.
        groups = [set(POST_MATRIX), READ_ONLY, ACCOUNT_URLS]
        self.assertEqual(sorted(names - set().union(*groups)), [], "add these URLs to POST_MATRIX or READ_ONLY")
        self.assertEqual(sum(len(group) for group in groups), len(names), "a URL is in two groups")
        with_year = {name for name in names if name.startswith(("assessments:", "reporting:"))} - {
            "assessments:list",
            "assessments:create",
            "reporting:check",
            "reporting:comparison",
            "reporting:comparison-trend",
            "reporting:comparison-pdf",
            "reporting:comparison-export",
            "reporting:national",
        }
        self.assertEqual(sorted(with_year - set(SIGNED_OFF_MATRIX)), [], "add these URLs to SIGNED_OFF_MATRIX")

    def test_each_persona_gets_the_expected_status(self):
        for persona in PERSONAS:
            self.as_persona(persona)
            for name, (method, path, expected) in MATRIX.items():
                with self.subTest(persona=persona, url=name):
                    response = getattr(self.client, method)(path.format(**self.ids))
                    self.assertEqual(response.status_code, expected[persona])
                    if expected[persona] == 302 and persona == "anonymous":
                        self.assertSignInRedirect(response)

    def test_each_persona_gets_the_expected_status_once_signed_off(self):
        for persona in PERSONAS:
            self.as_persona(persona)
            for name, (path, expected) in SIGNED_OFF_MATRIX.items():
                with self.subTest(persona=persona, url=name):
                    response = self.client.get(path.format(**self.signed_off_ids))
                    self.assertEqual(response.status_code, expected[persona])
                    if persona == "anonymous":
                        self.assertSignInRedirect(response)

    def test_a_post_to_a_read_only_url_changes_nothing(self):
        before = snapshot()
        for persona in PERSONAS:
            self.as_persona(persona)
            for name in sorted(READ_ONLY):
                with self.subTest(persona=persona, url=name):
                    path = MATRIX[name][1].format(**self.ids)
                    with self.captureOnCommitCallbacks(execute=True):
                        response = self.client.post(path, {"title": "Changed", "status": "signed_off"})
                    self.assertLess(response.status_code, 500)
        self.assertEqual(snapshot(), before)
        self.assertEqual(mail.outbox, [])

    def test_a_missing_object_is_404_for_everyone_signed_in(self):
        for persona in PERSONAS[1:]:
            self.as_persona(persona)
            for name, path in MISSING.items():
                with self.subTest(persona=persona, url=name):
                    self.assertEqual(self.client.get(path).status_code, 404)

    def test_the_admin_is_for_staff_only(self):
        for persona in PERSONAS:
            self.as_persona(persona)
            for path in ADMIN_URLS:
                with self.subTest(persona=persona, url=path):
                    response = self.client.get(path)
                    if persona == "staff":
                        self.assertEqual(response.status_code, 200)
                    elif persona == "anonymous":
                        self.assertEqual(response.status_code, 302)
                        self.assertRegex(response["Location"], r"^/(accounts|admin)/login/\?next=/admin/")
                    else:
                        self.assertEqual(response.status_code, 302)
                        self.assertTrue(response["Location"].startswith("/admin/login/"))


class PostMatrixTests(MatrixTestCase):
    """A valid POST to every state-changing URL as every persona. Each URL's state is
    built afresh and every POST is rolled back, so each persona meets the same state."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.framework = make_framework(slug="post-matrix")

    def setUp(self):
        # One signed-in client per persona, before the savepoints that are rolled back.
        self.clients = {}
        for persona, user in self.personas().items():
            self.clients[persona] = self.client_class()
            if user is not None:
                self.clients[persona].force_login(user)

    def test_only_the_allowed_personas_change_anything(self):
        for name, (setup, expected, allowed) in POST_MATRIX.items():
            with transaction.atomic():
                post = setup(self)
                before = snapshot()  # the same for every persona: each POST is rolled back
                for persona in PERSONAS:
                    with self.subTest(url=name, persona=persona), transaction.atomic():
                        self.check_post(post, persona, before, expected[persona], allowed=persona in allowed)
                        transaction.set_rollback(True)
                transaction.set_rollback(True)

    def check_post(self, post: Post, persona: str, before: dict, expected: int, *, allowed: bool):
        user = self.personas()[persona]
        sent, queued = len(mail.outbox), len(default_task_backend.results)
        # Emails go out when the transaction commits: run those callbacks as a commit would.
        with self.captureOnCommitCallbacks(execute=True):
            response = self.clients[persona].post(post.path, post.payload(), **post.headers)
        after = snapshot()
        if not allowed:  # checked first: a change is worse than a wrong status
            for label, rows in before.items():
                self.assertEqual(after[label], rows, f"a refused POST changed {label}")
            self.assertEqual(len(mail.outbox), sent, "a refused POST sent an email")
            self.assertEqual(len(default_task_backend.results), queued, "a refused POST queued a task")
        self.assertEqual(response.status_code, expected)
        if persona == "anonymous":
            self.assertSignInRedirect(response)
        if allowed:
            self.assertNotEqual(after, before, "nothing changed: is the POST's data valid?")
            self.assertTrue(post.done(user), "the POST did not do what it should")
            if post.history:
                self.assertTrue(
                    HistoryEntry.objects.filter(actor=user).count()
                    > sum(1 for row in before["assessments.HistoryEntry"] if row["actor_id"] == user.pk),
                    "the change is not in the history",
                )
            self.assertEqual(len(mail.outbox) - sent, post.mails, "emails sent")
