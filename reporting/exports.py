"""The report's figures for a spreadsheet: CSV and Excel (openpyxl).

Only what the report prints: agreed scores, distributions where the report shows them
(withheld where it withholds), section roll-ups and actions. Never an individual's
scores. Text that a spreadsheet would read as a formula (starting with =, +, -, @, a tab
or a carriage return) is written with a leading apostrophe, so it stays text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal

from reporting.selectors import Report
from reporting.text import plain

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Numbers and dates stay as they are; text loses bidi controls (reporting/text.py),
    and text that could start a formula is escaped."""
    if isinstance(value, str):
        value = plain(value)
        if value.startswith(FORMULA_STARTS):
            return "'" + value
    return value


def _levels(report: Report) -> list[int]:
    numbers = set()
    for line in report.lines:
        numbers.update(number for number, _ in line.summary.counts)
    return sorted(numbers) or [1, 2, 3, 4, 5]


def line_rows(report: Report) -> tuple[list[str], list[list]]:
    levels = _levels(report)
    header = [
        "Framework",
        "Version",
        "Section",
        "Line",
        "Statement",
        "Agreed level",
        "Level name",
        "Not assessed",
        "Reason not assessed",
        "Target level",
        "Target date",
        "Rationale",
        "Evidence items",
        "Needs evidence",
        "Scores counted",
        "Don't know",
        "Mean of scores",
        "Spread (SD)",
        *[f"Scores at level {n}" for n in levels],
        "Executive mean",
        "Non-executive mean",
        "Individual figures withheld",
    ]
    rows = []
    for fw in report.frameworks:
        for section in fw.sections:
            for line in section.lines:
                summary, agreed = line.summary, line.agreed
                counts = dict(summary.counts)
                shown = not summary.withheld
                rows.append(
                    [
                        fw.framework.title,
                        fw.framework.version,
                        section.section.code,
                        line.line.code,
                        line.line.text,
                        agreed.level if agreed else None,
                        line.agreed_name,
                        "yes" if agreed and agreed.not_assessed else "",
                        agreed.not_assessed_reason if agreed else "",
                        agreed.target_level if agreed else None,
                        agreed.target_date if agreed else None,
                        agreed.rationale if agreed else "",
                        len(summary.evidence),
                        "yes" if summary.needs_evidence else "",
                        summary.responses if shown else None,
                        summary.dont_know if shown else None,
                        summary.mean,
                        summary.spread,
                        *[counts.get(n) if shown else None for n in levels],
                        summary.executive_mean,
                        summary.non_executive_mean,
                        summary.withheld or summary.groups_withheld,
                    ]
                )
    return header, rows


def section_rows(report: Report) -> tuple[list[str], list[list]]:
    header = [
        "Framework",
        "Version",
        "Section",
        "Title",
        "Maturity",
        "Level name",
        "Lines assessed",
        "Lines",
        "Last year",
        "Target",
        "Peers' lower quartile",
        "Peers' median",
        "Peers' upper quartile",
        "Peers",
    ]
    rows = []
    for fw in report.frameworks:
        for s in fw.sections:
            peers = s.peers
            rows.append(
                [
                    fw.framework.title,
                    fw.framework.version,
                    s.section.code,
                    s.section.title,
                    s.maturity,
                    s.level_name,
                    s.assessed,
                    s.total,
                    s.last_year,
                    s.target,
                    peers.lower_quartile if peers else None,
                    peers.median if peers else None,
                    peers.upper_quartile if peers else None,
                    peers.peers if peers else None,
                ]
            )
    return header, rows


def action_rows(report: Report) -> tuple[list[str], list[list]]:
    header = ["For", "Action", "Owner", "Due", "Status", "Overdue", "Carried from last year"]
    rows = [
        [
            action.line.code if action.line_id else action.section.code,
            action.description,
            action.owner,
            action.due_date,
            action.get_status_display(),
            "yes" if report.is_overdue(action) else "",
            "yes" if action.carried_from_id else "",
        ]
        for action in report.actions
    ]
    return header, rows


TABLES = {"scores": line_rows, "sections": section_rows, "actions": action_rows}


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, Decimal | float):
        return str(value)
    return neutralise(value) if isinstance(value, str) else value


def as_csv(header: list[str], rows: Iterable[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_cell(name) for name in header])  # section codes come from framework files
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()


def as_xlsx(report: Report) -> bytes:
    return _workbook(
        [
            (title, build(report))
            for title, build in (("Sections", section_rows), ("Lines", line_rows), ("Actions", action_rows))
        ]
    )


def _workbook(sheets) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, (header, rows) in sheets:
        sheet = workbook.create_sheet(title)
        sheet.append([neutralise(name) for name in header])
        for row in rows:
            cells = []
            for value in row:
                if isinstance(value, Decimal):
                    value = float(value)
                elif isinstance(value, str):
                    value = neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
                cells.append(value)
            sheet.append(cells)
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- The ICS comparison ------------------------------------------------------------


def heatmap_rows(comparison) -> tuple[list[str], list[list]]:
    codes = [section.code for section in comparison.sections]
    header = ["Organisation", "ODS code", "Type", "Status", *codes, "Overall", "Change in overall since last period"]
    rows = [
        [
            row.organisation.name,
            row.organisation.ods_code,
            row.organisation.get_type_display() if row.organisation.type else "",
            row.status_label + (f" ({row.home})" if row.home else ""),
            *(row.cells or [None] * len(codes)),
            row.overall,
            row.overall_movement,
        ]
        for row in comparison.rows
    ]
    for label, index in (
        ("System lower quartile", "lower"),
        ("System median", "median"),
        ("System upper quartile", "upper"),
    ):
        rows.append(["", "", "", label, *[getattr(q, index) if q else None for q in comparison.spread], None, None])
    return header, rows


def comparison_line_rows(comparison) -> tuple[list[str], list[list]]:
    header = ["List", "Line", "Statement", "Mean agreed level", "Organisations", "Mean spread of scores", "Boards"]
    rows = []
    for label, lines in (("Weakest", comparison.weakest), ("Most disagreement", comparison.disagreement)):
        for line in lines:
            rows.append(
                [label, line.code, line.text, line.mean_level, line.organisations, line.mean_spread, line.boards]
            )
    return header, rows


def comparison_xlsx(comparison) -> bytes:
    return _workbook([("Heatmap", heatmap_rows(comparison)), ("Lines", comparison_line_rows(comparison))])
