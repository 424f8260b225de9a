"""Everything the maturity report prints, read in a fixed number of queries.

The confidentiality rules are not restated here: line figures come from
`assessments.selectors.moderation_summary`, the one place that applies them (submitted
answers only, nothing from fewer than the threshold). The report adds only roll-ups of
agreed scores, which are the board's, not anyone's own.

`build_report` returns a `Report`; `Report.data()` is the canonical snapshot of every
figure printed, whose SHA-256 is printed on every page.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import FilteredRelation, Q
from django.utils import timezone

from assessments.models import Action, AgreedScore, Assessment, Evidence, Respondent, SignOffRecord
from assessments.selectors import LineSummary, anonymity_threshold, levels_by_scale, moderation_summary
from frameworks.models import Framework, Line, Section
from reporting import charts
from reporting.rollup import level_name, mean_of, spread

# The lines where the board disagrees most, on the summary page.
DISAGREEMENT_LINES = 5
# Peers are shown only as a spread of at least this many organisations, never by name.
PEER_MINIMUM = 3


@dataclass(frozen=True)
class Chart:
    """A server-drawn SVG chart as an image: the same bytes on the page and in the PDF.

    An <img> with a data URI rather than inline SVG: WeasyPrint then draws each chart
    from its own small document instead of parsing and styling every element as part of
    the report, which made a full report five times slower. The words in `alt` carry
    every figure the chart shows."""

    src: str
    alt: str
    width: str
    height: str


def as_image(svg: str, alt: str) -> Chart:
    size = re.search(r'<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"', svg)
    width, height = size.groups() if size else ("", "")
    encoded = base64.b64encode(svg.encode()).decode("ascii")
    return Chart(f"data:image/svg+xml;base64,{encoded}", alt, width, height)


@dataclass
class LineResult:
    summary: LineSummary  # figures (withheld where the rules say), agreed score, last year, evidence
    actions: list[Action] = field(default_factory=list)
    strip: Chart | None = None  # the distribution strip; None when withheld
    agreed_name: str = ""  # the agreed level's name ("Established")

    @property
    def line(self) -> Line:
        return self.summary.line

    @property
    def agreed(self) -> AgreedScore | None:
        return self.summary.agreed


@dataclass
class PeerSpread:
    peers: int
    lower_quartile: Decimal
    median: Decimal
    upper_quartile: Decimal


@dataclass
class SectionResult:
    section: Section
    lines: list[LineResult]
    maturity: Decimal | None
    level_name: str
    assessed: int  # lines with an agreed level
    not_assessed: int
    mean_individual: Decimal | None  # mean of the line means shown (withheld lines left out)
    target: Decimal | None  # mean of the agreed targets set
    last_year: Decimal | None
    last_year_lines: int
    peers: PeerSpread | None = None

    @property
    def total(self) -> int:
        return len(self.lines)

    @property
    def movement(self) -> Decimal | None:
        if self.maturity is None or self.last_year is None:
            return None
        return self.maturity - self.last_year

    @property
    def gap_to_target(self) -> Decimal | None:
        if self.maturity is None or self.target is None:
            return None
        return self.target - self.maturity


@dataclass
class FrameworkResult:
    framework: Framework
    sections: list[SectionResult]
    overall: Decimal | None
    overall_level_name: str
    last_year_overall: Decimal | None
    last_year_version: str  # last year's version of this framework, when it differs
    radar: Chart | None = None

    @property
    def movement(self) -> Decimal | None:
        if self.overall is None or self.last_year_overall is None:
            return None
        return self.overall - self.last_year_overall

    @property
    def ranked(self) -> list[SectionResult]:
        return sorted(
            (s for s in self.sections if s.maturity is not None), key=lambda s: (-s.maturity, s.section.order)
        )

    @property
    def strongest(self) -> list[SectionResult]:
        return self.ranked[:2]

    @property
    def weakest(self) -> list[SectionResult]:
        return list(reversed(self.ranked[-2:])) if len(self.ranked) > 2 else []

    @property
    def has_peers(self) -> bool:
        return any(s.peers for s in self.sections)


@dataclass
class Report:
    assessment: Assessment
    organisation_name: str
    frameworks: list[FrameworkResult]
    threshold: int
    submitted: int
    sign_off: SignOffRecord | None  # the sign-off in force; None for a draft
    actions: list[Action]
    evidence: list[Evidence]
    sign_off_records: list[SignOffRecord] = field(default_factory=list)  # newest first
    generated_at: object = field(default_factory=timezone.now)

    @property
    def is_draft(self) -> bool:
        return self.sign_off is None

    @property
    def sealed_reports(self) -> list:
        """The reports sealed at this assessment's sign-offs, newest first."""
        return [r.sealed_report for r in self.sign_off_records if hasattr(r, "sealed_report")]

    @property
    def sealed(self):
        """The sealed report of the sign-off in force, if it has been sealed."""
        return getattr(self.sign_off, "sealed_report", None) if self.sign_off else None

    @property
    def sealing_failure(self):
        """The failed sealing of the sign-off in force, while it is not sealed and nobody
        has asked to try again (reporting.models.SealingFailure)."""
        if self.sign_off is None or self.sealed is not None:
            return None
        return getattr(self.sign_off, "open_failure", None)

    @property
    def lines(self) -> list[LineResult]:
        return [line for fw in self.frameworks for section in fw.sections for line in section.lines]

    @property
    def disagreements(self) -> list[LineResult]:
        """The lines with the widest spread of submitted scores (only where shown)."""
        shown = [line for line in self.lines if line.summary.spread is not None and not line.summary.withheld]
        shown.sort(key=lambda line: (-line.summary.spread, line.line.code))
        return [line for line in shown[:DISAGREEMENT_LINES] if line.summary.spread > 0]

    @property
    def unevidenced(self) -> list[LineResult]:
        return [line for line in self.lines if line.summary.needs_evidence]

    @property
    def open_actions(self) -> list[Action]:
        return [action for action in self.actions if action.is_open]

    @property
    def as_at(self) -> datetime.date:
        """The date the report speaks for: the sign-off's, or today's for a draft."""
        moment = self.sign_off.at if self.sign_off else self.generated_at
        return timezone.localdate(moment)

    def is_overdue(self, action: Action) -> bool:
        return action.is_open and action.due_date is not None and action.due_date < self.as_at

    @property
    def overdue(self) -> list[Action]:
        return [action for action in self.actions if self.is_overdue(action)]

    def data(self) -> dict:
        """Every figure and text the report prints, as plain JSON values in a fixed
        order: the snapshot stored with a sealed report and fingerprinted on every page."""
        a = self.assessment
        return {
            "organisation": {"ods_code": a.organisation.ods_code, "name": self.organisation_name},
            "ics": a.ics.ods_code if a.ics else None,
            "period": a.period_label,
            "status": a.status,
            "sign_off": _sign_off_data(self.sign_off),
            "submitted": self.submitted,
            "threshold": self.threshold,
            "frameworks": [_framework_data(fw) for fw in self.frameworks],
            "as_at": self.as_at,
            "actions": [{**_action_data(action), "overdue": self.is_overdue(action)} for action in self.actions],
            "evidence": [_evidence_data(item) for item in self.evidence],
        }

    def data_sha256(self) -> str:
        return fingerprint(self.data())


