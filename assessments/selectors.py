"""Read-only summaries for the scoring, moderation and overview pages.

Each function runs a fixed number of queries, whatever the number of lines and
respondents, and returns plain data for templates.

The confidentiality rules live here, once, for every page (and the report to come):

- only submitted answers of directors still on the assessment count;
- no figure is shown before scoring closes: while directors are still submitting, each
  new submission would change the figures, and the change is that director's answers;
- a line's distribution, mean, spread, range and comments need ANONYMITY_THRESHOLD (at
  least 3) submitted scores ("don't know" is an answer but not a score); the mean target
  needs that many targets;
- the executive and non-executive means need that many scores in each group: both
  are withheld when either group is short, because the overall mean and one group's
  mean give away the other's.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Prefetch, Q

from assessments.history import HistoryRow, history_rows
from assessments.models import AgreedScore, Answer, Assessment, Evidence, HistoryEntry, Respondent
from frameworks.models import Level, Line, LineLevelDescriptor, Scale, Section

WITHHELD = "fewer than {n} answers: withheld to keep them anonymous"


def anonymity_threshold() -> int:
    """The smallest group whose figures may be shown: the setting, never below 3."""
    return max(3, settings.ANONYMITY_THRESHOLD)


def levels_by_scale(assessment: Assessment) -> dict[int, list[Level]]:
    """The levels of every scale the assessment's frameworks use: one query."""
    levels: dict[int, list[Level]] = defaultdict(list)
    for level in Level.objects.filter(scale__frameworks__assessments=assessment).distinct().order_by("number"):
        levels[level.scale_id].append(level)
    return levels


def assessment_lines(assessment: Assessment) -> list[Line]:
    """The included lines with their sections and frameworks, in order: one query."""
    return assessment.included_lines()


@dataclass
class PreviousScore:
    """Last year's agreed score for a line, matched by line code within the framework's
    slug (so it survives a new framework version), and whether the line's wording
    changed between the two versions."""

    score: AgreedScore
    line: Line  # last year's line
    wording_changed: bool
    # The framework file's note on how the line's meaning changed since the version last
    # year's score was given on ("changed_from"); empty when the version is the same.
    changed_from: str = ""
    # Last year's scale version, when this year's lines use another: the same number may
    # have been described differently.
    earlier_scale: Scale | None = None

    @property
    def level(self):
        return self.score.level

    @property
    def not_assessed(self) -> bool:
        return self.score.not_assessed

    @property
    def target_level(self):
        return self.score.target_level


def previous_scores(assessment: Assessment, lines: list[Line]) -> dict[int, PreviousScore]:
    """Last year's agreed scores for these lines, keyed by this year's line id: one query
    (none without a last year)."""
    if not assessment.previous_id or not lines:
        return {}
    wanted = {(line.framework.slug, line.code): line for line in lines}
    found = AgreedScore.objects.filter(
        assessment_id=assessment.previous_id,
        line__framework__slug__in={slug for slug, _ in wanted},
        line__code__in={code for _, code in wanted},
    ).select_related("line__framework__scale")
    result = {}
    for score in found:
        line = wanted.get((score.line.framework.slug, score.line.code))
        if line is not None:
            other_version = score.line.framework_id != line.framework_id
            result[line.pk] = PreviousScore(
                score,
                score.line,
                wording_changed=score.line.text.strip() != line.text.strip(),
                changed_from=line.changed_from if other_version else "",
                earlier_scale=(
                    score.line.framework.scale if score.line.framework.scale_id != line.framework.scale_id else None
                ),
            )
    return result


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
    previous: dict[int, PreviousScore]
    your_changes: list[HistoryRow] = field(default_factory=list)


def scoring_progress(respondent: Respondent) -> list[SectionProgress]:
    """Lines answered per section, for the progress panel: one aggregate query."""
    rows = (
        respondent.answers.values("line__section__code", "line__section__title")
        .annotate(total=Count("pk"), answered=Count("pk", filter=Q(level__isnull=False) | Q(dont_know=True)))
        .order_by("line__framework__title", "line__section__order")
    )
    return [
        SectionProgress(r["line__section__code"], r["line__section__title"], r["answered"], r["total"]) for r in rows
    ]


