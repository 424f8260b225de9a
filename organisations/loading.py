"""Read, check and store the NHS organisation reference data (fixtures/organisations/).

As with framework files, loading has phases. `read_folder` reads every file and
checks it completely (unknown types and regions, duplicate ODS codes, memberships
pointing at an unknown ICS, trusts listed in a configuration they did not exist in
or missing from one they did, names whose dates overlap, predecessors that do not
exist), collecting every problem with its file and row, and raises
`ReferenceDataError` if there is any. `store` then checks the data against the
database (a file may not move an existing record that is pinned to a trust's ICS,
see organisations/pins.py) and writes in one transaction, matching rows on ODS
codes, so a second run changes nothing.

`configurations.csv` lists the ICS configurations, the dates each was in force and
its files: the ICBs, the trusts that existed in it with the ICB of their
headquarters (their **primary** ICS), and the further systems some trusts serve.
Adding a configuration is a new row and new files, never new code. A trust's
membership runs from the later of the configuration's start and the trust's opening
to the earlier of its end and the trust's closing, and continues across
configurations while the ICB code (and whether it is primary) stays the same. Each
ICB is also stored as an organisation of type "icb", a primary member of its own ICS.
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
from organisations.models import (
    IcsMembership,
    IcsSuccession,
    IntegratedCareSystem,
    Organisation,
    OrganisationName,
    Region,
)
from organisations.pins import pinned_records

CONFIGURATIONS_FILE = "configurations.csv"
ORGANISATIONS_FILE = "trusts.csv"
NAMES_FILE = "trust_names.csv"
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
ONE_DAY = datetime.timedelta(days=1)


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
    trust_file: str
    serves_file: str
    row: int

    def overlaps(self, other: Configuration) -> bool:
        return _overlap(self.valid_from, self.valid_to, other.valid_from, other.valid_to)


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
    opened_on: datetime.date | None = None
    closed_on: datetime.date | None = None
    row: int = 0


@dataclass
class NameSpec:
    name: str
    valid_from: datetime.date | None
    valid_to: datetime.date | None
    source: str
    row: int


@dataclass
class Period:
    ics: str
    valid_from: datetime.date
    valid_to: datetime.date | None
    file: str
    row: int
    primary: bool = True
    source: str = ""


@dataclass
class Dataset:
    systems: dict[str, IcsSpec] = field(default_factory=dict)
    organisations: dict[str, OrganisationSpec] = field(default_factory=dict)
    names: dict[str, list[NameSpec]] = field(default_factory=dict)
    memberships: dict[str, list[Period]] = field(default_factory=dict)

    def primary_on(self, code: str, on: datetime.date) -> Period | None:
        for period in self.memberships.get(code, []):
            if period.primary and _overlap(period.valid_from, period.valid_to, on, on):
                return period
        return None


def _overlap(a_from, a_to, b_from, b_to) -> bool:
    return a_from <= (b_to or datetime.date.max) and b_from <= (a_to or datetime.date.max)


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
    _read_names(reader, data)
    for configuration in configurations:
        _read_systems(reader, data, configuration)
    for configuration in configurations:
        _read_memberships(reader, data, configuration)
    _check_predecessors(reader, data)
    _merge_periods(data)
    _add_icb_organisations(reader, data)
    if reader.problems:
        raise ReferenceDataError(reader.problems)
    return data


def _read_configurations(reader: _Reader) -> list[Configuration]:
    name = CONFIGURATIONS_FILE
    columns = ["name", "valid_from", "valid_to", "icb_file", "trust_file", "serves_file"]
    configurations: list[Configuration] = []
    for row, values in reader.rows(name, columns):
        valid_from = reader.date(name, row, "valid_from", values["valid_from"], required=True)
        valid_to = reader.date(name, row, "valid_to", values["valid_to"], required=False)
        if valid_from and valid_to and valid_to < valid_from:
            reader.problem(name, row, f'"valid_to" ({valid_to}) is before "valid_from" ({valid_from}).')
            continue
        # serves_file may be empty: a configuration in which no trust serves a second system.
        for column in ("name", "icb_file", "trust_file"):
            if not values[column]:
                reader.problem(name, row, f'"{column}" is empty.')
        if valid_from is None or not all(values[c] for c in ("icb_file", "trust_file")):
            continue
        configuration = Configuration(
            values["name"],
            valid_from,
            valid_to,
            values["icb_file"],
            values["trust_file"],
            values["serves_file"],
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
    columns = ["ods_code", "name", "trust_type", "foundation_trust", "opened_on", "closed_on"]
    for row, values in reader.rows(name, columns):
        code = reader.ods_code(name, row, "ods_code", values["ods_code"])
        if code in first_row:
            reader.problem(name, row, f'the ODS code "{code}" is used twice (first in row {first_row[code]}).')
            continue
        first_row[code] = row
        if not values["name"]:
            reader.problem(name, row, '"name" is empty.')
        opened_on = reader.date(name, row, "opened_on", values["opened_on"], required=False)
        closed_on = reader.date(name, row, "closed_on", values["closed_on"], required=False)
        if opened_on and closed_on and closed_on < opened_on:
            reader.problem(name, row, f'"closed_on" ({closed_on}) is before "opened_on" ({opened_on}).')
        # An empty type is allowed only for a closed trust whose type the sources do
        # not give (SOURCES.md lists them): an open trust can still be assessed, and
        # its type decides which lines apply.
        if not values["trust_type"] and closed_on:
            kind = ""
        else:
            kind = TYPE_WORDS.get(values["trust_type"].lower())
            if kind is None:
                known = ", ".join(TYPE_WORDS)
                reader.problem(name, row, f'"{values["trust_type"]}" is not a known trust type (known: {known}).')
        foundation = YES_NO.get(values["foundation_trust"].lower())
        if foundation is None:
            reader.problem(name, row, f'"foundation_trust" must be yes or no, not "{values["foundation_trust"]}".')
        if code and kind is not None and foundation is not None:
            data.organisations[code] = OrganisationSpec(
                code, values["name"], kind, foundation, opened_on, closed_on, row
            )


def _read_names(reader: _Reader, data: Dataset) -> None:
    """Earlier names. A trust's names are listed oldest first; the last is its current
    name (the one in trusts.csv). See OrganisationName for what empty dates mean."""
    name = NAMES_FILE
    for row, values in reader.rows(name, ["ods_code", "name", "valid_from", "valid_to", "source"]):
        code = values["ods_code"]
        if code not in data.organisations:
            reader.problem(name, row, f'"{code}" is not an organisation in {ORGANISATIONS_FILE}.')
            continue
        if not values["name"]:
            reader.problem(name, row, '"name" is empty.')
            continue
        valid_from = reader.date(name, row, "valid_from", values["valid_from"], required=False)
        valid_to = reader.date(name, row, "valid_to", values["valid_to"], required=False)
        names = data.names.setdefault(code, [])
        if any(n.name == values["name"] for n in names):
            reader.problem(name, row, f'"{code}" has the name "{values["name"]}" twice.')
            continue
        if valid_from and valid_to and valid_to < valid_from:
            reader.problem(name, row, f'"valid_to" ({valid_to}) is before "valid_from" ({valid_from}).')
            continue
        if names:
            previous = names[-1]
            if valid_from is None:
                reader.problem(
                    name, row, f'"valid_from" is empty: only the first name of "{code}" may start on an unknown date.'
                )
            elif (previous.valid_to and valid_from <= previous.valid_to) or (
                previous.valid_from and valid_from <= previous.valid_from
            ):
                reader.problem(
                    name,
                    row,
                    f'the name of "{code}" from {valid_from} overlaps the one before it (row {previous.row}).',
                )
        names.append(NameSpec(values["name"], valid_from, valid_to, values["source"], row))
    for code, names in data.names.items():
        spec = data.organisations[code]
        last = names[-1]
        if last.name != spec.name:
            reader.problem(
                name,
                last.row,
                f'the last name of "{code}" is "{last.name}", but {ORGANISATIONS_FILE} (row {spec.row}) '
                f'calls it "{spec.name}".',
            )
        if last.valid_to and (spec.closed_on is None or last.valid_to < spec.closed_on):
            reader.problem(name, last.row, f'the current name of "{code}" cannot end ({last.valid_to}).')


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
    """The trusts of one configuration with their primary ICB, then its serves links."""
    in_configuration = {code for code, spec in data.systems.items() if _covers(spec, configuration)}
    name = configuration.trust_file
    primary: dict[str, Period] = {}
    for row, values in reader.rows(name, ["ods_code", "icb_ods_code"]):
        period = _membership(reader, data, configuration, in_configuration, name, row, values)
        if period is None:
            continue
        code = values["ods_code"]
        if code in primary:
            reader.problem(name, row, f'the ODS code "{code}" is used twice (first in row {primary[code].row}).')
            continue
        primary[code] = period
    if not any(p.file == name for p in reader.problems):
        for code, spec in data.organisations.items():
            if code not in primary and _existed_during(spec, configuration):
                reader.problem(
                    name,
                    None,
                    f'"{code}" ({spec.name}) existed during "{configuration.name}" '
                    f"({_dates(spec.opened_on, spec.closed_on)}) but is not listed.",
                )
    for code, period in primary.items():
        data.memberships.setdefault(code, []).append(period)

    if not configuration.serves_file:
        return
    name = configuration.serves_file
    seen: dict[tuple[str, str], int] = {}
    for row, values in reader.rows(name, ["ods_code", "icb_ods_code", "source"]):
        period = _membership(reader, data, configuration, in_configuration, name, row, values)
        if period is None:
            continue
        code, ics = values["ods_code"], values["icb_ods_code"]
        if code not in primary:
            reader.problem(name, row, f'"{code}" is not listed in {configuration.trust_file}.')
            continue
        if primary[code].ics == ics:
            reader.problem(name, row, f'"{ics}" is already the primary ICS of "{code}" ({configuration.trust_file}).')
            continue
        if (code, ics) in seen:
            reader.problem(name, row, f'"{code}" serving "{ics}" is listed twice (first in row {seen[code, ics]}).')
            continue
        seen[code, ics] = row
        if not values["source"]:
            reader.problem(name, row, '"source" is empty: give the source, or "to verify".')
            continue
        period.primary = False
        data.memberships.setdefault(code, []).append(period)


def _membership(
    reader: _Reader,
    data: Dataset,
    configuration: Configuration,
    in_configuration: set[str],
    name: str,
    row: int,
    values: dict[str, str],
) -> Period | None:
    """One trust's link to an ICB in a configuration, with the dates it ran."""
    code, ics = values["ods_code"], values["icb_ods_code"]
    spec = data.organisations.get(code)
    if spec is None:
        reader.problem(name, row, f'"{code}" is not an organisation in {ORGANISATIONS_FILE}.')
        return None
    if ics not in in_configuration:
        reader.problem(
            name,
            row,
            f'"{code}" is placed in ICS "{ics}", which is not an ICB of "{configuration.name}" '
            f"({configuration.icb_file}).",
        )
        return None
    if not _existed_during(spec, configuration):
        reader.problem(
            name,
            row,
            f'"{code}" did not exist during "{configuration.name}" '
            f"({_dates(configuration.valid_from, configuration.valid_to)}): "
            f"it {_dates(spec.opened_on, spec.closed_on)}.",
        )
        return None
    valid_from = max(configuration.valid_from, spec.opened_on or datetime.date.min)
    valid_to = min(configuration.valid_to or datetime.date.max, spec.closed_on or datetime.date.max)
    return Period(
        ics,
        valid_from,
        None if valid_to == datetime.date.max else valid_to,
        name,
        row,
        source=values.get("source", ""),
    )