def canonical_json(data: dict) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def fingerprint(data: dict) -> str:
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


def build_report(assessment: Assessment, *, charts: bool = True) -> Report:
    """The whole report: a fixed number of queries whatever the number of lines,
    directors or peers (a test holds it). Without `charts`, only the figures (for the
    comparison's summary rows)."""
    lines = assessment.included_lines()
    scales = levels_by_scale(assessment)
    by_scale: dict[int, list[Line]] = defaultdict(list)
    for line in lines:
        by_scale[line.framework.scale_id].append(line)
    summaries: dict[int, LineSummary] = {}
    submitted = 0
    for scale_id, scale_lines in by_scale.items():
        summary = moderation_summary(assessment, scale_lines, scales[scale_id])
        submitted = summary.submitted
        summaries.update({s.line.pk: s for s in summary.lines})

    actions = list(
        assessment.actions.select_related("line", "section", "carried_from__assessment").order_by("due_date", "pk")
    )
    actions_by_line: dict[int, list[Action]] = defaultdict(list)
    for action in actions:
        if action.line_id:
            actions_by_line[action.line_id].append(action)
    evidence = []
    for summary in summaries.values():
        for item in summary.evidence:
            item.line = summary.line  # already loaded: no query per item
            evidence.append(item)
    evidence.sort(key=lambda item: (item.line.code, item.as_at, item.pk))

    # Every sign-off and reopening, newest first, with who signed, the report sealed at
    # each and a failed sealing nobody has tried again (at most one: its constraint): one
    # query for the stamp, the sealed PDF, the earlier ones and a sealing that failed.
    open_failure = FilteredRelation("sealing_failures", condition=Q(sealing_failures__retried_at__isnull=True))
    records = list(
        assessment.sign_off_records.annotate(open_failure=open_failure)
        .select_related("by", "sealed_report", "open_failure")
        .order_by("-sequence")
    )
    signed_off = assessment.status == Assessment.Status.SIGNED_OFF and records
    sign_off = records[0] if signed_off and records[0].kind == SignOffRecord.Kind.SIGNED_OFF else None
    peers = _peer_spreads(assessment, {line.framework.slug for line in lines}, sign_off)
    last_year_versions = {
        s.previous.line.framework.slug: s.previous.line.framework.version
        for s in summaries.values()
        if s.previous is not None
    }
    frameworks: list[FrameworkResult] = []
    for framework, framework_lines in _group(lines, key=lambda line: line.framework):
        names = {level.number: level.name for level in scales[framework.scale_id]}
        sections = []
        for section, section_lines in _group(framework_lines, key=lambda line: line.section):
            results = [
                LineResult(
                    summaries[line.pk],
                    actions_by_line[line.pk],
                    _strip(summaries[line.pk]) if charts else None,
                    _agreed_name(summaries[line.pk], names),
                )
                for line in section_lines
            ]
            sections.append(_section_result(section, results, names, peers.get((framework.slug, section.code))))
        overall = mean_of(s.maturity for s in sections)
        previous_version = last_year_versions.get(framework.slug, "")
        result = FrameworkResult(
            framework=framework,
            sections=sections,
            overall=overall,
            overall_level_name=level_name(overall, names),
            last_year_overall=mean_of(s.last_year for s in sections),
            last_year_version=previous_version if previous_version != framework.version else "",
        )
        result.radar = _radar(result) if charts else None
        frameworks.append(result)

    return Report(
        assessment=assessment,
        organisation_name=_name_then(assessment),
        frameworks=frameworks,
        threshold=anonymity_threshold(),
        submitted=submitted,
        sign_off=sign_off,
        actions=actions,
        evidence=evidence,
        sign_off_records=records,
    )


