"""Plain functions that build test data (djangoproject.com's style, no factory_boy)."""

from __future__ import annotations

import datetime
import itertools

from frameworks.models import Framework, Level, Line, Scale, Section

_counter = itertools.count(1)

LEVEL_NAMES = ["Emerging", "Developing", "Established", "Embedded", "Exemplary"]


def make_scale(slug: str = "test-scale") -> Scale:
    scale = Scale.objects.create(slug=slug, name=f"Scale {slug}")
    for number, name in enumerate(LEVEL_NAMES, start=1):
        Level.objects.create(scale=scale, number=number, name=name, descriptor=f"{name} descriptor")
    return scale


def make_framework(
    *,
    slug: str | None = None,
    version: str = "1",
    sections: int = 2,
    lines_per_section: int = 3,
    scale: Scale | None = None,
    status: str = Framework.Status.CURRENT,
) -> Framework:
    n = next(_counter)
    framework = Framework.objects.create(
        slug=slug or f"framework-{n}",
        version=version,
        title=f"Framework {n}",
        publisher="Test publisher",
        source_url="https://example.org/framework",
        licence="Test licence",
        attribution="Test attribution",
        status=status,
        effective_date=datetime.date(2024, 4, 1),
        scale=scale or make_scale(f"scale-{n}"),
    )
    for s in range(1, sections + 1):
        section = Section.objects.create(
            framework=framework, code=f"S{s}", title=f"Section {s}", question=f"Question {s}?", order=s
        )
        for i in range(1, lines_per_section + 1):
            Line.objects.create(framework=framework, section=section, code=f"S{s}.{i}", text=f"Line {s}.{i}", order=i)
    return framework


def make_assessment(
    organisation,
    *,
    secretary,
    respondents=(),
    frameworks=None,
    year: int = 2026,
    status: str = "open",
    anonymous: bool = True,
    previous=None,
):
    """An assessment built through the services, as far as `status` ("draft", "open",
    "moderation"). `respondents` are users with director or chair memberships."""
    from django.utils import timezone

    from assessments import services
    from organisations.models import Membership

    details = services.AssessmentDetails(
        title=f"Board self-assessment {year}",
        period_start_year=year,
        deadline=timezone.localdate() + datetime.timedelta(days=14),
        anonymous=anonymous,
        frameworks=list(frameworks) if frameworks is not None else [make_framework()],
    )
    assessment = services.create_assessment(organisation, details, by=secretary, previous=previous)
    memberships = Membership.objects.filter(organisation=organisation, user__in=list(respondents))
    if respondents:
        services.invite_respondents(assessment, memberships, by=secretary)
    if status in ("open", "moderation"):
        services.open_assessment(assessment, by=secretary, notify=False)
    if status == "moderation":
        for respondent in assessment.respondents.all():
            answer_all(respondent, level=3)
            services.submit_response(respondent, by=respondent.user)
        services.start_moderation(assessment, by=secretary)
    assessment.refresh_from_db()
    return assessment


def answer_all(respondent, *, level: int = 3) -> None:
    from assessments import services

    for answer in respondent.answers.select_related("line__framework", "respondent__assessment"):
        services.save_answer(answer, services.AnswerInput(level, False, None, "", answer.version), by=respondent.user)


def agree_all(assessment, *, by, level: int = 2) -> None:
    from assessments import services

    for line in assessment.included_lines():
        services.record_agreed_score(
            assessment, line, services.AgreedInput(level, False, "", None, None, "Agreed.", None), by=by
        )


def make_signed_off(*, framework: Framework | None = None):
    """A small signed-off assessment of its own trust (RA1, in the ICS QAA), with a
    secretary, a chair and one executive director (usernames "secretary", "chair",
    "director"), every line agreed. Signing off queues the sealing on the task backend
    in force (the tests' default, Dummy, never runs it). Returns the assessment."""
    from assessments import services
    from tests.base import add_member, make_ics, make_org, make_user

    trust = make_org("RA1", "North Hospitals NHS Trust", make_ics("QAA", "North"))
    secretary, chair, director = make_user("secretary"), make_user("chair"), make_user("director")
    add_member(secretary, trust, "secretary")
    add_member(chair, trust, "chair")
    add_member(director, trust, "director", "executive")
    assessment = make_assessment(
        trust,
        secretary=secretary,
        respondents=[director],
        frameworks=[framework or make_framework()],
        status="moderation",
    )
    agree_all(assessment, by=chair)
    return services.sign_off(assessment, by=chair)


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def reopen_for_cleanup() -> None:
    """Reopen every signed-off assessment so that a test database can be emptied row by
    row (SQLite's flush), the way the lock allows: a reopening record, then the status."""
    from assessments.models import Assessment, SignOffRecord, unlocked

    for assessment in Assessment.objects.filter(status=Assessment.Status.SIGNED_OFF):
        latest = assessment.sign_off_records.order_by("-sequence").first()
        SignOffRecord.objects.create(
            assessment=assessment,
            sequence=(latest.sequence if latest else 0) + 1,
            kind=SignOffRecord.Kind.REOPENED,
            by_id=latest.by_id if latest else assessment.created_by_id,
            reason="Test clean-up",
        )
        with unlocked():
            Assessment.objects.filter(pk=assessment.pk).update(status=Assessment.Status.MODERATION)
