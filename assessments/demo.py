"""Demo assessments for `seed_demo` (this app's command): one in progress for the demo
trust on the current framework versions, last year's signed off on the versions they
replaced (so that "start from last year", references with changed wording and carried
actions show), and last year's signed-off results for five more trusts of the demo ICS.
The demo people come first, from `organisations.demo`.

Scores are drawn from a seeded random generator, so every run builds the same data.
The current assessment goes through the services (invitations, autosaves,
submissions), so its history reads as it would in real use.
"""

from __future__ import annotations

import datetime
import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from assessments import services
from assessments.models import (
    Action,
    AgreedScore,
    Answer,
    Assessment,
    Evidence,
    HistoryEntry,
    Respondent,
    SignOffRecord,
)
from assessments.signals import assessment_signed_off
from frameworks.models import Framework
from ics_governance.lib.nhs import OrganisationType
from organisations.models import IntegratedCareSystem, Membership, Organisation

COMMENTS = [
    "Strong at board level; less consistent in divisions.",
    "We say this, but I have not seen the evidence at committee.",
    "Improved since the last CQC visit, not yet embedded.",
    "Depends heavily on two individuals.",
    "The system partners would score us lower on this.",
    "Good progress this year; the data now supports it.",
]


def current_period() -> int:
    """The NHS year runs April to March: in November 2026 the period is 2026/27."""
    today = timezone.localdate()
    return today.year if today.month >= 4 else today.year - 1


def _frameworks() -> list[Framework]:
    return list(Framework.objects.filter(status=Framework.Status.CURRENT).order_by("title"))


def _last_years_frameworks() -> list[Framework]:
    """The version each current framework replaced, where there is one: last year's
    assessments were scored on it, so the year-on-year view shows changed wording."""
    chosen = []
    for current in _frameworks():
        earlier = (
            Framework.objects.filter(slug=current.slug, status=Framework.Status.SUPERSEDED)
            .order_by("-effective_date", "-pk")
            .first()
        )
        chosen.append(earlier or current)
    return chosen


def _truth(rng: random.Random, lines) -> dict[int, int]:
    return {line.pk: rng.choice([2, 2, 3, 3, 3, 4]) for line in lines}


@transaction.atomic
def signed_off_last_year(
    organisation: Organisation, year: int, *, by, seed: int, previous: Assessment | None = None
) -> Assessment:
    """A signed-off assessment with agreed scores for every line, built directly: it
    stands for last year's work, before this tool held it."""
    existing = Assessment.objects.filter(organisation=organisation, period_start_year=year).first()
    if existing is not None:
        return existing
    rng = random.Random(seed)  # nosec B311: seeded, reproducible demo data; nothing secret is drawn
    assessment = Assessment.objects.create(
        organisation=organisation,
        ics=organisation.ics_on(datetime.date(year, 4, 1)),
        period_start_year=year,
        organisation_type=organisation.type,
        title=f"Board self-assessment {year}/{(year + 1) % 100:02d}",
        deadline=datetime.date(year, 10, 31),
        status=Assessment.Status.MODERATION,
        previous=previous,
        created_by=by,
    )
    frameworks = _last_years_frameworks()
    assessment.frameworks.set(frameworks)
    for framework in frameworks:
        framework.mark_in_use()
    lines = assessment.included_lines()
    truth = _truth(rng, lines)
    AgreedScore.objects.bulk_create(
        AgreedScore(
            assessment=assessment,
            line=line,
            level=truth[line.pk],
            target_level=min(5, truth[line.pk] + rng.choice([0, 1, 1])),
            updated_by=by,
            version=1,
            rationale="Agreed at the board development session.",
        )
        for line in lines
    )
    _submitted_answers(assessment, lines, truth, rng, by=by)
    _evidence(assessment, lines, truth, year, by=by)
    for line in rng.sample(lines, 3):
        Action.objects.create(
            assessment=assessment,
            line=line,
            description=f"Strengthen assurance for {line.code}: report to the "
            "board quarterly with evidence from the divisions.",
            owner="Director of Corporate Affairs",
            due_date=datetime.date(year + 1, 3, 31),
            status=Action.Status.IN_PROGRESS,
            created_by=by,
            version=1,
        )
    HistoryEntry.objects.create(
        assessment=assessment,
        actor=by,
        action="imported",
        subject="Assessment",
        note="Demo data: last year's results, entered for comparison.",
    )
    # Signed off on a past date, so not through services.sign_off (which stamps now);
    # like every sign-off it needs its record first (the database refuses it otherwise).
    signed_off_at = timezone.make_aware(datetime.datetime(year, 12, 12, 10, 0))
    SignOffRecord.objects.create(
        assessment=assessment, sequence=1, kind=SignOffRecord.Kind.SIGNED_OFF, by=by, at=signed_off_at
    )
    assessment.status = Assessment.Status.SIGNED_OFF
    assessment.signed_off_by = by
    assessment.signed_off_at = signed_off_at
    assessment.save(update_fields=["status", "signed_off_by", "signed_off_at"])
    return assessment