def _name_then(assessment: Assessment) -> str:
    """The organisation's name in the assessment's period (its current name where the
    day of a rename is not recorded)."""
    organisation = assessment.organisation
    return organisation.name_on(datetime.date(assessment.period_start_year, 4, 1)) or organisation.name


def _group(items, *, key):
    """Consecutive runs of items with the same key, in order (lines come sorted)."""
    groups: list[tuple[object, list]] = []
    for item in items:
        k = key(item)
        if groups and groups[-1][0] == k:
            groups[-1][1].append(item)
        else:
            groups.append((k, [item]))
    return groups


def _section_result(
    section: Section, lines: list[LineResult], names: dict[int, str], peers: PeerSpread | None
) -> SectionResult:
    agreed = [line.agreed for line in lines if line.agreed is not None]
    levels = [score.level for score in agreed if score.level is not None]
    previous = [line.summary.previous for line in lines if line.summary.previous is not None]
    last_year_levels = [p.level for p in previous if p.level is not None]
    maturity = mean_of(levels)
    return SectionResult(
        section=section,
        lines=lines,
        maturity=maturity,
        level_name=level_name(maturity, names),
        assessed=len(levels),
        not_assessed=sum(score.not_assessed for score in agreed),
        mean_individual=mean_of(line.summary.mean for line in lines if not line.summary.withheld),
        target=mean_of(score.target_level for score in agreed if score.level is not None),
        last_year=mean_of(last_year_levels),
        last_year_lines=len(last_year_levels),
        peers=peers,
    )


