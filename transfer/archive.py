"""One assessment as a zip, and back: `manage.py export_assessment` / `import_assessment`.

The archive holds

- `assessment.json`: the whole assessment (format version `FORMAT_VERSION`), every
  reference by natural key: framework versions by (slug, version), lines and sections by
  (slug, version, code), the organisation and the ICS by ODS code, people by e-mail, the
  previous year's assessment and carried-from actions by (ODS code, period, number). No
  database id appears in it, so it means the same in any database;
- `evidence/<n><suffix>` and `reports/<sign-off number>.pdf`: the evidence files and the
  sealed reports' PDFs, byte for byte;
- `manifest.json`: the format, the export's own time and the SHA-256 of every other
  member. It is the only part that differs between two exports of the same data.

The document is canonical (sorted keys, rows in a fixed order, times in UTC with
microseconds), so export → import → export gives the same bytes: rows without a natural
key (evidence, actions, history entries) are numbered in the order they were written,
and the import writes them in that order again.

Import checks everything before it writes anything, reports every problem it found,
and then writes in one transaction, in the order the lock triggers
(assessments/triggers.py) allow for a signed-off assessment: the assessment not yet
signed off, its rows, its sign-off records, then its status, then what the reporting
app derived from the sign-off (sealed reports and the comparison's summary rows), which
are copied, not recomputed: a sealed report is what was printed at the time.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import zipfile
import zlib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import PurePosixPath
from typing import Any, BinaryIO

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, models, transaction
from django.utils import timezone

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
from assessments.uploads import NotADocument, check_document
from frameworks.models import Framework
from organisations.models import IntegratedCareSystem, Organisation
from reporting.models import LineFigure, SealedReport, SectionFigure
from reporting.selectors import fingerprint

FORMAT = "ics-governance-assessment"
FORMAT_VERSION = 1
DOCUMENT = "assessment.json"
MANIFEST = "manifest.json"
# A fixed member time: the zip's bytes depend on the data only (the export's time is in
# the manifest).
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
# Nothing in an export is read whole without a bound: a hostile archive can declare any
# size. Every member's declared size is checked before it is read.
MAX_DOCUMENT_BYTES = 200 * 1024 * 1024
MAX_FILE_BYTES = 1024 * 1024 * 1024
MAX_MEMBERS = 100_000

User = get_user_model()


class TransferError(Exception):
    """The export or import was refused; `problems` says why, one sentence each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        count = len(problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''}: " + " ".join(problems))


@dataclass
class ImportResult:
    assessment: Assessment
    created_people: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --- values ------------------------------------------------------------------------


def _dt(value: datetime.datetime | None) -> str | None:
    return None if value is None else value.astimezone(datetime.UTC).isoformat()