def scoring_page(respondent: Respondent, section_code: str) -> ScoringPage | None:
    """Everything the scoring page of one section needs: progress per section (one
    aggregate query), the section's answers with their lines (one) and level
    descriptors (one), the director's own changes to them (one), and last year's
    agreed scores where there was a last year (one)."""
    sections = scoring_progress(respondent)
    current = list(
        respondent.answers.filter(line__section__code=section_code)
        .select_related("line__section__framework", "line__framework")
        .prefetch_related(Prefetch("line__level_descriptors", LineLevelDescriptor.objects.select_related("level")))
        .order_by("line__order")
    )
    if not current:
        return None
    # Changes to individual answers are shown to their author only, here.
    your_changes = history_rows(
        HistoryEntry.objects.filter(
            respondent=respondent, subject="Answer", line_code__in=[a.line.code for a in current]
        ).order_by("-at", "-pk")[:50]
    )
    return ScoringPage(
        sections=sections,
        answers=current,
        answered=sum(p.answered for p in sections),
        total=sum(p.total for p in sections),
        previous=previous_scores(respondent.assessment, [a.line for a in current]),
        your_changes=your_changes,
    )


@dataclass
class LineSummary:
    line: Line
    counts: list[tuple[int, int]]  # (level number, count), every level of the scale
    submitted: int = 0  # submitted answers to this line (a level or "don't know")
    dont_know: int = 0
    mean: float | None = None
    spread: float | None = None  # standard deviation of the levels given
    low: int | None = None
    high: int | None = None
    executive_mean: float | None = None
    non_executive_mean: float | None = None
    target_mean: float | None = None
    comments: list[tuple[str, str]] = field(default_factory=list)  # (who, text)
    # Why the individual figures are not shown ("" when they are).
    withheld: str = ""
    groups_withheld: str = ""
    target_withheld: bool = False  # targets set by fewer than the threshold
    agreed: AgreedScore | None = None
    previous: PreviousScore | None = None
    evidence: list[Evidence] = field(default_factory=list)
    needs_evidence: bool = False  # an agreed level that expects evidence, and none given

    @property
    def responses(self) -> int:
        return sum(count for _, count in self.counts)

    @property
    def gap(self) -> float | None:
        if self.executive_mean is None or self.non_executive_mean is None:
            return None
        return self.executive_mean - self.non_executive_mean


@dataclass
class ModerationSummary:
    lines: list[LineSummary]
    submitted: int  # directors who have submitted (and are still on the assessment)
    not_submitted: int  # directors on the assessment who have not
    figures_open: bool  # False while scoring is open: no individual figures yet
    threshold: int


def _mean(values: list[int]) -> float | None:
    return round(statistics.fmean(values), 2) if values else None


def counted_answers(assessment: Assessment):
    """The answers every figure is built from: submitted, by directors still on the
    assessment. The one definition the moderation page and the report use."""
    return Answer.objects.filter(
        respondent__assessment=assessment,
        respondent__removed_at__isnull=True,
        respondent__submitted_at__isnull=False,
    )


