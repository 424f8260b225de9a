"""The assessment's history as its readers see it: plain words, and never an
individual director's answers.

Every change is kept in HistoryEntry (append-only), changes to individual answers
included, for audit. This module decides what the history page shows the secretary
and chair: who did what to the assessment, directors, submissions, agreed scores,
evidence and actions. Changes to individual answers are left out entirely, values
and times alike (their times would line up with the progress table and name the
director); each director sees their own on their scoring pages.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from assessments.models import Action, Assessment

# The subjects shown, in the order of the filter, with the words used for them.
KINDS = {
    "Assessment": "The assessment",
    "Respondent": "Directors",
    "Response": "Submissions",
    "Agreed score": "Agreed scores",
    "Evidence": "Evidence",
    "Action": "Actions",
}
# How an entry reads: "Director invited", "Scores submitted", "Agreed score changed".
SUBJECT_WORDS = {
    "Assessment": "Assessment",
    "Respondent": "Director",
    "Response": "Scores",
    "Agreed score": "Agreed score",
    "Evidence": "Evidence",
    "Action": "Action",
    "Answer": "Your answer",
}
# Never shown to anyone but the author (see module docstring).
PRIVATE_SUBJECTS = {"Answer"}

FIELD_LABELS = {
    "title": "Title",
    "period": "Period",
    "deadline": "Deadline",
    "anonymous": "Anonymous",
    "frameworks": "Frameworks",
    "status": "Status",
    "director": "Director",
    "executive": "Executive director",
    "reminders sent": "Reminders sent",
    "level": "Level",
    "dont_know": "Don't know",
    "not_assessed": "Not assessed",
    "not_assessed_reason": "Why not assessed",
    "target_level": "Target level",
    "target_date": "Target date",
    "rationale": "Rationale",
    "comment": "Comment",
    "kind": "Kind",
    "link": "Link",
    "file": "File",
    "description": "Description",
    "owner": "Owner",
    "due_date": "Due date",
    "line": "Line",
    "section": "Section",
}
ACTION_STATUSES = dict(Action.Status.choices)


@dataclass(frozen=True)
class HistoryRow:
    at: datetime.datetime
    who: str
    what: str
    line_code: str
    changes: list[tuple[str, str, str]]  # (label, before, after)
    note: str


def _plain(field: str, value) -> str:
    if value is None or value == "" or value == []:
        return "–"
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if field == "status" and value in ACTION_STATUSES:
        return str(ACTION_STATUSES[value])
    if isinstance(value, str) and (field.endswith("date") or field == "deadline"):
        try:
            return datetime.date.fromisoformat(value).strftime("%-d %b %Y")
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def visible_entries(assessment: Assessment, *, kind: str = "", line_code: str = ""):
    entries = assessment.history.exclude(subject__in=PRIVATE_SUBJECTS).select_related("actor").order_by("-at", "-pk")
    if kind in KINDS:
        entries = entries.filter(subject=kind)
    if line_code:
        entries = entries.filter(line_code=line_code)
    return entries


def history_rows(entries) -> list[HistoryRow]:
    rows = []
    for entry in entries:
        who = (entry.actor.get_full_name() or entry.actor.username) if entry.actor else "System"
        rows.append(
            HistoryRow(
                at=entry.at,
                who=who,
                what=f"{SUBJECT_WORDS.get(entry.subject, entry.subject)} {entry.action}",
                line_code=entry.line_code,
                changes=[
                    (
                        FIELD_LABELS.get(field, field.replace("_", " ").capitalize()),
                        _plain(field, old),
                        _plain(field, new),
                    )
                    for field, (old, new) in entry.changes.items()
                ],
                note=entry.note,
            )
        )
    return rows
