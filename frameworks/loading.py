"""Read, check and store framework files (fixtures/frameworks/*.yaml).

Loading happens in two phases so that a bad file never leaves half its content
behind:

1. `read_files` parses every file and checks it completely: required fields, types,
   lengths, unique codes, a scale's levels complete and in order, references between
   lines, sections, scales and levels, and the rule that a version in use is frozen.
   It collects *every* problem, each with its file, line and place, and raises
   `FrameworkFileError` if there is any.
2. `store` writes the checked content in one transaction, matching rows on their
   natural keys, so that loading the same files twice changes nothing.

Two kinds of document exist, told apart by `kind:` - a maturity `scale` and a
`framework` version (sections and lines). The README describes the format.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from frameworks.models import (
    Framework,
    Level,
    Line,
    LineLevelDescriptor,
    Scale,
    Section,
)
from ics_governance.lib.nhs import OrganisationType
from ics_governance.lib.upsert import Tally, upsert

# Longest accepted texts. Short fields match the model's max_length; long texts are
# bounded so that a pasted document cannot end up as a line's guidance.
MAX = {
    "slug": 50,
    "version": 20,
    "code": 20,
    "name": 50,
    "title": 200,
    "publisher": 200,
    "licence": 200,
    "source_url": 500,
    "source_note": 300,
    "changed_from": 1000,
    "question": 1000,
    "text": 1000,
    "descriptor": 600,
    "evidence": 600,
    "attribution": 2000,
    "description": 2000,
    "guidance": 5000,
    "notes": 5000,
}
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]*$")


# --- Problems -------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    place: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}, line {self.line}"
        if self.place:
            where += f" ({self.place})"
        return f"{where}: {self.message}"


class FrameworkFileError(Exception):
    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# --- What a file says, once checked ---------------------------------------------


@dataclass(frozen=True)
class LevelSpec:
    number: int
    name: str
    descriptor: str
    evidence: str = ""


@dataclass
class ScaleSpec:
    file: str
    slug: str
    version: str
    name: str
    description: str
    attribution: str
    levels: list[LevelSpec]
    evidence_from: int = 3
    # Where each top-level field stands in the file, for messages.
    marks: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def label(self) -> str:
        return f"{self.slug} version {self.version}"

    def content(self) -> tuple:
        return (self.name, self.description, self.attribution, tuple(self.levels), self.evidence_from)


@dataclass(frozen=True)
class SectionSpec:
    code: str
    title: str
    question: str
    guidance: str = ""
    source_url: str = ""
    source_note: str = ""


@dataclass(frozen=True)
class LineSpec:
    code: str
    section: str
    text: str
    guidance: str = ""
    source_note: str = ""
    changed_from: str = ""
    organisation_types: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    level_descriptors: tuple[tuple[int, str], ...] = ()
    # Where the line stands in its file, for messages; not part of the content.
    mark: int | None = field(default=None, compare=False, repr=False)


@dataclass
class FrameworkSpec:
    file: str
    slug: str
    version: str
    title: str
    publisher: str
    source_url: str
    licence: str
    attribution: str
    notes: str
    status: str
    effective_date: date
    scale: str
    scale_version: str
    sections: list[SectionSpec] = field(default_factory=list)
    lines: list[LineSpec] = field(default_factory=list)
    # Where each top-level field stands in the file, for messages.
    marks: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def label(self) -> str:
        return f"{self.slug} {self.version}"

    def content(self) -> tuple:
        """Everything an assessment's scores depend on: all but the status."""
        return (
            self.title,
            self.publisher,
            self.source_url,
            self.licence,
            self.attribution,
            self.notes,
            self.effective_date,
            self.scale,
            self.scale_version,
            tuple(self.sections),
            tuple(self.lines),
        )


def scale_spec_from_db(scale: Scale) -> ScaleSpec:
    return ScaleSpec(
        file="",
        slug=scale.slug,
        version=scale.version,
        name=scale.name,
        description=scale.description,
        attribution=scale.attribution,
        levels=[LevelSpec(lv.number, lv.name, lv.descriptor, lv.evidence) for lv in scale.levels.all()],
        evidence_from=scale.evidence_from_level,
    )


