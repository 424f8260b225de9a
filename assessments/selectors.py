"""Read-only summaries for the scoring, moderation and overview pages.

Each function runs a fixed number of queries, whatever the number of lines and
respondents, and returns plain data for templates.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q

from assessments.models import AgreedScore, Answer, Assessment, Evidence, Respondent
from frameworks.models import Level, Line, LineLevelDescriptor, Section


def levels_by_scale(assessment: Assessment) -> dict[int, list[Level]]:
    """The levels of every scale the assessment's frameworks use: one query."""
    levels: dict[int, list[Level]] = defaultdict(list)
    for level in Level.objects.filter(scale__frameworks__assessments=assessment).distinct().order_by("number"):
        levels[level.scale_id].append(level)
    return levels


def assessment_lines(assessment: Assessment) -> list[Line]:
    """The included lines with their sections and frameworks, in order: one query."""
    lines = (
        Line.objects.filter(framework__assessments=assessment)
        .select_related("section__framework")
        .order_by("framework__title", "section__order", "order")
    )
    return [line for line in lines if line.applies_to(assessment.organisation.type)]


def assessment_sections(assessment: Assessment) -> list[Section]:
    return list(
        Section.objects.filter(framework__assessments=assessment)
        .select_related("framework__scale")
        .order_by("framework__title", "order")
    )


@dataclass
class SectionProgress:
    code: str
    title: str
    answered: int = 0
    total: int = 0

    @property
    def complete(self) -> bool:
        return self.total > 0 and self.answered == self.total


@dataclass
class ScoringPage:
    sections: list[SectionProgress]
    answers: list[Answer]  # the current section's, in order, with lines and descriptors
    answered: int
    total: int
    previous: dict[int, AgreedScore]


def scoring_page(respondent: Respondent, section_code: str) -> ScoringPage | None:
    """Everything the scoring page of one section needs: progress per section (one
    aggregate query), the section's answers with their lines (one) and level
    descriptors (one), and last year's agreed scores where there was a last year."""
    rows = (
        respondent.answers.values("line__section__code", "line__section__title")
        .annotate(total=Count("pk"), answered=Count("pk", filter=Q(level__isnull=False) | Q(dont_know=True)))
        .order_by("line__framework__title", "line__section__order")
    )
    sections = [
        SectionProgress(r["line__section__code"], r["line__section__title"], r["answered"], r["total"]) for r in rows
    ]
    current = list(
        respondent.answers.filter(line__section__code=section_code)
        .select_related("line__section__framework")
        .prefetch_related(Prefetch("line__level_descriptors", LineLevelDescriptor.objects.select_related("level")))
        .order_by("line__order")
    )
    if not current:
        return None
    previous = {}
    if respondent.assessment.previous_id:
        previous = {
            s.line_id: s
            for s in AgreedScore.objects.filter(
                assessment_id=respondent.assessment.previous_id, line__in=[a.line_id for a in current]
            )
        }
    return ScoringPage(
        sections=sections,
        answers=current,
        answered=sum(p.answered for p in sections),
        total=sum(p.total for p in sections),
        previous=previous,
    )


@dataclass
class LineSummary:
    line: Line
    counts: list[tuple[int, int]]  # (level number, count), every level of the scale
    dont_know: int = 0
    unanswered: int = 0
    mean: float | None = None
    spread: float | None = None  # standard deviation of the levels given
    low: int | None = None
    high: int | None = None
    executive_mean: float | None = None
    non_executive_mean: float | None = None
    target_mean: float | None = None
    comments: list[tuple[str, str]] = field(default_factory=list)  # (who, text)
    agreed: AgreedScore | None = None
    previous: AgreedScore | None = None
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def responses(self) -> int:
        return sum(count for _, count in self.counts)

    @property
    def gap(self) -> float | None:
        if self.executive_mean is None or self.non_executive_mean is None:
            return None
        return self.executive_mean - self.non_executive_mean

    @property
    def needs_evidence(self) -> bool:
        """Level 3 and above want evidence; flagged wherever the agreed score appears."""
        return bool(self.agreed and self.agreed.level and self.agreed.level >= 3 and not self.evidence)


def _mean(values: list[int]) -> float | None:
    return round(statistics.fmean(values), 2) if values else None


def moderation_summary(assessment: Assessment, lines: list[Line], levels: list[Level]) -> list[LineSummary]:
    """Per line: the distribution of individual scores (submitted or not; removed
    respondents left out), mean, spread, executive and non-executive means, comments,
    the agreed score, last year's, and the evidence. Three queries."""
    answers = (
        Answer.objects.filter(respondent__assessment=assessment, respondent__removed_at__isnull=True, line__in=lines)
        .select_related("respondent__user")
        .order_by("respondent__invited_at")
    )
    by_line: dict[int, list[Answer]] = defaultdict(list)
    for answer in answers:
        by_line[answer.line_id].append(answer)
    agreed: dict[tuple[int, int], AgreedScore] = {
        (s.assessment_id, s.line_id): s
        for s in AgreedScore.objects.filter(
            Q(assessment=assessment) | Q(assessment_id=assessment.previous_id), line__in=lines
        )
        if s.assessment_id is not None
    }
    evidence: dict[int, list[Evidence]] = defaultdict(list)
    for item in Evidence.objects.filter(assessment=assessment, line__in=lines).order_by("as_at", "pk"):
        evidence[item.line_id].append(item)

    summaries = []
    for line in lines:
        given = by_line[line.pk]
        scored = [a.level for a in given if a.level is not None]
        counts = {level.number: 0 for level in levels}
        for value in scored:
            counts[value] = counts.get(value, 0) + 1
        summary = LineSummary(
            line=line,
            counts=sorted(counts.items()),
            dont_know=sum(a.dont_know for a in given),
            unanswered=sum(not a.is_answered for a in given),
            mean=_mean(scored),
            spread=round(statistics.pstdev(scored), 2) if len(scored) > 1 else (0.0 if scored else None),
            low=min(scored) if scored else None,
            high=max(scored) if scored else None,
            executive_mean=_mean([a.level for a in given if a.level is not None and a.respondent.is_executive]),
            non_executive_mean=_mean([a.level for a in given if a.level is not None and not a.respondent.is_executive]),
            target_mean=_mean([a.target_level for a in given if a.target_level is not None]),
            agreed=agreed.get((assessment.pk, line.pk)),
            previous=agreed.get((assessment.previous_id, line.pk)) if assessment.previous_id else None,
            evidence=evidence[line.pk],
        )
        for answer in given:
            if answer.comment:
                who = (
                    ("Executive director" if answer.respondent.is_executive else "Non-executive director")
                    if assessment.anonymous
                    else answer.respondent.user.get_full_name() or answer.respondent.user.username
                )
                summary.comments.append((who, answer.comment))
        summaries.append(summary)
    return summaries


def respondent_progress(assessment: Assessment) -> list[Respondent]:
    """Respondents with `answered` and `total` counts: one query."""
    return list(
        assessment.respondents.select_related("user")
        .annotate(
            answered=Count("answers", filter=Q(answers__level__isnull=False) | Q(answers__dont_know=True)),
            total=Count("answers"),
        )
        .order_by("removed_at", "user__last_name", "user__first_name")
    )
