"""Read, check and store the NHS organisation reference data (fixtures/organisations/).

As with framework files, loading has two phases. `read_folder` reads every file and
checks it completely (unknown types and regions, duplicate ODS codes, memberships
pointing at an unknown ICS, predecessors that do not exist, overlapping dates),
collecting every problem with its file and row, and raises `ReferenceDataError` if
there is any. `store` then writes in one transaction, matching rows on ODS codes, so
a second run changes nothing.

`configurations.csv` lists the ICS configurations and the dates each was in force.
A trust's membership of an ICS runs across configurations while its ICB code stays
the same; when the code changes, one membership ends and the next begins. Each ICB
is also stored as an organisation of type "icb", a member of its own ICS.
"""

from __future__ import annotations

import csv
import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from ics_governance.lib.nhs import OrganisationType
from ics_governance.lib.upsert import Tally, upsert
from organisations.models import IcsMembership, IcsSuccession, IntegratedCareSystem, Organisation, Region

CONFIGURATIONS_FILE = "configurations.csv"
ORGANISATIONS_FILE = "trusts.csv"
ODS_CODE_RE = re.compile(r"^[A-Z0-9]{3,10}$")
# The trust file's words for types, as published, mapped to ours.
TYPE_WORDS = {
    "acute": OrganisationType.ACUTE,
    "mental health": OrganisationType.MENTAL_HEALTH,
    "community": OrganisationType.COMMUNITY,
    "ambulance": OrganisationType.AMBULANCE,
    "specialist": OrganisationType.SPECIALIST,
    "online": OrganisationType.ONLINE,
}
YES_NO = {"yes": True, "no": False}


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.row is None else f"{self.file}, row {self.row}"
        return f"{where}: {self.message}"


class ReferenceDataError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class Configuration:
    name: str
    valid_from: datetime.date
    valid_to: datetime.date | None
    icb_file: str
    trust_icb_file: str
    trust_icb_column: str
    row: int

    def overlaps(self, other: Configuration) -> bool:
        end = self.valid_to or datetime.date.max
        other_end = other.valid_to or datetime.date.max
        return self.valid_from <= other_end and other.valid_from <= end


@dataclass
class IcsSpec:
    ods_code: str
    name: str
    region: str
    valid_from: datetime.date
    valid_to: datetime.date | None
    predecessors: list[tuple[str, bool]] = field(default_factory=list)


@dataclass
class OrganisationSpec:
    ods_code: str
    name: str
    type: str
    foundation_trust: bool


@dataclass
class Period:
    ics: str
    valid_from: datetime.date
    valid_to: datetime.date | None
    file: str
    row: int


@dataclass
class Dataset:
    systems: dict[str, IcsSpec] = field(default_factory=dict)
    organisations: dict[str, OrganisationSpec] = field(default_factory=dict)
    memberships: dict[str, list[Period]] = field(default_factory=dict)


