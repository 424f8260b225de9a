"""The ICS comparison for consultants, its trend view and the national view for staff.

Everything is read from the summary rows written at sign-off (reporting/figures.py), so
a comparison reads a few thousand rows, never the individual scores. Medians and
quartiles come from reporting/percentiles.py (the database's percentile_cont on
PostgreSQL). The organisations are those the ICS had on the first day of the period:
their primary ICS's figures make the system's spread; trusts that also serve the system
from another one are listed, flagged, with their results left to their own system.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Avg, Count, OuterRef, Q, Subquery

from assessments.models import Assessment
from frameworks.models import Framework, Line, Section
from ics_governance.lib.nhs import OrganisationType
from organisations.models import IcsMembership, IntegratedCareSystem, Organisation
from reporting.models import LineFigure, SectionFigure
from reporting.percentiles import Quartiles, quartiles
from reporting.rollup import mean_of

# How many lines the weakest and most-disagreed lists show.
LINE_LIST = 10
COMPARED_TYPES = [t for t in OrganisationType if t != OrganisationType.ICB]


def period_start(year: int) -> datetime.date:
    return datetime.date(year, 4, 1)


def period_label(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


@dataclass
class OrganisationRow:
    organisation: Organisation
    status: str  # "signed_off", "in_progress", "none" or "elsewhere"
    home: str = ""  # the primary ICS's name, for a trust that serves this one from another
    cells: list[Decimal | None] = field(default_factory=list)
    movement: list[Decimal | None] = field(default_factory=list)
    overall: Decimal | None = None
    overall_movement: Decimal | None = None

    @property
    def status_label(self) -> str:
        return {
            "signed_off": "Signed off",
            "in_progress": "Not yet signed off",
            "none": "No assessment yet",
            "elsewhere": "Reports to its primary ICS",
        }[self.status]


@dataclass
class LineRow:
    code: str
    text: str
    mean_level: Decimal | None
    organisations: int
    mean_spread: Decimal | None
    boards: int


@dataclass
class Choice:
    framework_id: int
    slug: str
    title: str
    version: str
    period: int

    @property
    def label(self) -> str:
        return f"{self.title} {self.version}, {period_label(self.period)}"


@dataclass
class Comparison:
    ics: IntegratedCareSystem
    framework: Framework | None
    period: int | None
    previous_period: int | None
    sections: list[Section]
    rows: list[OrganisationRow]
    spread: list[Quartiles | None]
    weakest: list[LineRow]
    disagreement: list[LineRow]
    choices: list[Choice]
    types: list[str]  # the organisation types shown (all when none is chosen)
    sort: str
    descending: bool

    @property
    def compared(self) -> list[OrganisationRow]:
        return [row for row in self.rows if row.status != "elsewhere"]

    @property
    def completion(self) -> dict[str, int]:
        counts = {"signed_off": 0, "in_progress": 0, "none": 0}
        for row in self.compared:
            counts[row.status] += 1
        return counts

    @property
    def period_label(self) -> str:
        return period_label(self.period) if self.period else ""

    @property
    def previous_period_label(self) -> str:
        return period_label(self.previous_period) if self.previous_period else ""


def get_comparable_ics(user, ods_code: str) -> IntegratedCareSystem:
    """The ICS for its assigned consultants, or for staff; anyone else gets 404. One query."""
    from django.http import Http404

    systems = IntegratedCareSystem.objects.filter(ods_code=ods_code)
    if not (user.is_authenticated and user.is_staff):
        systems = systems.visible_to(user)
    ics = systems.first()
    if ics is None:
        raise Http404("No such integrated care system.")
    return ics


def ics_comparison(
    ics: IntegratedCareSystem,
    *,
    framework_id: int | None = None,
    period: int | None = None,
    types: list[str] | None = None,
    sort: str = "name",
    descending: bool = False,
) -> Comparison:
    """One ICS, one framework version, one period: six queries whatever the number of
    organisations (a test holds it)."""
    figures = list(
        SectionFigure.objects.filter(ics=ics, assessment__status=Assessment.Status.SIGNED_OFF).values_list(
            "organisation_id",
            "period_start_year",
            "framework_id",
            "framework__slug",
            "framework__title",
            "framework__version",
            "section_code",
            "maturity",
        )
    )
    choices = _choices(figures)
    chosen = _choose(choices, framework_id, period)
    types = [t for t in (types or []) if t in COMPARED_TYPES]
    if chosen is None:
        return Comparison(ics, None, period, None, [], [], [], [], [], choices, types, sort, descending)

    year = chosen.period
    sections = list(Section.objects.filter(framework_id=chosen.framework_id).select_related("framework"))
    framework = sections[0].framework if sections else Framework.objects.get(pk=chosen.framework_id)
    rows = _organisations(ics, year)
    if types:
        rows = [row for row in rows if row.organisation.type in types]
    previous = max((p for _, p, _, slug, *_ in figures if slug == chosen.slug and p < year), default=None)
    now: dict[tuple[int, str], Decimal | None] = {}
    before: dict[tuple[int, str], Decimal | None] = {}
    for organisation_id, p, fw_id, slug, _t, _v, code, maturity in figures:
        if p == year and fw_id == chosen.framework_id:
            now[(organisation_id, code)] = maturity
        elif p == previous and slug == chosen.slug:
            before[(organisation_id, code)] = maturity
    codes = [section.code for section in sections]
    for row in rows:
        if row.status != "signed_off":
            continue
        org = row.organisation.pk
        row.cells = [now.get((org, code)) for code in codes]
        row.movement = [_difference(now.get((org, code)), before.get((org, code))) for code in codes]
        row.overall = mean_of(row.cells)
        previous_cells = [before.get((org, code)) for code in codes]
        row.overall_movement = _difference(row.overall, mean_of(previous_cells)) if any(previous_cells) else None
    _sort(rows, sort, descending, codes)

    in_scope = SectionFigure.objects.filter(
        ics=ics,
        framework_id=chosen.framework_id,
        period_start_year=year,
        assessment__status=Assessment.Status.SIGNED_OFF,
    )
    if types:
        in_scope = in_scope.filter(organisation_type__in=types)
    by_section = quartiles(in_scope, group_by=["section_code"], value="maturity")
    weakest, disagreement = _lines(ics, chosen.framework_id, year, types)
    return Comparison(
        ics=ics,
        framework=framework,
        period=year,
        previous_period=previous,
        sections=sections,
        rows=rows,
        spread=[by_section.get((code,)) for code in codes],
        weakest=weakest,
        disagreement=disagreement,
        choices=choices,
        types=types,
        sort=sort,
        descending=descending,
    )


def _choices(figures) -> list[Choice]:
    seen = {}
    for _org, p, fw_id, slug, title, version, _code, _m in figures:
        seen[(fw_id, p)] = Choice(fw_id, slug, title, version, p)
    return sorted(seen.values(), key=lambda c: (-c.period, c.title, c.version))


def _choose(choices: list[Choice], framework_id: int | None, period: int | None) -> Choice | None:
    for choice in choices:
        if (framework_id is None or choice.framework_id == framework_id) and (
            period is None or choice.period == period
        ):
            return choice
    return None


def _difference(now: Decimal | None, before: Decimal | None) -> Decimal | None:
    return None if now is None or before is None else now - before


def _organisations(ics: IntegratedCareSystem, year: int) -> list[OrganisationRow]:
    """Every organisation that served the ICS on the first day of the period, with its
    assessment's status then and, for one whose primary ICS is another, that ICS: one
    query."""
    on = period_start(year)
    in_force = Q(valid_from__lte=on) & (Q(valid_to__isnull=True) | Q(valid_to__gte=on))
    status = Assessment.objects.filter(organisation=OuterRef("organisation"), period_start_year=year).values("status")
    home = (
        IcsMembership.objects.filter(in_force, organisation=OuterRef("organisation"), primary=True)
        .exclude(ics=ics)
        .values("ics__name")
    )
    memberships = (
        IcsMembership.objects.filter(in_force, ics=ics)
        .exclude(organisation__type=OrganisationType.ICB)
        .select_related("organisation")
        .annotate(status=Subquery(status[:1]), home=Subquery(home[:1]))
    )
    rows = {}
    for membership in memberships:
        organisation = membership.organisation
        if not membership.primary:
            name = (membership.home or "").removeprefix("NHS ").removesuffix(" Integrated Care Board")
            rows.setdefault(organisation.pk, OrganisationRow(organisation, "elsewhere", home=name))
            continue
        state = membership.status
        label = "signed_off" if state == Assessment.Status.SIGNED_OFF else ("in_progress" if state else "none")
        rows[organisation.pk] = OrganisationRow(organisation, label)
    return list(rows.values())


def _sort(rows: list[OrganisationRow], sort: str, descending: bool, codes: list[str]) -> None:
    """By name (the default), type, overall maturity or a section; organisations without
    figures always last, in name order."""

    def key(row: OrganisationRow):
        if sort == "type":
            return row.organisation.get_type_display()
        if sort == "overall":
            return row.overall
        if sort in codes:
            return row.cells[codes.index(sort)] if row.cells else None
        return row.organisation.name.lower()

    with_value = [row for row in rows if key(row) is not None]
    without = sorted((row for row in rows if key(row) is None), key=lambda r: r.organisation.name.lower())
    with_value.sort(key=lambda r: (key(r), r.organisation.name.lower()), reverse=descending)
    rows[:] = with_value + without


def _lines(ics, framework_id: int, year: int, types: list[str]) -> tuple[list[LineRow], list[LineRow]]:
    """The weakest lines (lowest mean agreed level across the system's boards) and those
    where boards disagree most (the mean of each board's spread of submitted scores,
    boards whose figures were withheld left out): one query."""
    text = Line.objects.filter(framework_id=framework_id, code=OuterRef("line_code")).values("text")[:1]
    figures = LineFigure.objects.filter(
        ics=ics,
        framework_id=framework_id,
        period_start_year=year,
        assessment__status=Assessment.Status.SIGNED_OFF,
    )
    if types:
        figures = figures.filter(organisation_type__in=types)
    rows = [
        LineRow(
            row["line_code"],
            row["text"] or "",
            mean_of([row["mean_level"]]),
            row["organisations"],
            None if row["mean_spread"] is None else Decimal(str(round(row["mean_spread"], 2))),
            row["boards"],
        )
        for row in figures.order_by()
        .values("line_code")
        .annotate(
            mean_level=Avg("level"),
            organisations=Count("level"),
            mean_spread=Avg("spread"),
            boards=Count("spread"),
            text=Subquery(text),
        )
    ]
    weakest = sorted((r for r in rows if r.mean_level is not None), key=lambda r: (r.mean_level, r.code))
    disagreement = sorted((r for r in rows if r.mean_spread is not None), key=lambda r: (-r.mean_spread, r.code))
    return weakest[:LINE_LIST], disagreement[:LINE_LIST]


# --- Trend and national views ------------------------------------------------------


@dataclass
class TrendRow:
    period: int
    medians: list[Quartiles | None]

    @property
    def label(self) -> str:
        return period_label(self.period)


def ics_trend(ics: IntegratedCareSystem, slug: str) -> tuple[list[Section], list[TrendRow]]:
    """The system median per section for every period with signed-off figures on this
    framework (any version; sections matched by code, titled as in the newest)."""
    figures = SectionFigure.objects.filter(
        ics=ics, framework__slug=slug, assessment__status=Assessment.Status.SIGNED_OFF
    )
    by_period = quartiles(figures, group_by=["period_start_year", "section_code"], value="maturity")
    newest = Framework.objects.filter(slug=slug).order_by("-effective_date", "-pk").first()
    sections = list(newest.sections.order_by("order")) if newest else []
    periods = sorted({p for p, _ in by_period})
    return sections, [TrendRow(p, [by_period.get((p, s.code)) for s in sections]) for p in periods]


@dataclass
class NationalRow:
    ics: IntegratedCareSystem
    medians: list[Quartiles | None]
    organisations: int


def national(slug: str, period: int) -> tuple[list[Section], list[NationalRow]]:
    """Staff only: per ICS, the median of each section for one framework and period."""
    figures = SectionFigure.objects.filter(
        framework__slug=slug, period_start_year=period, assessment__status=Assessment.Status.SIGNED_OFF
    )
    by_ics = quartiles(figures, group_by=["ics_id", "section_code"], value="maturity")
    counts = dict(
        figures.order_by().values("ics_id").annotate(n=Count("organisation", distinct=True)).values_list("ics_id", "n")
    )
    newest = Framework.objects.filter(slug=slug).order_by("-effective_date", "-pk").first()
    sections = list(newest.sections.order_by("order")) if newest else []
    systems = IntegratedCareSystem.objects.filter(pk__in=counts).order_by("name")
    return sections, [
        NationalRow(ics, [by_ics.get((ics.pk, s.code)) for s in sections], counts[ics.pk]) for ics in systems
    ]


def national_choices() -> list[tuple[str, str, int]]:
    """(slug, title, period) with signed-off figures anywhere."""
    rows = (
        SectionFigure.objects.filter(assessment__status=Assessment.Status.SIGNED_OFF)
        .order_by()
        .values_list("framework__slug", "framework__title", "period_start_year")
        .distinct()
    )
    return sorted(set(rows), key=lambda r: (-r[2], r[1]))