def moderation_summary(assessment: Assessment, lines: list[Line], levels: list[Level]) -> ModerationSummary:
    """Per line: the distribution of submitted scores, mean, spread, executive and
    non-executive means, comments (each withheld under the threshold), the agreed
    score, last year's, the evidence and whether evidence is expected. Five queries."""
    threshold = anonymity_threshold()
    counts_by_state = assessment.respondents.active().aggregate(
        submitted=Count("pk", filter=Q(submitted_at__isnull=False)),
        waiting=Count("pk", filter=Q(submitted_at__isnull=True)),
    )
    figures_open = assessment.status in (Assessment.Status.MODERATION, Assessment.Status.SIGNED_OFF)
    by_line: dict[int, list[Answer]] = defaultdict(list)
    if figures_open:
        answers = (
            counted_answers(assessment)
            .filter(line__in=lines)
            .select_related("respondent__user")
            # Comments in a fixed order that says nothing about who wrote them.
            .order_by("line_id", "comment", "pk")
        )
        for answer in answers:
            by_line[answer.line_id].append(answer)
    agreed = {s.line_id: s for s in AgreedScore.objects.filter(assessment=assessment, line__in=lines)}
    previous = previous_scores(assessment, lines)
    evidence: dict[int, list[Evidence]] = defaultdict(list)
    for item in Evidence.objects.filter(assessment=assessment, line__in=lines).order_by("as_at", "pk"):
        evidence[item.line_id].append(item)

    summaries = []
    for line in lines:
        given = [a for a in by_line[line.pk] if a.is_answered]
        score = agreed.get(line.pk)
        if score is not None:
            score.line = line  # loaded with its scale: `expects_evidence` needs no query
        summary = LineSummary(
            line=line,
            counts=[(level.number, 0) for level in levels],
            submitted=len(given),
            agreed=agreed.get(line.pk),
            previous=previous.get(line.pk),
            evidence=evidence[line.pk],
            # The evidence rule (AgreedScore.expects_evidence), on rows already loaded.
            needs_evidence=bool(score and score.expects_evidence and not evidence[line.pk]),
        )
        if not figures_open:
            summary.withheld = "shown when scoring closes"
        elif sum(a.level is not None for a in given) < threshold:
            # Counted in scores, not answers: "don't know" answers would otherwise let
            # one director's score through as the whole distribution.
            summary.withheld = WITHHELD.format(n=threshold)
        else:
            _fill_figures(summary, given, levels, anonymous=assessment.anonymous, threshold=threshold)
        summaries.append(summary)
    return ModerationSummary(
        lines=summaries,
        submitted=counts_by_state["submitted"],
        not_submitted=counts_by_state["waiting"],
        figures_open=figures_open,
        threshold=threshold,
    )


def _fill_figures(summary: LineSummary, given: list[Answer], levels: list[Level], *, anonymous: bool, threshold: int):
    scored = [a.level for a in given if a.level is not None]
    counts = {level.number: 0 for level in levels}
    for value in scored:
        counts[value] = counts.get(value, 0) + 1
    summary.counts = sorted(counts.items())
    summary.dont_know = sum(a.dont_know for a in given)
    summary.mean = _mean(scored)
    summary.spread = round(statistics.pstdev(scored), 2) if len(scored) > 1 else (0.0 if scored else None)
    summary.low = min(scored) if scored else None
    summary.high = max(scored) if scored else None
    targets = [a.target_level for a in given if a.target_level is not None]
    if len(targets) >= threshold:
        summary.target_mean = _mean(targets)
    elif targets:
        summary.target_withheld = True
    executive = [a.level for a in given if a.level is not None and a.respondent.is_executive]
    non_executive = [a.level for a in given if a.level is not None and not a.respondent.is_executive]
    if len(executive) >= threshold and len(non_executive) >= threshold:
        summary.executive_mean = _mean(executive)
        summary.non_executive_mean = _mean(non_executive)
    else:
        summary.groups_withheld = (
            f"fewer than {threshold} scores from executive or from non-executive directors: "
            "withheld to keep them anonymous"
        )
    for answer in given:
        if answer.comment:
            if anonymous:
                who = "A director"
            else:
                who = answer.respondent.user.get_full_name() or answer.respondent.user.username
            summary.comments.append((who, answer.comment))


def respondent_progress(assessment: Assessment) -> list[Respondent]:
    """Respondents with `answered` and `total` counts: one query. (Before scoring opens
    nobody has any lines yet, so `total` is 0.)"""
    return list(
        assessment.respondents.select_related("user")
        .annotate(
            answered=Count("answers", filter=Q(answers__level__isnull=False) | Q(answers__dont_know=True)),
            total=Count("answers"),
        )
        .order_by("removed_at", "user__last_name", "user__first_name")
    )