class _Reader:
    def __init__(self, folder: Path):
        self.folder = folder
        self.problems: list[Problem] = []

    def problem(self, file: str, row: int | None, message: str) -> None:
        self.problems.append(Problem(file, row, message))

    def rows(self, name: str, required: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
        """Yield (row number, row) with values stripped; row 1 is the header."""
        path = self.folder / name
        if not path.is_file():
            self.problem(name, None, "the file is missing.")
            return
        try:
            with path.open(newline="", encoding="utf-8-sig") as handle:
                reader = csv.DictReader(handle)
                missing = [column for column in required if column not in (reader.fieldnames or [])]
                if missing:
                    self.problem(
                        name, 1, f"the header lacks the column{'s' if len(missing) > 1 else ''} {', '.join(missing)}."
                    )
                    return
                for number, row in enumerate(reader, start=2):
                    if None in row:
                        self.problem(name, number, "the row has more values than the header has columns.")
                        continue
                    yield number, {key: (value or "").strip() for key, value in row.items()}
        except (UnicodeDecodeError, csv.Error) as exc:
            self.problem(name, None, f"cannot be read as CSV: {exc}.")

    def date(self, file: str, row: int, column: str, value: str, *, required: bool) -> datetime.date | None:
        if not value:
            if required:
                self.problem(file, row, f'"{column}" is empty.')
            return None
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            self.problem(file, row, f'"{column}" must be a date like 2026-04-01, not "{value}".')
            return None

    def ods_code(self, file: str, row: int, column: str, value: str) -> str:
        if not value:
            self.problem(file, row, f'"{column}" is empty.')
        elif not ODS_CODE_RE.match(value):
            self.problem(file, row, f'"{value}" is not an ODS code (3 to 10 capital letters and digits).')
        return value


def read_folder(folder: Path) -> Dataset:
    """Read and check every file; raise ReferenceDataError listing every problem."""
    reader = _Reader(folder)
    data = Dataset()
    configurations = _read_configurations(reader)
    _read_organisations(reader, data)
    for configuration in configurations:
        _read_systems(reader, data, configuration)
    for configuration in configurations:
        _read_memberships(reader, data, configuration)
    _check_predecessors(reader, data)
    _merge_and_check_periods(reader, data)
    _add_icb_organisations(reader, data)
    if reader.problems:
        raise ReferenceDataError(reader.problems)
    return data


def _read_configurations(reader: _Reader) -> list[Configuration]:
    name = CONFIGURATIONS_FILE
    columns = ["name", "valid_from", "valid_to", "icb_file", "trust_icb_file", "trust_icb_column"]
    configurations: list[Configuration] = []
    for row, values in reader.rows(name, columns):
        valid_from = reader.date(name, row, "valid_from", values["valid_from"], required=True)
        valid_to = reader.date(name, row, "valid_to", values["valid_to"], required=False)
        if valid_from and valid_to and valid_to < valid_from:
            reader.problem(name, row, f'"valid_to" ({valid_to}) is before "valid_from" ({valid_from}).')
            continue
        for column in ("name", "icb_file", "trust_icb_file", "trust_icb_column"):
            if not values[column]:
                reader.problem(name, row, f'"{column}" is empty.')
        if valid_from is None or not all(values[c] for c in ("icb_file", "trust_icb_file", "trust_icb_column")):
            continue
        configuration = Configuration(
            values["name"],
            valid_from,
            valid_to,
            values["icb_file"],
            values["trust_icb_file"],
            values["trust_icb_column"],
            row,
        )
        for earlier in configurations:
            if configuration.overlaps(earlier):
                reader.problem(
                    name,
                    row,
                    f'the dates overlap those of "{earlier.name}" (row {earlier.row}): '
                    "a trust cannot be in two ICS configurations on the same day.",
                )
        configurations.append(configuration)
    configurations.sort(key=lambda c: c.valid_from)
    return configurations


def _read_organisations(reader: _Reader, data: Dataset) -> None:
    name = ORGANISATIONS_FILE
    first_row: dict[str, int] = {}
    for row, values in reader.rows(name, ["ods_code", "name", "trust_type", "foundation_trust"]):
        code = reader.ods_code(name, row, "ods_code", values["ods_code"])
        if code in first_row:
            reader.problem(name, row, f'the ODS code "{code}" is used twice (first in row {first_row[code]}).')
            continue
        first_row[code] = row
        if not values["name"]:
            reader.problem(name, row, '"name" is empty.')
        kind = TYPE_WORDS.get(values["trust_type"].lower())
        if kind is None:
            reader.problem(
                name, row, f'"{values["trust_type"]}" is not a known trust type (known: {", ".join(TYPE_WORDS)}).'
            )
        foundation = YES_NO.get(values["foundation_trust"].lower())
        if foundation is None:
            reader.problem(name, row, f'"foundation_trust" must be yes or no, not "{values["foundation_trust"]}".')
        if code and kind is not None and foundation is not None:
            data.organisations[code] = OrganisationSpec(code, values["name"], kind, foundation)


def _read_systems(reader: _Reader, data: Dataset, configuration: Configuration) -> None:
    name = configuration.icb_file
    first_row: dict[str, int] = {}
    for row, values in reader.rows(name, ["ods_code", "name", "region"]):
        code = reader.ods_code(name, row, "ods_code", values["ods_code"])
        if code in first_row:
            reader.problem(name, row, f'the ODS code "{code}" is used twice (first in row {first_row[code]}).')
            continue
        first_row[code] = row
        if values["region"] not in Region.values:
            reader.problem(
                name, row, f'"{values["region"]}" is not an NHS England region (known: {", ".join(Region.values)}).'
            )
        if not values["name"]:
            reader.problem(name, row, '"name" is empty.')
        predecessors = []
        for part in filter(None, (p.strip() for p in values.get("predecessor_ods_codes", "").split(";"))):
            partial = part.endswith("(part)")
            predecessors.append((part.removesuffix("(part)").strip(), partial))
        spec = data.systems.get(code)
        if spec is None:
            data.systems[code] = IcsSpec(
                code, values["name"], values["region"], configuration.valid_from, configuration.valid_to, predecessors
            )
        else:
            # The same ICB in a later configuration: it continued, so extend its life.
            spec.name, spec.region = values["name"], values["region"]
            spec.valid_to = configuration.valid_to
            spec.predecessors += predecessors


def _read_memberships(reader: _Reader, data: Dataset, configuration: Configuration) -> None:
    name = configuration.trust_icb_file
    column = configuration.trust_icb_column
    in_configuration = {code for code, spec in data.systems.items() if _covers(spec, configuration)}
    first_row: dict[str, int] = {}
    for row, values in reader.rows(name, ["ods_code", column]):
        code = values["ods_code"]
        if code in first_row:
            reader.problem(name, row, f'the ODS code "{code}" is used twice (first in row {first_row[code]}).')
            continue
        first_row[code] = row
        if code not in data.organisations:
            reader.problem(name, row, f'"{code}" is not an organisation in {ORGANISATIONS_FILE}.')
            continue
        ics = values[column]
        if ics not in in_configuration:
            reader.problem(
                name,
                row,
                f'"{code}" is placed in ICS "{ics}", which is not an ICB of "{configuration.name}" '
                f"({configuration.icb_file}).",
            )
            continue
        data.memberships.setdefault(code, []).append(
            Period(ics, configuration.valid_from, configuration.valid_to, name, row)
        )


def _covers(spec: IcsSpec, configuration: Configuration) -> bool:
    end = spec.valid_to or datetime.date.max
    return spec.valid_from <= configuration.valid_from and (configuration.valid_to or datetime.date.max) <= end


def _check_predecessors(reader: _Reader, data: Dataset) -> None:
    for spec in data.systems.values():
        for code, _partial in spec.predecessors:
            if code not in data.systems:
                reader.problem(
                    "ICB files", None, f'"{spec.ods_code}" names a predecessor "{code}" that is not an ICB in any file.'
                )


def _merge_and_check_periods(reader: _Reader, data: Dataset) -> None:
    """Join consecutive periods in the same ICS; report any that overlap."""
    for code, periods in data.memberships.items():
        periods.sort(key=lambda p: p.valid_from)
        merged: list[Period] = []
        for period in periods:
            if merged:
                last = merged[-1]
                last_end = last.valid_to or datetime.date.max
                if period.valid_from <= last_end:
                    reader.problem(
                        period.file,
                        period.row,
                        f'"{code}" would be in two ICSs at once: its membership from {period.valid_from} '
                        f"overlaps the one from {last.valid_from} ({last.file}, row {last.row}).",
                    )
                    continue
                if (
                    last.ics == period.ics
                    and last.valid_to
                    and period.valid_from == last.valid_to + datetime.timedelta(days=1)
                ):
                    last.valid_to = period.valid_to
                    continue
            merged.append(Period(period.ics, period.valid_from, period.valid_to, period.file, period.row))
        data.memberships[code] = merged


def _add_icb_organisations(reader: _Reader, data: Dataset) -> None:
    for code, spec in data.systems.items():
        if code in data.organisations:
            reader.problem(ORGANISATIONS_FILE, None, f'the ODS code "{code}" is used by a trust and by an ICB.')
            continue
        data.organisations[code] = OrganisationSpec(code, spec.name, OrganisationType.ICB, False)
        data.memberships[code] = [Period(code, spec.valid_from, spec.valid_to, "", 0)]


# --- Storing --------------------------------------------------------------------


@transaction.atomic
def store(data: Dataset) -> dict[str, Tally]:
    """Write a checked dataset; rows are matched on ODS codes, so a rerun changes nothing.

    Organisations that are in the database but no longer in the files are kept: an
    organisation that has closed still owns its past assessments.
    """
    outcomes = {"ICSs": Tally(), "organisations": Tally(), "ICS memberships": Tally(), "successions": Tally()}
    systems = {
        code: upsert(
            IntegratedCareSystem,
            {"ods_code": code},
            {"name": spec.name, "region": spec.region, "valid_from": spec.valid_from, "valid_to": spec.valid_to},
            outcomes["ICSs"],
        )
        for code, spec in data.systems.items()
    }
    for spec in data.systems.values():
        wanted = {(systems[code].pk, partial) for code, partial in spec.predecessors}
        existing = IcsSuccession.objects.filter(successor=systems[spec.ods_code])
        for succession in existing:
            if (succession.predecessor_id, succession.partial) not in wanted:
                succession.delete()
                outcomes["successions"].deleted += 1
        have = {(s.predecessor_id, s.partial) for s in existing}
        for predecessor_id, partial in wanted - have:
            IcsSuccession.objects.create(
                predecessor_id=predecessor_id, successor=systems[spec.ods_code], partial=partial
            )
            outcomes["successions"].created += 1

    organisations = {
        code: upsert(
            Organisation,
            {"ods_code": code},
            {"name": spec.name, "type": spec.type, "foundation_trust": spec.foundation_trust},
            outcomes["organisations"],
        )
        for code, spec in data.organisations.items()
    }
    existing_periods: dict[int, set[tuple]] = {}
    for m in IcsMembership.objects.filter(organisation__in=organisations.values()):
        existing_periods.setdefault(m.organisation_id, set()).add((m.ics_id, m.valid_from, m.valid_to))
    for code, periods in data.memberships.items():
        organisation = organisations[code]
        wanted = {(systems[p.ics].pk, p.valid_from, p.valid_to) for p in periods}
        have = existing_periods.get(organisation.pk, set())
        if wanted == have:
            continue
        deleted, _ = IcsMembership.objects.filter(organisation=organisation).delete()
        outcomes["ICS memberships"].deleted += deleted
        for ics_id, valid_from, valid_to in sorted(wanted, key=lambda w: w[1]):
            IcsMembership.objects.create(
                organisation=organisation, ics_id=ics_id, valid_from=valid_from, valid_to=valid_to
            )
            outcomes["ICS memberships"].created += 1
    return outcomes