def _existed_during(spec: OrganisationSpec, configuration: Configuration) -> bool:
    return _overlap(
        spec.opened_on or datetime.date.min, spec.closed_on, configuration.valid_from, configuration.valid_to
    )


def _dates(start: datetime.date | None, end: datetime.date | None) -> str:
    if start and end:
        return f"{start} to {end}"
    if start:
        return f"from {start}"
    if end:
        return f"until {end}"
    return "dates not given"


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


def _merge_periods(data: Dataset) -> None:
    """Join consecutive periods in the same ICS (and of the same kind) across configurations.

    Configurations do not overlap and each lists a trust once with one primary ICB,
    so a trust's primary periods cannot overlap; serves links are checked against
    the primary of their own configuration.
    """
    for code, periods in data.memberships.items():
        periods.sort(key=lambda p: (p.valid_from, not p.primary, p.ics))
        merged: list[Period] = []
        for period in periods:
            joined = False
            for last in merged:
                if (
                    last.ics == period.ics
                    and last.primary == period.primary
                    and last.valid_to
                    and period.valid_from == last.valid_to + ONE_DAY
                ):
                    last.valid_to = period.valid_to
                    if period.source and period.source not in last.source.split("; "):
                        last.source = f"{last.source}; {period.source}" if last.source else period.source
                    joined = True
                    break
            if not joined:
                merged.append(
                    Period(
                        period.ics,
                        period.valid_from,
                        period.valid_to,
                        period.file,
                        period.row,
                        period.primary,
                        period.source,
                    )
                )
        data.memberships[code] = merged