def framework_spec_from_db(framework: Framework) -> FrameworkSpec:
    sections = list(framework.sections.order_by("order"))
    lines = (
        framework.lines.select_related("section")
        .prefetch_related("level_descriptors__level")
        .order_by("section__order", "order")
    )
    return FrameworkSpec(
        file=framework.source_file,
        slug=framework.slug,
        version=framework.version,
        title=framework.title,
        publisher=framework.publisher,
        source_url=framework.source_url,
        licence=framework.licence,
        attribution=framework.attribution,
        notes=framework.notes,
        status=framework.status,
        effective_date=framework.effective_date,
        scale=framework.scale.slug,
        scale_version=framework.scale.version,
        sections=[SectionSpec(s.code, s.title, s.question, s.guidance, s.source_url, s.source_note) for s in sections],
        lines=[
            LineSpec(
                code=ln.code,
                section=ln.section.code,
                text=ln.text,
                guidance=ln.guidance,
                source_note=ln.source_note,
                changed_from=ln.changed_from,
                organisation_types=tuple(ln.organisation_types),
                tags=tuple(ln.tags),
                level_descriptors=tuple((d.level.number, d.text) for d in ln.level_descriptors.all()),
            )
            for ln in lines
        ],
    )


# --- YAML with line numbers -----------------------------------------------------


class _Mapping(dict):
    """A YAML mapping that remembers where it and each of its keys stand."""

    line: int = 0
    key_lines: dict[Any, int]


class _Loader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _Mapping:
    mapping = _Mapping()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    duplicates = []
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            duplicates.append((key, key_node.start_mark.line + 1))
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    mapping.duplicate_keys = duplicates
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# Dates stay text here and are checked by us: PyYAML would raise a bare ValueError
# for an impossible date such as 2020-13-01, with no line number.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


# --- Checking one document --------------------------------------------------------