def _peer_spread(values: list[Decimal] | None) -> PeerSpread | None:
    if not values or len(values) < PEER_MINIMUM:
        return None
    q1, median, q3 = spread(values)
    return PeerSpread(len(values), q1, median, q3)


def _peer_spreads(
    assessment: Assessment, slugs: set[str], sign_off: SignOffRecord | None
) -> dict[tuple[str, str], PeerSpread | None]:
    """The ICS peers' spread per (framework slug, section code): one query.

    A signed-off report prints the spread as it stood at its sign-off, kept with its
    summary rows (reporting/figures.py); otherwise it is worked out from the other
    signed-off assessments of the same ICS and period, without names, counting for a
    signed-off report only those signed off before it, so that it never changes as
    other trusts sign off."""
    from reporting.models import SectionFigure

    if sign_off is not None:
        frozen = list(
            SectionFigure.objects.filter(assessment=assessment).values_list(
                "framework__slug", "section_code", "peers", "peer_lower_quartile", "peer_median", "peer_upper_quartile"
            )
        )
        if frozen:
            return {
                (slug, code): PeerSpread(n, q1, median, q3) if n else None for slug, code, n, q1, median, q3 in frozen
            }
    if assessment.ics_id is None:
        return {}
    rows = AgreedScore.objects.filter(
        assessment__ics_id=assessment.ics_id,
        assessment__period_start_year=assessment.period_start_year,
        assessment__status=Assessment.Status.SIGNED_OFF,
        line__framework__slug__in=slugs,
        level__isnull=False,
    ).exclude(assessment_id=assessment.pk)
    if sign_off is not None:
        rows = rows.filter(assessment__signed_off_at__lte=sign_off.at)
    levels: dict[tuple[str, str], dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for assessment_id, slug, code, level in rows.values_list(
        "assessment_id", "line__framework__slug", "line__section__code", "level"
    ):
        levels[(slug, code)][assessment_id].append(level)
    return {key: _peer_spread([mean_of(values) for values in by_peer.values()]) for key, by_peer in levels.items()}


def _agreed_name(summary: LineSummary, names: dict[int, str]) -> str:
    agreed = summary.agreed
    return names.get(agreed.level, "") if agreed is not None and agreed.level is not None else ""


def _strip(summary: LineSummary) -> Chart | None:
    if summary.withheld or not summary.responses:
        return None
    counts = dict(summary.counts)
    agreed = summary.agreed.level if summary.agreed else None
    label = summary.line.code
    svg = charts.distribution_strip(counts, agreed=agreed, mean=summary.mean, label=label)
    ordered = [counts.get(level, 0) for level in range(1, 6)]
    return as_image(svg, charts.distribution_text(ordered, agreed=agreed, mean=summary.mean, label=label))


def _radar(result: FrameworkResult) -> Chart | None:
    if len(result.sections) < 3:
        return None
    axes = [s.section.code for s in result.sections]

    def values(attribute: str) -> list[float | None]:
        return [None if getattr(s, attribute) is None else float(getattr(s, attribute)) for s in result.sections]

    series = [
        charts.Series("Agreed", values("maturity"), "agreed"),
        charts.Series("Mean of individual scores", values("mean_individual"), "mean"),
        charts.Series("Last year (agreed)", values("last_year"), "last_year"),
        charts.Series("Target", values("target"), "target"),
    ]
    series = [s for s in series if any(v is not None for v in s.values)]
    if not series:  # a draft before any figure: nothing to draw yet
        return None
    title = f"{result.framework.title}: section maturity"
    return as_image(charts.radar(axes, series, title=title), charts.radar_text(axes, series, max_level=5, title=title))


# --- The snapshot ---------------------------------------------------------------


def _sign_off_data(record: SignOffRecord | None) -> dict | None:
    if record is None:
        return None
    by = record.by.get_full_name() or record.by.username
    return {"number": record.sequence, "by": by, "at": record.at.isoformat()}


def _framework_data(fw: FrameworkResult) -> dict:
    return {
        "slug": fw.framework.slug,
        "version": fw.framework.version,
        "overall": fw.overall,
        "last_year_overall": fw.last_year_overall,
        "last_year_version": fw.last_year_version,
        "sections": [_section_data(s) for s in fw.sections],
    }


def _section_data(s: SectionResult) -> dict:
    return {
        "code": s.section.code,
        "maturity": s.maturity,
        "assessed": s.assessed,
        "not_assessed": s.not_assessed,
        "lines": s.total,
        "mean_individual": s.mean_individual,
        "target": s.target,
        "last_year": s.last_year,
        "last_year_lines": s.last_year_lines,
        "peers": None
        if s.peers is None
        else [s.peers.peers, s.peers.lower_quartile, s.peers.median, s.peers.upper_quartile],
        "line_results": [_line_data(line) for line in s.lines],
    }


def _line_data(line: LineResult) -> dict:
    summary, agreed = line.summary, line.agreed
    previous = summary.previous
    return {
        "code": line.line.code,
        "agreed": None
        if agreed is None
        else {
            "level": agreed.level,
            "not_assessed": agreed.not_assessed,
            "reason": agreed.not_assessed_reason,
            "target": agreed.target_level,
            "target_date": agreed.target_date,
            "rationale": agreed.rationale,
        },
        "withheld": summary.withheld,
        "counts": None if summary.withheld else summary.counts,
        "dont_know": None if summary.withheld else summary.dont_know,
        "mean": summary.mean,
        "spread": summary.spread,
        "executive_mean": summary.executive_mean,
        "non_executive_mean": summary.non_executive_mean,
        "last_year": None if previous is None else [previous.level, previous.not_assessed, bool(previous.changed_from)],
        "needs_evidence": summary.needs_evidence,
        "evidence": [item.pk for item in summary.evidence],
        "actions": [action.pk for action in line.actions],
    }


def _action_data(action: Action) -> dict:
    return {
        "id": action.pk,
        "for": action.line.code if action.line_id else action.section.code,
        "description": action.description,
        "owner": action.owner,
        "due": action.due_date,
        "status": action.status,
        "carried": action.carried_from_id is not None,
    }


def _evidence_data(item: Evidence) -> dict:
    return {"id": item.pk, "line": item.line.code, "title": item.title, "kind": item.kind, "as_at": item.as_at}


# --- The director's own page ------------------------------------------------------


@dataclass
class OwnLine:
    result: LineResult
    level: int | None
    dont_know: bool
    target: int | None

    @property
    def distance(self) -> int | None:
        agreed = self.result.agreed
        if self.level is None or agreed is None or agreed.level is None:
            return None
        return abs(self.level - agreed.level)


def own_scores(report: Report, respondent: Respondent) -> list[OwnLine]:
    """A director's own answers beside the board's result, line by line: one query."""
    answers = {a.line_id: a for a in respondent.answers.all()}
    own = []
    for line in report.lines:
        answer = answers.get(line.line.pk)
        own.append(
            OwnLine(
                line,
                answer.level if answer else None,
                bool(answer and answer.dont_know),
                answer.target_level if answer else None,
            )
        )
    return own


def furthest_from_board(own: list[OwnLine], n: int = 5) -> list[OwnLine]:
    """The lines where the director's level was furthest from the agreed one; ties in
    the report's order."""
    apart = [(index, line) for index, line in enumerate(own) if line.distance]
    apart.sort(key=lambda pair: (-pair[1].distance, pair[0]))
    return [line for _, line in apart[:n]]