def _date(value: datetime.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _line_ref(line) -> list[str] | None:
    return None if line is None else [line.framework.slug, line.framework.version, line.code]


def _section_ref(section) -> list[str] | None:
    return None if section is None else [section.framework.slug, section.framework.version, section.code]


def _email(user) -> str | None:
    return None if user is None else user.email


def _decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _period(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


def canonical_bytes(document: dict) -> bytes:
    return (json.dumps(document, sort_keys=True, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


# Which model a history entry's subject names, and how an exported row refers to it.
SUBJECT_MODELS = {
    "Assessment": Assessment,
    "Respondent": Respondent,
    "Response": Respondent,
    "Answer": Answer,
    "Agreed score": AgreedScore,
    "Evidence": Evidence,
    "Action": Action,
}


def _action_numbers(assessment_id: int) -> dict[int, int]:
    """An assessment's actions numbered 1, 2, 3 … in the order they were written."""
    pks = Action.objects.filter(assessment_id=assessment_id).order_by("pk").values_list("pk", flat=True)
    return {pk: number for number, pk in enumerate(pks, start=1)}


# --- export ------------------------------------------------------------------------


def export_assessment(ods_code: str, year: int, out: BinaryIO, *, now: datetime.datetime | None = None) -> dict:
    """Write the assessment of `ods_code` for the period starting in `year` to `out` as a
    zip; returns the document written. Raises TransferError if there is no such
    assessment or it cannot be exported whole (a person without a unique e-mail, a
    missing file)."""
    assessment = (
        Assessment.objects.select_related("organisation", "ics", "previous__organisation", "created_by")
        .filter(organisation__ods_code=ods_code, period_start_year=year)
        .first()
    )
    if assessment is None:
        raise TransferError([f"There is no assessment of {ods_code} for {_period(year)}."])
    document, files = _document(assessment)
    members = {DOCUMENT: canonical_bytes(document), **files}
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": _dt(now or timezone.now()),
        "assessment": f"{ods_code} {_period(year)}",
        "members": {name: _sha256(content) for name, content in sorted(members.items())},
    }
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in [(MANIFEST, canonical_bytes(manifest)), *sorted(members.items())]:
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return document


def _document(assessment: Assessment) -> tuple[dict, dict[str, bytes]]:
    problems: list[str] = []
    files: dict[str, bytes] = {}
    people: dict[int, Any] = {}

    def person(user) -> str | None:
        if user is not None:
            people[user.pk] = user
        return _email(user)

    frameworks = sorted(assessment.frameworks.all(), key=lambda f: (f.slug, f.version))
    respondents = list(assessment.respondents.select_related("user", "invited_by"))
    respondent_email = {r.pk: person(r.user) for r in respondents}
    answers = list(
        Answer.objects.filter(respondent__assessment=assessment).select_related("line__framework", "respondent__user")
    )
    agreed = list(assessment.agreed_scores.select_related("line__framework", "updated_by"))
    evidence = list(assessment.evidence.select_related("line__framework", "added_by").order_by("pk"))
    actions = list(
        assessment.actions.select_related(
            "line__framework", "section__framework", "created_by", "carried_from__assessment__organisation"
        ).order_by("pk")
    )
    history = list(assessment.history.select_related("actor").order_by("pk"))
    records = list(assessment.sign_off_records.select_related("by").order_by("sequence"))
    sealed = list(
        SealedReport.objects.filter(assessment=assessment).select_related("sign_off").order_by("sign_off__sequence")
    )

    evidence_number = {e.pk: n for n, e in enumerate(evidence, start=1)}
    action_number = {a.pk: n for n, a in enumerate(actions, start=1)}
    subject_refs: dict[tuple[type, int], Any] = {(Assessment, assessment.pk): "assessment"}
    subject_refs |= {(Respondent, r.pk): {"respondent": respondent_email[r.pk]} for r in respondents}
    subject_refs |= {(Answer, a.pk): {"answer": [a.respondent.user.email, _line_ref(a.line)]} for a in answers}
    subject_refs |= {(AgreedScore, s.pk): {"agreed_score": _line_ref(s.line)} for s in agreed}
    subject_refs |= {(Evidence, pk): {"evidence": n} for pk, n in evidence_number.items()}
    subject_refs |= {(Action, pk): {"action": n} for pk, n in action_number.items()}

    previous = assessment.previous
    document: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "organisation": assessment.organisation.ods_code,
        "ics": assessment.ics.ods_code if assessment.ics else None,
        "period_start_year": assessment.period_start_year,
        "frameworks": [[f.slug, f.version] for f in frameworks],
        "assessment": {
            "title": assessment.title,
            "organisation_type": assessment.organisation_type,
            "deadline": _date(assessment.deadline),
            "anonymous": assessment.anonymous,
            "status": assessment.status,
            "previous": None
            if previous is None
            else {"organisation": previous.organisation.ods_code, "period_start_year": previous.period_start_year},
            "created_by": person(assessment.created_by),
            "created_at": _dt(assessment.created_at),
            "updated_at": _dt(assessment.updated_at),
            "signed_off_by": person(assessment.signed_off_by),
            "signed_off_at": _dt(assessment.signed_off_at),
        },
        "respondents": sorted(
            (
                {
                    "user": respondent_email[r.pk],
                    "is_executive": r.is_executive,
                    "invited_by": person(r.invited_by),
                    "invited_at": _dt(r.invited_at),
                    "invitation_sent_at": _dt(r.invitation_sent_at),
                    "last_reminded_at": _dt(r.last_reminded_at),
                    "submitted_at": _dt(r.submitted_at),
                    "removed_at": _dt(r.removed_at),
                }
                for r in respondents
            ),
            key=lambda row: row["user"] or "",
        ),
        "answers": sorted(
            (
                {
                    "respondent": a.respondent.user.email,
                    "line": _line_ref(a.line),
                    "level": a.level,
                    "dont_know": a.dont_know,
                    "target_level": a.target_level,
                    "comment": a.comment,
                    "version": a.version,
                    "updated_at": _dt(a.updated_at),
                }
                for a in answers
            ),
            key=lambda row: (row["respondent"] or "", row["line"]),
        ),
        "agreed_scores": sorted(
            (
                {
                    "line": _line_ref(s.line),
                    "level": s.level,
                    "not_assessed": s.not_assessed,
                    "not_assessed_reason": s.not_assessed_reason,
                    "target_level": s.target_level,
                    "target_date": _date(s.target_date),
                    "rationale": s.rationale,
                    "version": s.version,
                    "updated_by": person(s.updated_by),
                    "updated_at": _dt(s.updated_at),
                }
                for s in agreed
            ),
            key=lambda row: row["line"],
        ),
        "evidence": [],
        "actions": [],
        "history": [],
        "sign_offs": [
            {"sequence": r.sequence, "kind": r.kind, "by": person(r.by), "at": _dt(r.at), "reason": r.reason}
            for r in records
        ],
        "sealed_reports": [],
        "comparison_figures": _figures(assessment),
    }

    for e in evidence:
        number = evidence_number[e.pk]
        file = None
        if e.file:
            name = f"evidence/{number}{PurePosixPath(e.file.name).suffix.lower()[:10]}"
            try:
                with e.file.open("rb") as handle:
                    files[name] = handle.read()
            except OSError:
                problems.append(f'Evidence {number} ("{e.title}"): its file {e.file.name} is missing from storage.')
            else:
                file = {"name": name, "sha256": _sha256(files[name]), "size": len(files[name])}
        document["evidence"].append(
            {
                "number": number,
                "line": _line_ref(e.line),
                "title": e.title,
                "kind": e.kind,
                "as_at": _date(e.as_at),
                "url": e.url,
                "file": file,
                "original_name": e.original_name,
                "content_type": e.content_type,
                "size": e.size,
                "added_by": person(e.added_by),
                "added_at": _dt(e.added_at),
            }
        )

    carried_numbers: dict[int, dict[int, int]] = {}
    for a in actions:
        carried = None
        if a.carried_from is not None:
            source = a.carried_from.assessment
            numbers = carried_numbers.setdefault(source.pk, _action_numbers(source.pk))
            carried = {
                "organisation": source.organisation.ods_code,
                "period_start_year": source.period_start_year,
                "action": numbers[a.carried_from.pk],
            }
        document["actions"].append(
            {
                "number": action_number[a.pk],
                "line": _line_ref(a.line),
                "section": _section_ref(a.section),
                "description": a.description,
                "owner": a.owner,
                "due_date": _date(a.due_date),
                "status": a.status,
                "carried_from": carried,
                "version": a.version,
                "created_by": person(a.created_by),
                "created_at": _dt(a.created_at),
                "updated_at": _dt(a.updated_at),
            }
        )

    for h in history:
        model = SUBJECT_MODELS.get(h.subject)
        # A subject deleted since (a removed piece of evidence) has no row to point at.
        subject = subject_refs.get((model, h.subject_id)) if h.subject_id is not None else None
        document["history"].append(
            {
                "at": _dt(h.at),
                "actor": person(h.actor),
                "action": h.action,
                "subject": h.subject,
                "subject_ref": subject,
                "line_code": h.line_code,
                "respondent": respondent_email.get(h.respondent_id) if h.respondent_id else None,
                "changes": h.changes,
                "note": h.note,
            }
        )

    for report in sealed:
        name = f"reports/{report.sign_off.sequence}.pdf"
        try:
            with report.pdf.open("rb") as handle:
                files[name] = handle.read()
        except OSError:
            problems.append(f"Sealed report {report.sign_off.sequence}: its PDF {report.pdf.name} is missing.")
            continue
        document["sealed_reports"].append(
            {
                "sign_off": report.sign_off.sequence,
                "file": name,
                "pdf_sha256": report.pdf_sha256,
                "size": report.size,
                "pages": report.pages,
                "data": report.data,
                "data_sha256": report.data_sha256,
                "created_at": _dt(report.created_at),
            }
        )

    by_email: dict[str, list[str]] = {}
    for user in people.values():
        if not user.email:
            problems.append(f"{user.username} has no e-mail address, which the export identifies people by.")
        by_email.setdefault(user.email.casefold(), []).append(user.username)
    for email, usernames in sorted(by_email.items()):
        if email and len(usernames) > 1:
            problems.append(f"{', '.join(sorted(usernames))} share the e-mail address {email}; give each their own.")
    if problems:
        raise TransferError(problems)
    document["people"] = sorted(
        ({"email": u.email, "first_name": u.first_name, "last_name": u.last_name} for u in people.values()),
        key=lambda row: row["email"],
    )
    return document, files


def _figures(assessment: Assessment) -> dict:
    sections = SectionFigure.objects.filter(assessment=assessment).select_related("framework")
    lines = LineFigure.objects.filter(assessment=assessment).select_related("framework")
    return {
        "sections": sorted(
            (
                {
                    "framework": [f.framework.slug, f.framework.version],
                    "section_code": f.section_code,
                    "maturity": _decimal_text(f.maturity),
                    "assessed": f.assessed,
                    "lines": f.lines,
                    "peers": f.peers,
                    "peer_lower_quartile": _decimal_text(f.peer_lower_quartile),
                    "peer_median": _decimal_text(f.peer_median),
                    "peer_upper_quartile": _decimal_text(f.peer_upper_quartile),
                }
                for f in sections
            ),
            key=lambda row: (row["framework"], row["section_code"]),
        ),
        "lines": sorted(
            (
                {
                    "framework": [f.framework.slug, f.framework.version],
                    "line_code": f.line_code,
                    "level": f.level,
                    "spread": f.spread,
                }
                for f in lines
            ),
            key=lambda row: (row["framework"], row["line_code"]),
        ),
    }


# --- reading an archive -------------------------------------------------------------


def read_archive(source: BinaryIO) -> tuple[dict, dict[str, bytes]]:
    """The document and the other members of an export, after checking the archive is
    whole: a zip, every member listed in the manifest with a matching SHA-256, nothing
    else in it, and a format version this code reads."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise TransferError([f"The file is not a readable zip archive ({exc})."]) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise TransferError([f"The archive holds {len(infos)} members; an export never holds that many."])
        names = [info.filename for info in infos]
        if len(set(names)) != len(names):
            raise TransferError(["The archive holds two members with the same name."])
        if MANIFEST not in names or DOCUMENT not in names:
            raise TransferError([f"The archive lacks {MANIFEST} or {DOCUMENT}: it is not an assessment export."])
        members: dict[str, bytes] = {}
        for info in infos:
            limit = MAX_DOCUMENT_BYTES if info.filename in (MANIFEST, DOCUMENT) else MAX_FILE_BYTES
            if info.file_size > limit:
                raise TransferError([f"{info.filename} declares {info.file_size} bytes, more than an export holds."])
            try:
                members[info.filename] = archive.read(info)
            except (
                zipfile.BadZipFile,
                OSError,
                ValueError,
                EOFError,
                RuntimeError,
                NotImplementedError,
                zlib.error,
            ) as exc:
                raise TransferError([f"{info.filename} in the archive is damaged ({exc})."]) from None
    manifest = _json(members.pop(MANIFEST), MANIFEST)
    _check_format(manifest, MANIFEST)
    listed = manifest.get("members")
    if not isinstance(listed, dict):
        raise TransferError([f"{MANIFEST} does not list the archive's members."])
    problems = []
    for name in sorted(set(listed) | set(members)):
        if name not in members:
            problems.append(f"{name} is listed in the manifest but missing from the archive.")
        elif name not in listed:
            problems.append(f"{name} is in the archive but not in its manifest: the archive was changed.")
        elif _sha256(members[name]) != listed[name]:
            problems.append(f"{name} does not match its SHA-256 in the manifest: the archive was changed or damaged.")
    if problems:
        raise TransferError(problems)
    document = _json(members.pop(DOCUMENT), DOCUMENT)
    _check_format(document, DOCUMENT)
    return document, members


def _json(content: bytes, name: str) -> dict:
    try:
        value = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TransferError([f"{name} is not valid JSON ({exc})."]) from None
    if not isinstance(value, dict):
        raise TransferError([f"{name} is not a JSON object."])
    return value


def _check_format(value: dict, name: str) -> None:
    if value.get("format") != FORMAT:
        raise TransferError([f"{name} is not an ICS Governance assessment export."])
    if value.get("format_version") != FORMAT_VERSION:
        raise TransferError(
            [
                f"{name} has format version {value.get('format_version')!r}; this version of the app reads "
                f"format version {FORMAT_VERSION} only."
            ]
        )


# --- import --------------------------------------------------------------------------


def import_assessment(source: BinaryIO, *, dry_run: bool = False) -> ImportResult | None:
    """Check an export completely, then write it in one transaction; raises TransferError
    listing every problem, having written nothing. With `dry_run`, only check."""
    document, files = read_archive(source)
    plan = _Plan(document, files)
    plan.check()
    if plan.problems:
        raise TransferError(plan.problems)
    if dry_run:
        return None
    stored: list[str] = []
    try:
        with transaction.atomic():
            result = plan.write(stored)
    except TransferError:
        _remove(stored)
        raise
    except DatabaseError as exc:
        _remove(stored)
        raise TransferError([f"The database refused the import, so nothing was written: {exc}"]) from None
    except BaseException:
        _remove(stored)
        raise
    return result


def _remove(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


DOCUMENT_KEYS = {
    "format",
    "format_version",
    "organisation",
    "ics",
    "period_start_year",
    "frameworks",
    "people",
    "assessment",
    "respondents",
    "answers",
    "agreed_scores",
    "evidence",
    "actions",
    "history",
    "sign_offs",
    "sealed_reports",
    "comparison_figures",
}
# Per kind of row: its keys, and those copied straight onto the model's fields (checked
# by the model's own field validation). The others are references resolved here.
ROWS = {
    "assessment": (
        Assessment,
        {"title", "organisation_type", "deadline", "anonymous", "status", "created_at", "updated_at", "signed_off_at"},
        {"previous", "created_by", "signed_off_by"},
    ),
    "respondents": (
        Respondent,
        {"is_executive", "invited_at", "invitation_sent_at", "last_reminded_at", "submitted_at", "removed_at"},
        {"user", "invited_by"},
    ),
    "answers": (
        Answer,
        {"level", "dont_know", "target_level", "comment", "version", "updated_at"},
        {"respondent", "line"},
    ),
    "agreed_scores": (
        AgreedScore,
        {
            "level",
            "not_assessed",
            "not_assessed_reason",
            "target_level",
            "target_date",
            "rationale",
            "version",
            "updated_at",
        },
        {"line", "updated_by"},
    ),
    "evidence": (
        Evidence,
        {"title", "kind", "as_at", "url", "original_name", "content_type", "size", "added_at"},
        {"number", "line", "file", "added_by"},
    ),
    "actions": (
        Action,
        {"description", "owner", "due_date", "status", "version", "created_at", "updated_at"},
        {"number", "line", "section", "carried_from", "created_by"},
    ),
    "history": (
        HistoryEntry,
        {"at", "action", "subject", "line_code", "changes", "note"},
        {"actor", "subject_ref", "respondent"},
    ),
    "sign_offs": (SignOffRecord, {"sequence", "kind", "at", "reason"}, {"by"}),
    "sealed_reports": (
        SealedReport,
        {"pdf_sha256", "size", "pages", "data", "data_sha256", "created_at"},
        {"sign_off", "file"},
    ),
}


class _Plan:
    """An export turned into unsaved model instances with every reference resolved, and
    the list of what is wrong with it. `write` saves it in the allowed order."""

    def __init__(self, document: dict, files: dict[str, bytes]):
        self.doc = document
        self.files = files
        self.problems: list[str] = []
        self.notes: list[str] = []
        self.used_files: set[str] = set()

    # -- helpers --

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def _list(self, key: str) -> list:
        value = self.doc.get(key)
        if not isinstance(value, list):
            self.problem(f'"{key}" must be a list.')
            return []
        return value

    def build(self, kind: str, row: Any, place: str, **resolved) -> models.Model | None:
        """A model instance from a row's plain fields, validated by the model's fields."""
        model, plain, refs = ROWS[kind]
        if not isinstance(row, dict):
            self.problem(f"{place}: must be an object.")
            return None
        missing, unknown = (plain | refs) - set(row), set(row) - (plain | refs)
        if missing or unknown:
            parts = [f"missing {', '.join(sorted(missing))}" if missing else "", ""]
            parts[1] = f"unknown {', '.join(sorted(unknown))}" if unknown else ""
            self.problem(f"{place}: {'; '.join(p for p in parts if p)}.")
            return None
        instance = model(**{name: row[name] for name in plain}, **resolved)
        fields = [model._meta.get_field(name) for name in plain]
        try:
            instance.clean_fields(exclude=[f.name for f in model._meta.fields if f.name not in plain])
        except ValidationError as exc:
            for name, messages in sorted(exc.message_dict.items()):
                self.problem(f"{place}: {name}: {' '.join(messages)}")
            return None
        for f in fields:
            if not f.null and getattr(instance, f.attname) is None:
                self.problem(f"{place}: {f.name} must have a value.")
                return None
        return instance

    def person(self, email: Any, place: str, *, required: bool = True):
        if email is None and not required:
            return None
        user = self.people.get(email) if isinstance(email, str) else None
        if user is None:
            self.problem(f"{place}: {email!r} is not among the export's people.")
        return user

    def line(self, ref: Any, place: str):
        line = self.lines.get(tuple(ref)) if isinstance(ref, list) else None
        if line is None:
            self.problem(f"{place}: line {ref!r} is not a line of the assessment's framework versions.")
        return line

    def file(self, entry: Any, place: str) -> bytes | None:
        name = entry.get("name") if isinstance(entry, dict) else entry
        if not isinstance(name, str) or name not in self.files:
            self.problem(f"{place}: its file {name!r} is not in the archive.")
            return None
        self.used_files.add(name)
        return self.files[name]

    # -- checking --

    def check(self) -> None:
        doc = self.doc
        missing, unknown = DOCUMENT_KEYS - set(doc), set(doc) - DOCUMENT_KEYS
        if missing or unknown:
            self.problem(
                f"{DOCUMENT}: "
                + "; ".join(
                    part
                    for part in (
                        f"missing {', '.join(sorted(missing))}" if missing else "",
                        f"unknown {', '.join(sorted(unknown))}" if unknown else "",
                    )
                    if part
                )
                + "."
            )
            return
        self.check_places()
        self.check_people()
        if self.problems:  # nothing below can be resolved without these
            return
        self.check_assessment()
        self.check_rows()
        self.check_sign_offs()
        self.check_figures()
        for name in sorted(set(self.files) - self.used_files):
            self.problem(f"{name} is in the archive but no row refers to it.")

    def check_places(self) -> None:
        doc = self.doc
        self.year = doc["period_start_year"]
        if not isinstance(self.year, int) or isinstance(self.year, bool):
            self.problem(f"period_start_year must be a year, not {self.year!r}.")
            self.year = None
        self.organisation = Organisation.objects.filter(ods_code=doc["organisation"]).first()
        if self.organisation is None:
            self.problem(f"There is no organisation with the ODS code {doc['organisation']!r}.")
        self.ics = None
        if doc["ics"] is not None:
            self.ics = IntegratedCareSystem.objects.filter(ods_code=doc["ics"]).first()
            if self.ics is None:
                self.problem(f"There is no ICS with the ODS code {doc['ics']!r}.")
        if self.organisation is not None and self.year is not None:
            if Assessment.objects.filter(organisation=self.organisation, period_start_year=self.year).exists():
                self.problem(
                    f"{self.organisation.ods_code} already has an assessment for {_period(self.year)}; "
                    "an import never replaces one."
                )
            # The assessment keeps the ICS of its organisation on 1 April of its period,
            # as the reference data says (organisations/pins.py): the same rule here.
            if doc["ics"] is None or self.ics is not None:
                primary = self.organisation.ics_on(datetime.date(self.year, 4, 1))
                if primary != self.ics:
                    where = f"{primary.ods_code}" if primary else "no ICS"
                    self.problem(
                        f"The export places {self.organisation.ods_code} in {doc['ics'] or 'no ICS'} on "
                        f"1 April {self.year}, but this database's reference data places it in {where}."
                    )
        self.frameworks: dict[tuple, Framework] = {}
        for ref in self._list("frameworks"):
            key = tuple(ref) if isinstance(ref, list) and len(ref) == 2 else None
            framework = Framework.objects.filter(slug=key[0], version=key[1]).first() if key else None
            if framework is None:
                self.problem(f"There is no framework version {ref!r} (slug, version) in this database.")
            else:
                self.frameworks[key] = framework
        if not self.frameworks and not self.problems:
            self.problem("The export names no framework version.")
        self.lines = {}
        self.sections = {}
        for (slug, version), framework in self.frameworks.items():
            for line in framework.lines.all():
                self.lines[(slug, version, line.code)] = line
            for section in framework.sections.all():
                self.sections[(slug, version, section.code)] = section

    def check_people(self) -> None:
        """People are found by e-mail (any case); one who is not there is created
        inactive, with no password and no membership, so they can do nothing until an
        administrator gives them access."""
        self.people: dict[str, Any] = {}
        self.new_people: list[Any] = []
        for index, row in enumerate(self._list("people")):
            place = f"people[{index}]"
            if not isinstance(row, dict) or set(row) != {"email", "first_name", "last_name"}:
                self.problem(f"{place}: must have exactly email, first_name and last_name.")
                continue
            email = row["email"]
            if not isinstance(email, str) or "@" not in email or len(email) > 150:
                self.problem(f"{place}: {email!r} is not an e-mail address.")
                continue
            if email in self.people:
                self.problem(f"{place}: {email} is listed twice.")
                continue
            found = list(User.objects.filter(email__iexact=email)[:2])
            if len(found) > 1:
                self.problem(f"{place}: more than one person here has the e-mail address {email}.")
                continue
            if found:
                self.people[email] = found[0]
                continue
            if User.objects.filter(username=email).exists():
                self.problem(f"{place}: there is no person with the e-mail address {email}, and its username is taken.")
                continue
            user = User(
                username=email,
                email=email,
                first_name=str(row["first_name"] or "")[:150],
                last_name=str(row["last_name"] or "")[:150],
                is_active=False,
            )
            user.set_unusable_password()
            self.people[email] = user
            self.new_people.append(user)

    def check_assessment(self) -> None:
        row = self.doc["assessment"]
        place = "assessment"
        self.assessment = self.build("assessment", row, place)
        if self.assessment is None:
            return
        a = self.assessment
        a.organisation = self.organisation
        a.ics = self.ics
        a.period_start_year = self.year
        a.created_by = self.person(row["created_by"], f"{place}: created_by")
        a.signed_off_by = self.person(row["signed_off_by"], f"{place}: signed_off_by", required=False)
        previous = row["previous"]
        a.previous = None
        if previous is not None:
            found = (
                Assessment.objects.filter(
                    organisation__ods_code=previous.get("organisation"),
                    period_start_year=previous.get("period_start_year"),
                ).first()
                if isinstance(previous, dict)
                else None
            )
            if found is None:
                self.notes.append(
                    f"The previous assessment ({previous!r}) is not in this database; the link to it is left out."
                )
            a.previous = found

    def check_rows(self) -> None:
        self.respondents: dict[str, Respondent] = {}
        for index, row in enumerate(self._list("respondents")):
            place = f"respondents[{index}]"
            user = self.person(row.get("user") if isinstance(row, dict) else None, place)
            r = self.build("respondents", row, place)
            if r is None or user is None:
                continue
            if row["user"] in self.respondents:
                self.problem(f"{place}: {row['user']} is a respondent twice.")
                continue
            r.user = user
            r.invited_by = self.person(row["invited_by"], f"{place}: invited_by")
            self.respondents[row["user"]] = r

        self.answers: dict[tuple, Answer] = {}
        for index, row in enumerate(self._list("answers")):
            place = f"answers[{index}]"
            a = self.build("answers", row, place)
            if a is None:
                continue
            respondent = self.respondents.get(row["respondent"])
            line = self.line(row["line"], place)
            if respondent is None:
                self.problem(f"{place}: {row['respondent']!r} is not a respondent of the assessment.")
            key = (row["respondent"], tuple(row["line"]) if isinstance(row["line"], list) else None)
            if key in self.answers:
                self.problem(f"{place}: a second answer of {row['respondent']} to {row['line']!r}.")
            if respondent is None or line is None or key in self.answers:
                continue
            a.respondent, a.line = respondent, line
            self.answers[key] = a

        self.agreed: dict[tuple, AgreedScore] = {}
        for index, row in enumerate(self._list("agreed_scores")):
            place = f"agreed_scores[{index}]"
            s = self.build("agreed_scores", row, place)
            if s is None:
                continue
            line = self.line(row["line"], place)
            s.updated_by = self.person(row["updated_by"], f"{place}: updated_by")
            if line is not None:
                if line.pk in {x.line.pk for x in self.agreed.values()}:
                    self.problem(f"{place}: a second agreed score for {row['line']!r}.")
                    continue
                s.line = line
                self.agreed[tuple(row["line"])] = s

        self.evidence: list[tuple[Evidence, bytes | None, str]] = []
        for index, row in enumerate(self._list("evidence")):
            place = f"evidence[{index}]"
            e = self.build("evidence", row, place)
            if e is None:
                continue
            if row["number"] != index + 1:
                self.problem(f"{place}: numbered {row['number']!r}, not {index + 1}.")
            line = self.line(row["line"], place)
            e.added_by = self.person(row["added_by"], f"{place}: added_by")
            content, suffix = None, ""
            if row["file"] is not None:
                content = self.file(row["file"], place)
                entry = row["file"]
                if content is not None:
                    suffix = PurePosixPath(entry["name"]).suffix
                    if entry.get("sha256") != _sha256(content) or entry.get("size") != len(content):
                        self.problem(f"{place}: its file does not match the size and SHA-256 recorded for it.")
                    try:
                        check_document(ContentFile(content, name=f"evidence{suffix}"), max_bytes=MAX_FILE_BYTES)
                    except NotADocument as exc:
                        self.problem(f'{place} ("{e.title}"): {exc}')
            if line is not None:
                e.line = line
                self.evidence.append((e, content, suffix))

        self.actions: list[tuple[Action, Any]] = []
        for index, row in enumerate(self._list("actions")):
            place = f"actions[{index}]"
            a = self.build("actions", row, place)
            if a is None:
                continue
            if row["number"] != index + 1:
                self.problem(f"{place}: numbered {row['number']!r}, not {index + 1}.")
            a.created_by = self.person(row["created_by"], f"{place}: created_by")
            if row["line"] is not None:
                a.line = self.line(row["line"], place)
            if row["section"] is not None:
                a.section = self.sections.get(tuple(row["section"])) if isinstance(row["section"], list) else None
                if a.section is None:
                    self.problem(f"{place}: section {row['section']!r} is not in the assessment's framework versions.")
            if row["line"] is None and row["section"] is None:
                self.problem(f"{place}: an action is for a line or a section; this one names neither.")
            self.actions.append((a, self.carried_from(row["carried_from"], place)))

        self.history: list[tuple[HistoryEntry, Any]] = []
        for index, row in enumerate(self._list("history")):
            place = f"history[{index}]"
            h = self.build("history", row, place)
            if h is None:
                continue
            h.actor = self.person(row["actor"], f"{place}: actor", required=False)
            if row["respondent"] is not None:
                h.respondent = self.respondents.get(row["respondent"])
                if h.respondent is None:
                    self.problem(f"{place}: {row['respondent']!r} is not a respondent of the assessment.")
            self.history.append((h, self.subject(row["subject_ref"], place)))

    def carried_from(self, ref: Any, place: str):
        """The carried-from action, where it is in this database; None (with a note) where not."""
        if ref is None:
            return None
        try:
            organisation, year, number = ref["organisation"], ref["period_start_year"], ref["action"]
        except (TypeError, KeyError):
            self.problem(f"{place}: carried_from must name organisation, period_start_year and action.")
            return None
        source = Assessment.objects.filter(organisation__ods_code=organisation, period_start_year=year).first()
        if source is not None:
            pk = {n: pk for pk, n in _action_numbers(source.pk).items()}.get(number)
            if pk is not None:
                return Action.objects.get(pk=pk)
        self.notes.append(f"{place}: the action it was carried from ({ref!r}) is not here; the link is left out.")
        return None

    def subject(self, ref: Any, place: str):
        """What a history entry's subject reference points at, resolved after writing."""
        if ref is None or ref == "assessment":
            return ref
        if isinstance(ref, dict) and len(ref) == 1:
            ((kind, value),) = ref.items()
            if kind == "respondent" and value in self.respondents:
                return self.respondents[value]
            if kind == "answer" and isinstance(value, list) and len(value) == 2 and isinstance(value[1], list):
                answer = self.answers.get((value[0], tuple(value[1])))
                if answer is not None:
                    return answer
            if kind == "agreed_score" and isinstance(value, list) and tuple(value) in self.agreed:
                return self.agreed[tuple(value)]
            if kind == "evidence" and isinstance(value, int) and 1 <= value <= len(self.evidence):
                return self.evidence[value - 1][0]
            if kind == "action" and isinstance(value, int) and 1 <= value <= len(self.actions):
                return self.actions[value - 1][0]
        self.problem(f"{place}: subject_ref {ref!r} points at nothing in the export.")
        return None

    def check_sign_offs(self) -> None:
        self.sign_offs: dict[int, SignOffRecord] = {}
        for index, row in enumerate(self._list("sign_offs")):
            place = f"sign_offs[{index}]"
            s = self.build("sign_offs", row, place)
            if s is None:
                continue
            s.by = self.person(row["by"], f"{place}: by")
            if s.sequence != index + 1:
                self.problem(f"{place}: numbered {s.sequence}, not {index + 1}: sign-offs are numbered in order.")
                continue
            self.sign_offs[s.sequence] = s
        if self.assessment is not None:
            latest = self.sign_offs[max(self.sign_offs)].kind if self.sign_offs else None
            signed_off = self.assessment.status == Assessment.Status.SIGNED_OFF
            if signed_off != (latest == SignOffRecord.Kind.SIGNED_OFF):
                self.problem(
                    f"The assessment's status is {self.assessment.status!r} but its latest sign-off record is "
                    f"{latest or 'missing'}: a signed-off assessment's latest record is its sign-off, and only then."
                )

        self.sealed: list[tuple[SealedReport, bytes]] = []
        for index, row in enumerate(self._list("sealed_reports")):
            place = f"sealed_reports[{index}]"
            r = self.build("sealed_reports", row, place)
            if r is None:
                continue
            record = self.sign_offs.get(row["sign_off"])
            if record is None or record.kind != SignOffRecord.Kind.SIGNED_OFF:
                self.problem(f"{place}: sign-off {row['sign_off']!r} is not a sign-off of the assessment.")
                continue
            content = self.file(row["file"], place)
            if content is None:
                continue
            if _sha256(content) != r.pdf_sha256 or len(content) != r.size:
                self.problem(f"{place}: the PDF does not match the SHA-256 and size sealed with it.")
            if fingerprint(r.data) != r.data_sha256:
                self.problem(f"{place}: the report's figures do not match the fingerprint sealed with them.")
            r.sign_off = record
            self.sealed.append((r, content))

    def check_figures(self) -> None:
        figures = self.doc["comparison_figures"]
        self.section_figures: list[SectionFigure] = []
        self.line_figures: list[LineFigure] = []
        if not isinstance(figures, dict) or set(figures) != {"sections", "lines"}:
            self.problem("comparison_figures must hold sections and lines.")
            return
        for kind, model, decimals in (
            ("sections", SectionFigure, ("maturity", "peer_lower_quartile", "peer_median", "peer_upper_quartile")),
            ("lines", LineFigure, ()),
        ):
            for index, row in enumerate(figures[kind] if isinstance(figures[kind], list) else []):
                place = f"comparison_figures.{kind}[{index}]"
                try:
                    framework = self.frameworks[tuple(row.pop("framework"))]
                    values = {
                        k: (None if row[k] is None else Decimal(row[k])) if k in decimals else row[k] for k in row
                    }
                    instance = model(framework=framework, **values)
                    fixed = ["assessment", "organisation", "ics", "framework", "period_start_year", "organisation_type"]
                    # An empty figure (a section with nothing assessed) is None, which the
                    # fields allow in the database though not in a form.
                    instance.clean_fields(exclude=fixed + [k for k, v in values.items() if v is None])
                except (TypeError, KeyError, AttributeError, InvalidOperation):
                    self.problem(f"{place}: not a figure of the assessment's framework versions.")
                    continue
                except ValidationError as exc:
                    for name, messages in sorted(exc.message_dict.items()):
                        self.problem(f"{place}: {name}: {' '.join(messages)}")
                    continue
                getattr(self, f"{kind[:-1]}_figures").append(instance)

    # -- writing --

    def write(self, stored: list[str]) -> ImportResult:
        a = self.assessment
        signed_off = a.status == Assessment.Status.SIGNED_OFF
        for user in self.new_people:
            user.save()
        # Created as not signed off (the triggers refuse anything else); the status moves
        # once its rows and sign-off records are in, as a sign-off does.
        if signed_off:
            a.status = Assessment.Status.MODERATION
        _insert(a)
        a.frameworks.add(*self.frameworks.values())
        for r in self.respondents.values():
            r.assessment = a
            _insert(r)
        for answer in self.answers.values():
            _insert(answer)
        for score in self.agreed.values():
            score.assessment = a
            _insert(score)
        for evidence, content, suffix in self.evidence:
            evidence.assessment = a
            if content is not None:
                evidence.file.save(f"evidence{suffix}", ContentFile(content), save=False)
                stored.append(evidence.file.name)
            _insert(evidence)
        for action, carried in self.actions:
            action.assessment = a
            action.carried_from = carried
            _insert(action)
        for entry, subject in self.history:
            entry.assessment = a
            entry.subject_id = a.pk if subject == "assessment" else getattr(subject, "pk", None)
            _insert(entry)
        for record in self.sign_offs.values():
            record.assessment = a
            _insert(record)
        if signed_off:
            Assessment.objects.filter(pk=a.pk).update(status=Assessment.Status.SIGNED_OFF)
            a.status = Assessment.Status.SIGNED_OFF
        for report, content in self.sealed:
            report.assessment = a
            report.pdf.save(
                f"{report.sign_off.sequence}-{report.pdf_sha256[:16]}.pdf", ContentFile(content), save=False
            )
            stored.append(report.pdf.name)
            _insert(report)
        common = {
            "assessment": a,
            "ics": a.ics,
            "period_start_year": a.period_start_year,
            "organisation_type": a.organisation_type,
        }
        for figure in self.section_figures:
            figure.organisation = a.organisation
        for figure in [*self.section_figures, *self.line_figures]:
            for name, value in common.items():
                setattr(figure, name, value)
        SectionFigure.objects.bulk_create(self.section_figures)
        LineFigure.objects.bulk_create(self.line_figures)
        return ImportResult(a, [u.email for u in self.new_people], self.notes)


def _insert(instance: models.Model) -> None:
    """Insert a row with its times as exported: a raw save (as `loaddata` does) keeps
    auto_now and auto_now_add fields from stamping the time of the import."""
    # Rows built before the people, the assessment or the respondent they point at were
    # saved: take those ids now (what Model.save does, and save_base does not).
    for f in instance._meta.concrete_fields:
        if f.is_relation and f.is_cached(instance):
            setattr(instance, f.name, getattr(instance, f.name))
    instance.save_base(raw=True, force_insert=True)