def _submitted_answers(assessment: Assessment, lines, truth: dict[int, int], rng: random.Random, *, by) -> None:
    """The directors' and the chair's submitted scores, near the agreed ones, so that the
    report's distributions and executive and non-executive means have figures."""
    scorers = Membership.objects.filter(
        organisation=assessment.organisation, role__in=[Membership.Role.DIRECTOR, Membership.Role.CHAIR]
    ).select_related("user")
    submitted_at = timezone.make_aware(datetime.datetime(assessment.period_start_year, 11, 20, 9, 0))
    for membership in scorers.order_by("user__username"):
        respondent = Respondent.objects.create(
            assessment=assessment,
            user=membership.user,
            is_executive=membership.is_executive,
            invited_by=by,
            submitted_at=submitted_at,
        )
        answers = []
        for line in lines:
            dont_know = rng.random() < 0.04
            level = None if dont_know else max(1, min(5, truth[line.pk] + rng.choice([-1, 0, 0, 0, 1])))
            target = None if level is None else min(5, level + rng.choice([0, 1]))
            answers.append(
                Answer(respondent=respondent, line=line, level=level, dont_know=dont_know, target_level=target)
            )
        Answer.objects.bulk_create(answers)


EVIDENCE_KINDS = [
    (Evidence.Kind.MINUTES, "Board minutes"),
    (Evidence.Kind.BOARD_PAPER, "Board paper"),
    (Evidence.Kind.AUDIT_REPORT, "Internal audit report"),
    (Evidence.Kind.SURVEY, "NHS Staff Survey results"),
    (Evidence.Kind.DATA, "Integrated performance report"),
]


def _evidence(assessment: Assessment, lines, truth: dict[int, int], year: int, *, by) -> None:
    """Evidence for the agreed scores that need it, but for a few left without, as boards leave them."""
    items = []
    for index, line in enumerate(line for line in lines if truth[line.pk] >= 3):
        if index % 9 == 4:
            continue
        kind, title = EVIDENCE_KINDS[index % len(EVIDENCE_KINDS)]
        items.append(
            Evidence(
                assessment=assessment,
                line=line,
                title=f"{title} ({line.code}), {year}/{(year + 1) % 100:02d}",
                kind=kind,
                as_at=datetime.date(year, 9 + index % 3, 1 + index % 27),
                url=f"https://intranet.example.nhs.uk/governance/{year}/{line.code.lower()}",
                added_by=by,
            )
        )
    Evidence.objects.bulk_create(items)


@transaction.atomic
def in_progress(organisation: Organisation, year: int, *, previous: Assessment | None, seed: int) -> Assessment:
    """This year's assessment, open for scoring: three directors have submitted, one is
    half-way, one has not started."""
    existing = Assessment.objects.filter(organisation=organisation, period_start_year=year).first()
    if existing is not None:
        return existing
    rng = random.Random(seed)  # nosec B311: seeded, reproducible demo data; nothing secret is drawn
    User = get_user_model()
    secretary = User.objects.get(username="secretary")
    details = services.AssessmentDetails(
        title=f"Board self-assessment {year}/{(year + 1) % 100:02d}",
        period_start_year=year,
        deadline=timezone.localdate() + datetime.timedelta(days=21),
        anonymous=True,
        frameworks=_frameworks(),
    )
    assessment = services.create_assessment(organisation, details, by=secretary, previous=previous)
    directors = (
        Membership.objects.filter(organisation=organisation, role=Membership.Role.DIRECTOR)
        .select_related("user")
        .order_by("user__username")
    )
    services.invite_respondents(assessment, directors, by=secretary)
    services.open_assessment(assessment, by=secretary, notify=False)
    lines = assessment.included_lines()
    truth = _truth(rng, lines)
    plan = {"director1": 1.0, "director2": 1.0, "director4": 1.0, "director3": 0.5, "director5": 0.0}
    for respondent in assessment.respondents.select_related("user", "assessment__organisation"):
        share = plan.get(respondent.user.username, 0.0)
        answers = list(
            respondent.answers.select_related("line__framework").order_by(
                "line__framework__title", "line__section__order", "line__order"
            )
        )
        for answer in answers[: round(len(answers) * share)]:
            answer.respondent = respondent
            dont_know = rng.random() < 0.05
            level = None if dont_know else max(1, min(5, truth[answer.line_id] + rng.choice([-1, 0, 0, 0, 1])))
            target = None if level is None else min(5, level + rng.choice([0, 1]))
            comment = rng.choice(COMMENTS) if rng.random() < 0.15 else ""
            services.save_answer(
                answer, services.AnswerInput(level, dont_know, target, comment, answer.version), by=respondent.user
            )
        if share == 1.0:
            services.submit_response(respondent, by=respondent.user)
    return assessment