def _add_icb_organisations(reader: _Reader, data: Dataset) -> None:
    for code, spec in data.systems.items():
        if code in data.organisations:
            reader.problem(ORGANISATIONS_FILE, None, f'the ODS code "{code}" is used by a trust and by an ICB.')
            continue
        data.organisations[code] = OrganisationSpec(
            code, spec.name, OrganisationType.ICB, False, spec.valid_from, spec.valid_to
        )
        data.memberships[code] = [Period(code, spec.valid_from, spec.valid_to, "", 0)]


# --- Checking against the database ---------------------------------------------------


def check_pins(data: Dataset) -> None:
    """Refuse data that would move a record pinned to a trust's ICS (organisations.pins):
    on the record's date, the trust's primary ICS in the files must be the one it holds.
    Organisations left out of the files keep their memberships, so only those in the
    files are checked."""
    problems = []
    for pin in pinned_records():
        code = pin.organisation.ods_code
        if code not in data.organisations:
            continue
        period = data.primary_on(code, pin.on)
        new = period.ics if period else None
        old = pin.ics.ods_code if pin.ics else None
        if new == old:
            continue
        was = f"in {pin.ics.short_name} ({old})" if pin.ics else "in no ICS"
        becomes = f'would place it in "{new}"' if new else "would place it in no ICS"
        problems.append(
            Problem(
                period.file if period else ORGANISATIONS_FILE,
                period.row if period else data.organisations[code].row or None,
                f'{becomes} on {pin.on}, but the {pin.label} of "{code}" is {was}: '
                "a record cannot move to another ICS. Leave that trust's ICB on that date as it was.",
            )
        )
    if problems:
        raise ReferenceDataError(problems)