class _Checker:
    """Reads fields out of parsed YAML, noting every problem instead of stopping."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def problem(
        self,
        where: _Mapping | int | None,
        place: str,
        message: str,
        key: str | None = None,
    ) -> None:
        line: int | None
        if isinstance(where, _Mapping):
            line = where.key_lines.get(key, where.line) if key is not None else where.line
        else:
            line = where
        self.problems.append(Problem(self.file, line, place, message))

    def mapping(self, value: Any, line: int | None, place: str) -> _Mapping | None:
        if isinstance(value, _Mapping):
            for key, key_line in getattr(value, "duplicate_keys", []):
                self.problem(key_line, place, f'"{key}" is given twice.')
            return value
        self.problem(line, place, f"expected a set of named fields, found {_describe(value)}.")
        return None

    def unknown_keys(self, data: _Mapping, allowed: Iterable[str], place: str) -> None:
        allowed = set(allowed)
        for key in data:
            if key not in allowed:
                self.problem(
                    data,
                    place,
                    f'"{key}" is not a known field (known: {", ".join(sorted(allowed))}).',
                    key,
                )

    def text(
        self,
        data: _Mapping,
        key: str,
        place: str,
        *,
        required: bool = True,
        max_length: int | None = None,
        allow_numbers: bool = False,
    ) -> str:
        value = data.get(key)
        if value is None:
            if required:
                self.problem(data, place, f'"{key}" is missing.', key if key in data else None)
            return ""
        if allow_numbers and isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.problem(data, place, f'"{key}" must be text, found {_describe(value)}.', key)
            return ""
        value = value.strip()
        if required and not value:
            self.problem(data, place, f'"{key}" is empty.', key)
        limit = max_length or MAX.get(key)
        if limit is not None and len(value) > limit:
            self.problem(
                data,
                place,
                f'"{key}" is {len(value):,} characters long; the most allowed is {limit:,}.',
                key,
            )
        return value

    def items(self, data: _Mapping, key: str, place: str, *, required: bool = True) -> list[Any]:
        value = data.get(key)
        if value is None:
            if required:
                self.problem(data, place, f'"{key}" is missing.', key if key in data else None)
            return []
        if not isinstance(value, list):
            self.problem(data, place, f'"{key}" must be a list, found {_describe(value)}.', key)
            return []
        if required and not value:
            self.problem(data, place, f'"{key}" is empty.', key)
        return value

    def choices(self, data: _Mapping, key: str, place: str, allowed: Iterable[str], what: str) -> tuple[str, ...]:
        allowed = list(allowed)
        values = self.items(data, key, place, required=False)
        seen: list[str] = []
        for value in values:
            if value not in allowed:
                self.problem(
                    data,
                    place,
                    f'"{value}" is not a known {what} (known: {", ".join(allowed)}).',
                    key,
                )
            elif value in seen:
                self.problem(data, place, f'"{value}" is listed twice in "{key}".', key)
            else:
                seen.append(value)
        return tuple(seen)


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "yes/no"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f'the text "{value[:40]}"'
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a set of named fields"
    return type(value).__name__


def _check_slug(check: _Checker, data: _Mapping, place: str) -> str:
    slug = check.text(data, "slug", place)
    if slug and not SLUG_RE.match(slug):
        check.problem(
            data,
            place,
            f'"slug" must be lower-case letters, digits and hyphens, not "{slug}".',
            "slug",
        )
    return slug


def _check_code(check: _Checker, data: _Mapping, place: str) -> str:
    code = check.text(data, "code", place, allow_numbers=True)
    if code and not CODE_RE.match(code):
        check.problem(
            data,
            place,
            f'"code" may hold letters, digits, dots and hyphens only, not "{code}".',
            "code",
        )
    return code


SCALE_FIELDS = {"kind", "slug", "version", "name", "description", "attribution", "levels", "evidence_from"}
LEVEL_FIELDS = {"number", "name", "descriptor", "evidence"}
FRAMEWORK_FIELDS = {
    "kind",
    "slug",
    "version",
    "title",
    "publisher",
    "source_url",
    "licence",
    "attribution",
    "notes",
    "status",
    "effective_date",
    "scale",
    "scale_version",
    "sections",
    "lines",
}
SECTION_FIELDS = {"code", "title", "question", "guidance", "source_url", "source_note"}
LINE_FIELDS = {
    "code",
    "section",
    "text",
    "guidance",
    "source_note",
    "changed_from",
    "organisation_types",
    "tags",
    "level_descriptors",
}


def _read_scale(check: _Checker, doc: _Mapping) -> ScaleSpec:
    place = "scale"
    check.unknown_keys(doc, SCALE_FIELDS, place)
    slug = _check_slug(check, doc, place)
    spec = ScaleSpec(
        file=check.file,
        slug=slug,
        version=check.text(doc, "version", place, allow_numbers=True),
        name=check.text(doc, "name", place, max_length=200),
        description=check.text(doc, "description", place, required=False),
        attribution=check.text(doc, "attribution", place, required=False),
        levels=[],
        marks=dict(doc.key_lines),
    )
    names: set[str] = set()
    for index, raw in enumerate(check.items(doc, "levels", place), start=1):
        level_place = f"level {index}"
        data = check.mapping(raw, doc.key_lines.get("levels"), level_place)
        if data is None:
            continue
        check.unknown_keys(data, LEVEL_FIELDS, level_place)
        number = data.get("number")
        if not isinstance(number, int) or isinstance(number, bool):
            check.problem(
                data,
                level_place,
                f'"number" must be a whole number, found {_describe(number)}.',
                "number",
            )
        elif number != index:
            check.problem(
                data,
                level_place,
                f"levels must be numbered 1, 2, 3 … in order with none missing; "
                f"level {index} in the list is numbered {number}.",
                "number",
            )
        name = check.text(data, "name", level_place)
        if name and name.lower() in names:
            check.problem(data, level_place, f'the level name "{name}" is used twice.', "name")
        names.add(name.lower())
        spec.levels.append(
            LevelSpec(
                number=number if isinstance(number, int) else index,
                name=name,
                descriptor=check.text(data, "descriptor", level_place),
                evidence=check.text(data, "evidence", level_place, required=False),
            )
        )
    if 0 < len(spec.levels) < 2:
        check.problem(doc, place, "a scale needs at least two levels.", "levels")
    evidence_from = doc.get("evidence_from", 3)
    if (
        not isinstance(evidence_from, int)
        or isinstance(evidence_from, bool)
        or not (1 <= evidence_from <= max(len(spec.levels), 1))
    ):
        check.problem(
            doc,
            place,
            f'"evidence_from" must be the number of a level of this scale, found {_describe(evidence_from)}.',
            "evidence_from",
        )
    else:
        spec.evidence_from = evidence_from
    return spec


def _check_url(check: _Checker, data: _Mapping, place: str) -> str:
    url = check.text(data, "source_url", place, required=False)
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            check.problem(data, place, f'"source_url" is not a web address: "{url}".', "source_url")
    return url


def _read_framework(check: _Checker, doc: _Mapping) -> FrameworkSpec:
    place = "framework"
    check.unknown_keys(doc, FRAMEWORK_FIELDS, place)
    status = check.text(doc, "status", place)
    if status and status not in Framework.Status.values:
        check.problem(
            doc,
            place,
            f'"status" must be one of {", ".join(Framework.Status.values)}, not "{status}".',
            "status",
        )
    # Optional: some sources (a seed article, our own statements) have no address.
    source_url = _check_url(check, doc, place)
    effective = date.min
    effective_text = check.text(doc, "effective_date", place)
    if effective_text:
        try:
            effective = date.fromisoformat(effective_text)
        except ValueError:
            check.problem(
                doc,
                place,
                f'"effective_date" must be a real date like 2017-06-01, not "{effective_text}".',
                "effective_date",
            )

    spec = FrameworkSpec(
        file=check.file,
        slug=_check_slug(check, doc, place),
        version=check.text(doc, "version", place, allow_numbers=True),
        title=check.text(doc, "title", place),
        publisher=check.text(doc, "publisher", place),
        source_url=source_url,
        licence=check.text(doc, "licence", place),
        attribution=check.text(doc, "attribution", place),
        notes=check.text(doc, "notes", place, required=False),
        status=status,
        effective_date=effective,
        scale=check.text(doc, "scale", place),
        scale_version=check.text(doc, "scale_version", place, allow_numbers=True),
        marks=dict(doc.key_lines),
    )

    section_codes: dict[str, int] = {}
    for index, raw in enumerate(check.items(doc, "sections", place), start=1):
        data = check.mapping(raw, doc.key_lines.get("sections"), f"section {index}")
        if data is None:
            continue
        code = _check_code(check, data, f"section {index}")
        section_place = f"section {code or index}"
        check.unknown_keys(data, SECTION_FIELDS, section_place)
        if code in section_codes:
            check.problem(
                data,
                section_place,
                f'the section code "{code}" is used twice (first at line {section_codes[code]}).',
                "code",
            )
        elif code:
            section_codes[code] = data.line
        spec.sections.append(
            SectionSpec(
                code=code,
                title=check.text(data, "title", section_place),
                question=check.text(data, "question", section_place),
                guidance=check.text(data, "guidance", section_place, required=False),
                source_url=_check_url(check, data, section_place),
                source_note=check.text(data, "source_note", section_place, required=False),
            )
        )

    line_codes: dict[str, int] = {}
    for index, raw in enumerate(check.items(doc, "lines", place), start=1):
        data = check.mapping(raw, doc.key_lines.get("lines"), f"line {index}")
        if data is None:
            continue
        code = _check_code(check, data, f"line {index}")
        line_place = f"line {code or index}"
        check.unknown_keys(data, LINE_FIELDS, line_place)
        if code in line_codes:
            check.problem(
                data,
                line_place,
                f'the line code "{code}" is used twice (first at line {line_codes[code]}).',
                "code",
            )
        elif code and code in section_codes:
            check.problem(
                data,
                line_place,
                f'the line code "{code}" is already a section code.',
                "code",
            )
        elif code:
            line_codes[code] = data.line
        section = check.text(data, "section", line_place, allow_numbers=True)
        if section and section not in section_codes:
            known = ", ".join(section_codes) or "none"
            check.problem(
                data,
                line_place,
                f'"section" points at "{section}", which is not a section of this framework (sections: {known}).',
                "section",
            )
        descriptors: list[tuple[int, str]] = []
        raw_descriptors = data.get("level_descriptors")
        if raw_descriptors is not None:
            levels = check.mapping(raw_descriptors, data.key_lines.get("level_descriptors"), line_place)
            for number, text in (levels or {}).items():
                if not isinstance(number, int) or isinstance(number, bool):
                    check.problem(
                        levels,
                        line_place,
                        f'level descriptors are keyed by level number; "{number}" is not a number.',
                        number,
                    )
                    continue
                if not isinstance(text, str) or not text.strip():
                    check.problem(
                        levels,
                        line_place,
                        f"the descriptor for level {number} must be text.",
                        number,
                    )
                    continue
                if len(text.strip()) > MAX["descriptor"]:
                    check.problem(
                        levels,
                        line_place,
                        f"the descriptor for level {number} is {len(text.strip()):,} characters long; "
                        f"the most allowed is {MAX['descriptor']:,}.",
                        number,
                    )
                descriptors.append((number, text.strip()))
            descriptors.sort()
        spec.lines.append(
            LineSpec(
                code=code,
                section=section,
                text=check.text(data, "text", line_place),
                guidance=check.text(data, "guidance", line_place, required=False),
                source_note=check.text(data, "source_note", line_place, required=False),
                changed_from=check.text(data, "changed_from", line_place, required=False),
                organisation_types=check.choices(
                    data,
                    "organisation_types",
                    line_place,
                    OrganisationType.values,
                    "organisation type",
                ),
                tags=check.choices(data, "tags", line_place, Line.Tag.values, "tag"),
                level_descriptors=tuple(descriptors),
                mark=data.key_lines.get("level_descriptors", data.line),
            )
        )

    # Sections without lines cannot be scored; say so rather than load an empty KLOE.
    used = {line.section for line in spec.lines}
    if spec.lines:
        for code, line in section_codes.items():
            if code not in used:
                check.problem(line, f"section {code}", "the section has no lines.")
    # Lines are stored in their section's order, then in file order within it.
    order = {code: i for i, code in enumerate(section_codes)}
    spec.lines.sort(key=lambda ln: order.get(ln.section, len(order)))
    return spec


# --- Reading files --------------------------------------------------------------


@dataclass
class Batch:
    scales: list[ScaleSpec] = field(default_factory=list)
    frameworks: list[FrameworkSpec] = field(default_factory=list)


def read_files(paths: Sequence[Path], *, display_root: Path | None = None) -> Batch:
    """Parse and check every file; raise FrameworkFileError listing every problem."""
    batch = Batch()
    problems: list[Problem] = []
    for path in paths:
        name = _display(path, display_root)
        check = _Checker(name)
        try:
            raw = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(name, None, "", f"cannot be read: {exc}."))
            continue
        try:
            doc = yaml.load(raw, Loader=_Loader)  # nosec B506: _Loader subclasses yaml.SafeLoader
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            reason = getattr(exc, "problem", None) or str(exc)
            problems.append(
                Problem(
                    name,
                    mark.line + 1 if mark else None,
                    "",
                    f"is not valid YAML: {reason}.",
                )
            )
            continue
        data = check.mapping(doc, 1, "")
        if data is not None:
            kind = data.get("kind")
            if kind == "scale":
                batch.scales.append(_read_scale(check, data))
            elif kind == "framework":
                batch.frameworks.append(_read_framework(check, data))
            else:
                check.problem(
                    data,
                    "",
                    f'"kind" must be "scale" or "framework", found {_describe(kind)}.',
                    "kind",
                )
        problems.extend(check.problems)

    problems.extend(_check_batch(batch))
    if problems:
        problems.sort(key=lambda p: (p.file, p.line or 0))
        raise FrameworkFileError(problems)
    return batch


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return str(path)


def _check_batch(batch: Batch) -> list[Problem]:
    """Checks that span documents, or compare a document with the database."""
    problems: list[Problem] = []

    scales: dict[tuple[str, str], ScaleSpec] = {}
    for spec in batch.scales:
        key = (spec.slug, spec.version)
        if key in scales:
            problems.append(
                Problem(
                    spec.file,
                    spec.marks.get("version"),
                    "scale",
                    f"the scale {spec.label} is also defined in {scales[key].file}.",
                )
            )
        scales[key] = spec
        existing = Scale.objects.filter(slug=spec.slug, version=spec.version).prefetch_related("levels").first()
        if existing and existing.is_in_use and scale_spec_from_db(existing).content() != spec.content():
            problems.append(
                Problem(
                    spec.file,
                    spec.marks.get("version"),
                    "scale",
                    f"the scale {spec.label} is used by a framework version that assessments use, so it cannot "
                    'change: last year\'s levels must keep their meaning. Publish a new file with a new "version" '
                    'and point the next framework versions at it with "scale_version".',
                )
            )

    levels_of = {key: {lv.number for lv in spec.levels} for key, spec in scales.items()}
    for scale in Scale.objects.prefetch_related("levels"):
        levels_of.setdefault((scale.slug, scale.version), {lv.number for lv in scale.levels.all()})

    seen: dict[tuple[str, str], str] = {}
    for spec in batch.frameworks:
        key = (spec.slug, spec.version)
        if key in seen:
            problems.append(
                Problem(
                    spec.file,
                    spec.marks.get("version"),
                    "framework",
                    f"{spec.label} is also defined in {seen[key]}.",
                )
            )
        seen[key] = spec.file
        scale_key = (spec.scale, spec.scale_version)
        if spec.scale and spec.scale_version and scale_key not in levels_of:
            known = ", ".join(f"{slug} version {version}" for slug, version in sorted(levels_of)) or "none loaded"
            problems.append(
                Problem(
                    spec.file,
                    spec.marks.get("scale"),
                    "framework",
                    f'"scale" and "scale_version" point at {spec.scale} version {spec.scale_version}, which is not '
                    f"a known scale (known: {known}).",
                )
            )
        numbers = levels_of.get(scale_key, set())
        for line in spec.lines:
            for number, _text in line.level_descriptors:
                if numbers and number not in numbers:
                    problems.append(
                        Problem(
                            spec.file,
                            line.mark,
                            f"line {line.code}",
                            f"level {number} is out of range: the scale {spec.scale} version "
                            f"{spec.scale_version} has levels {min(numbers)} to {max(numbers)}.",
                        )
                    )
        existing = Framework.objects.filter(slug=spec.slug, version=spec.version).select_related("scale").first()
        if existing and existing.is_in_use and framework_spec_from_db(existing).content() != spec.content():
            problems.append(
                Problem(
                    spec.file,
                    spec.marks.get("version"),
                    "framework",
                    f"{spec.label} is used by assessments, so its content cannot change: last year's scores "
                    "must keep their meaning. Publish the change as a new version (a new file with a new "
                    '"version") and mark this one "superseded".',
                )
            )

    # At most one current version per framework, counting what is already loaded.
    current: dict[str, list[str]] = {}
    in_batch = {(s.slug, s.version) for s in batch.frameworks}
    for spec in batch.frameworks:
        if spec.status == Framework.Status.CURRENT:
            current.setdefault(spec.slug, []).append(f"{spec.version} ({spec.file})")
    for fw in Framework.objects.filter(status=Framework.Status.CURRENT):
        if (fw.slug, fw.version) not in in_batch:
            current.setdefault(fw.slug, []).append(f"{fw.version} (already loaded)")
    for slug, versions in current.items():
        if len(versions) > 1:
            first = next((s for s in batch.frameworks if s.slug == slug), None)
            problems.append(
                Problem(
                    first.file if first else slug,
                    first.marks.get("status") if first else None,
                    "framework",
                    f'only one version of "{slug}" can be current, but these are: {", ".join(versions)}. '
                    'Mark the older one "superseded".',
                )
            )
    return problems


# --- Storing --------------------------------------------------------------------


@dataclass
class Outcome(Tally):
    label: str = ""
    is_new: bool = False

    def __str__(self) -> str:
        if not self.changed:
            return f"{self.label}: unchanged"
        if self.is_new:
            return f"{self.label}: created ({self.created} rows)"
        return f"{self.label}: updated ({self.created} added, {self.updated} changed, {self.deleted} removed)"


def _delete(queryset, outcome: Outcome) -> None:
    count = queryset.count()
    if count:
        queryset.delete()
        outcome.deleted += count


@transaction.atomic
def store(batch: Batch) -> list[Outcome]:
    """Write a checked batch; rows are matched on natural keys, so a rerun changes nothing."""
    outcomes = [_store_scale(spec) for spec in batch.scales]
    # Supersede before promoting, so the one-current-version constraint holds throughout.
    ordered = sorted(batch.frameworks, key=lambda s: s.status == Framework.Status.CURRENT)
    outcomes += [_store_framework(spec) for spec in ordered]
    return outcomes


def _store_scale(spec: ScaleSpec) -> Outcome:
    outcome = Outcome(
        label=f"scale {spec.label} ({spec.file})",
        is_new=not Scale.objects.filter(slug=spec.slug, version=spec.version).exists(),
    )
    scale = upsert(
        Scale,
        {"slug": spec.slug, "version": spec.version},
        {
            "name": spec.name,
            "description": spec.description,
            "attribution": spec.attribution,
            "evidence_from_level": spec.evidence_from,
        },
        outcome,
    )
    for level in spec.levels:
        upsert(
            Level,
            {"scale": scale, "number": level.number},
            {
                "name": level.name,
                "descriptor": level.descriptor,
                "evidence": level.evidence,
            },
            outcome,
        )
    _delete(scale.levels.exclude(number__in=[lv.number for lv in spec.levels]), outcome)
    return outcome


def _store_framework(spec: FrameworkSpec) -> Outcome:
    existing = Framework.objects.filter(slug=spec.slug, version=spec.version).first()
    outcome = Outcome(label=f"framework {spec.label} ({spec.file})", is_new=existing is None)
    values = {
        "title": spec.title,
        "publisher": spec.publisher,
        "source_url": spec.source_url,
        "licence": spec.licence,
        "attribution": spec.attribution,
        "notes": spec.notes,
        "status": spec.status,
        "effective_date": spec.effective_date,
        "scale": Scale.objects.get(slug=spec.scale, version=spec.scale_version),
        "source_file": spec.file,
    }
    if existing is not None and existing.is_in_use:
        # Checked already: only the status (and where the file lives) may differ.
        values = {"status": spec.status, "source_file": spec.file}
    framework = upsert(Framework, {"slug": spec.slug, "version": spec.version}, values, outcome)
    if framework.is_in_use:
        return outcome

    _delete(framework.lines.exclude(code__in=[ln.code for ln in spec.lines]), outcome)
    _delete(framework.sections.exclude(code__in=[s.code for s in spec.sections]), outcome)
    sections = {}
    for order, section in enumerate(spec.sections, start=1):
        sections[section.code] = upsert(
            Section,
            {"framework": framework, "code": section.code},
            {
                "title": section.title,
                "question": section.question,
                "guidance": section.guidance,
                "source_url": section.source_url,
                "source_note": section.source_note,
                "order": order,
            },
            outcome,
        )
    levels = {lv.number: lv for lv in framework.scale.levels.all()}
    position: dict[str, int] = {}
    for line in spec.lines:
        position[line.section] = position.get(line.section, 0) + 1
        obj = upsert(
            Line,
            {"framework": framework, "code": line.code},
            {
                "section": sections[line.section],
                "text": line.text,
                "guidance": line.guidance,
                "source_note": line.source_note,
                "changed_from": line.changed_from,
                "organisation_types": list(line.organisation_types),
                "tags": list(line.tags),
                "order": position[line.section],
            },
            outcome,
        )
        numbers = [number for number, _ in line.level_descriptors]
        _delete(obj.level_descriptors.exclude(level__number__in=numbers), outcome)
        for number, text in line.level_descriptors:
            upsert(
                LineLevelDescriptor,
                {"line": obj, "level": levels[number]},
                {"text": text},
                outcome,
            )
    return outcome