BOARD_NAMES = [
    ("Amara", "Okafor", "executive"),
    ("Ben", "Whitaker", "non-executive"),
    ("Chloe", "Fenwick", "executive"),
    ("Dev", "Raman", "non-executive"),
    ("Ellen", "Moss", "executive"),
    ("Farid", "Haddad", "non-executive"),
]


def _board_of(organisation: Organisation):
    """A chair and six directors for another trust of the demo ICS, so that its reports
    are signed off by its own chair and its figures rest on its own directors. They
    cannot sign in (no usable password): they stand for boards the demo does not act as."""
    User = get_user_model()
    prefix = f"demo-{organisation.ods_code.lower()}"
    chair, created = User.objects.get_or_create(
        username=f"{prefix}-chair", defaults={"first_name": "Chair of", "last_name": organisation.ods_code}
    )
    if created:
        chair.set_unusable_password()
        chair.save(update_fields=["password"])
    Membership.objects.get_or_create(user=chair, organisation=organisation, defaults={"role": Membership.Role.CHAIR})
    for n, (first, last, kind) in enumerate(BOARD_NAMES, start=1):
        user, created = User.objects.get_or_create(
            username=f"{prefix}-director-{n}", defaults={"first_name": first, "last_name": last}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        Membership.objects.get_or_create(
            user=user, organisation=organisation, defaults={"role": Membership.Role.DIRECTOR, "director_kind": kind}
        )
    return chair


def seed(*, demo_trust: str, ics: str, year: int) -> list[Assessment]:
    """Build every demo assessment; returns them. Idempotent.

    The demo trust: two signed-off years and this year's in progress. Every other trust
    whose primary ICS is the demo ICS: the same two years signed off (but for the
    ambulance trust, which has only last year's), so that the consultant's comparison is
    full and shows movement."""
    User = get_user_model()
    chair = User.objects.get(username="chair")
    trust = Organisation.objects.get(ods_code=demo_trust)
    built = []
    # Two years back too, so that last year's signed-off report has a year on year.
    two_years_ago = signed_off_last_year(trust, year - 2, by=chair, seed=7)
    last_year = signed_off_last_year(trust, year - 1, by=chair, seed=1, previous=two_years_ago)
    built += [two_years_ago, last_year]
    system = IntegratedCareSystem.objects.get(ods_code=ics)
    others = (
        Organisation.objects.in_ics_on(system, datetime.date(year - 1, 4, 1), primary_only=True)
        .exclude(type=OrganisationType.ICB)
        .exclude(pk=trust.pk)
        .order_by("ods_code")
    )
    for index, organisation in enumerate(others, start=2):
        their_chair = _board_of(organisation)
        earlier = None
        if organisation.type != OrganisationType.AMBULANCE:
            earlier = signed_off_last_year(organisation, year - 2, by=their_chair, seed=index * 10)
            built.append(earlier)
        built.append(signed_off_last_year(organisation, year - 1, by=their_chair, seed=index, previous=earlier))
    built.append(in_progress(trust, year, previous=last_year, seed=99))
    # Seal last year's report, as a sign-off does (assessments.signals): with the
    # immediate task backend of `make run` the PDF is rendered now.
    transaction.on_commit(
        lambda: assessment_signed_off.send(sender=Assessment, assessment=last_year, record=last_year.latest_sign_off())
    )
    return built