# --- Storing --------------------------------------------------------------------


@transaction.atomic
def store(data: Dataset) -> dict[str, Tally]:
    """Check against the database, then write a checked dataset; rows are matched on
    ODS codes, so a rerun changes nothing.

    Organisations that are in the database but no longer in the files are kept: an
    organisation that has closed still owns its past assessments.
    """
    check_pins(data)
    outcomes = {
        "ICSs": Tally(),
        "organisations": Tally(),
        "names": Tally(),
        "ICS memberships": Tally(),
        "successions": Tally(),
    }
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
            {
                "name": spec.name,
                "type": spec.type,
                "foundation_trust": spec.foundation_trust,
                "opened_on": spec.opened_on,
                "closed_on": spec.closed_on,
            },
            outcomes["organisations"],
        )
        for code, spec in data.organisations.items()
    }

    existing_names: dict[int, set[tuple]] = {}
    for n in OrganisationName.objects.filter(organisation__in=organisations.values()):
        existing_names.setdefault(n.organisation_id, set()).add((n.name, n.valid_from, n.valid_to, n.source))
    for code, organisation in organisations.items():
        wanted = {(n.name, n.valid_from, n.valid_to, n.source) for n in data.names.get(code, [])}
        if wanted == existing_names.get(organisation.pk, set()):
            continue
        deleted, _ = OrganisationName.objects.filter(organisation=organisation).delete()
        outcomes["names"].deleted += deleted
        for name, valid_from, valid_to, source in wanted:
            OrganisationName.objects.create(
                organisation=organisation, name=name, valid_from=valid_from, valid_to=valid_to, source=source
            )
            outcomes["names"].created += 1

    existing_periods: dict[int, set[tuple]] = {}
    for m in IcsMembership.objects.filter(organisation__in=organisations.values()):
        existing_periods.setdefault(m.organisation_id, set()).add(
            (m.ics_id, m.valid_from, m.valid_to, m.primary, m.source)
        )
    for code, periods in data.memberships.items():
        organisation = organisations[code]
        wanted = {(systems[p.ics].pk, p.valid_from, p.valid_to, p.primary, p.source) for p in periods}
        have = existing_periods.get(organisation.pk, set())
        if wanted == have:
            continue
        deleted, _ = IcsMembership.objects.filter(organisation=organisation).delete()
        outcomes["ICS memberships"].deleted += deleted
        for ics_id, valid_from, valid_to, primary, source in sorted(wanted, key=lambda w: (w[1], not w[3], w[0])):
            IcsMembership.objects.create(
                organisation=organisation,
                ics_id=ics_id,
                valid_from=valid_from,
                valid_to=valid_to,
                primary=primary,
                source=source,
            )
            outcomes["ICS memberships"].created += 1
    return outcomes
