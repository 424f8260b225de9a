"""Export and import of one assessment: the round trip gives the same bytes, and every
refusal writes nothing (rows, people or files)."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import warnings
import zipfile
from io import StringIO
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import transaction

from assessments import services
from assessments.models import (
    Action,
    AgreedScore,
    Answer,
    Assessment,
    AssessmentLocked,
    Evidence,
    HistoryEntry,
    Respondent,
    SignOffRecord,
    unlocked,
)
from reporting.models import LineFigure, SealedReport, SectionFigure
from reporting.selectors import fingerprint
from tests.factories import PDF_BYTES
from tests.reporting.base import ReportTestCase
from transfer.archive import FORMAT_VERSION, TransferError, export_assessment, import_assessment

NOW = datetime.datetime(2026, 12, 1, 9, 30, tzinfo=datetime.UTC)
TABLES = [
    Assessment,
    Respondent,
    Answer,
    AgreedScore,
    Evidence,
    Action,
    HistoryEntry,
    SignOffRecord,
    SealedReport,
    SectionFigure,
    LineFigure,
    User,
]


def export(ods_code: str = "RA1", year: int = 2025) -> bytes:
    out = io.BytesIO()
    export_assessment(ods_code, year, out, now=NOW)
    return out.getvalue()


def members(archive: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        return {name: z.read(name) for name in z.namelist()}


def rezip(archive: bytes, *, document=None, files=None, rehash: bool = True) -> bytes:
    """The archive with its document changed by `document(doc)` and members replaced by
    `files`; with `rehash`, its manifest made to match again (a consistent forgery)."""
    content = members(archive)
    if document is not None:
        doc = json.loads(content["assessment.json"])
        document(doc)
        content["assessment.json"] = json.dumps(doc).encode()
    content.update(files or {})
    if rehash:
        manifest = json.loads(content["manifest.json"])
        manifest["members"] = {
            name: hashlib.sha256(data).hexdigest() for name, data in content.items() if name != "manifest.json"
        }
        content["manifest.json"] = json.dumps(manifest).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in content.items():
            z.writestr(name, data)
    return out.getvalue()


def stored_files() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def remove(assessment: Assessment) -> None:
    """Delete an assessment the way the lock allows: reopen it on record, then delete."""
    assessment.refresh_from_db()
    if assessment.status == Assessment.Status.SIGNED_OFF:
        latest = assessment.latest_sign_off()
        SignOffRecord.objects.create(
            assessment=assessment, sequence=latest.sequence + 1, kind="reopened", by=latest.by, reason="Moved."
        )
        with unlocked():
            Assessment.objects.filter(pk=assessment.pk).update(status=Assessment.Status.MODERATION)
    Assessment.objects.filter(pk=assessment.pk).delete()


class TransferTestCase(ReportTestCase):
    def setUp(self):
        super().setUp()
        self.last_year = self.build_last_year()
        self.assessment = self.build()

    def build_last_year(self) -> Assessment:
        last = self.scored(year=2024, sign_off=False)
        line = last.included_lines()[0]
        services.save_action(
            last,
            services.ActionInput(line, None, "Refresh the board's skills matrix.", "Chair", None, "open"),
            by=self.chair,
        )
        with self.captureOnCommitCallbacks(execute=True):
            services.sign_off(last, by=self.chair)
        last.refresh_from_db()
        return last

    def build(self) -> Assessment:
        """A signed-off assessment with everything an export holds: a carried action, a
        section action, evidence with a file and with a link, a removed piece of evidence,
        a comment and a "don't know", two sign-offs and a reopening between, two sealed
        reports and the comparison's figures."""
        a = self.scored(
            year=2025,
            previous=self.last_year,
            sign_off=False,
            scores={u: {} for u in self.board},
            agreed={"S1.1": None},
        )
        lines = a.included_lines()
        upload = SimpleUploadedFile("audit.pdf", PDF_BYTES)
        services.add_evidence(
            a,
            lines[1],
            services.EvidenceInput(
                "Internal audit", "audit-report", datetime.date(2025, 9, 1), "", upload, "application/pdf"
            ),
            by=self.secretary,
        )
        services.add_evidence(
            a,
            lines[1],
            services.EvidenceInput(
                "Board minutes", "minutes", datetime.date(2025, 10, 1), "https://example.org/m", None
            ),
            by=self.chair,
        )
        gone = services.add_evidence(
            a,
            lines[2],
            services.EvidenceInput("Draft", "other", datetime.date(2025, 10, 2), "https://example.org/d", None),
            by=self.chair,
        )
        services.remove_evidence(gone, by=self.chair)
        section = lines[0].section
        services.save_action(
            a,
            services.ActionInput(
                None,
                section,
                "Review the risk appetite — «ünïcode».",
                "Secretary",
                datetime.date(2026, 3, 31),
                "in-progress",
            ),
            by=self.secretary,
        )
        with self.captureOnCommitCallbacks(execute=True):
            services.sign_off(a, by=self.chair)
        self.seal(a)
        with self.captureOnCommitCallbacks(execute=True):
            services.reopen_assessment(a, by=self.staff, reason="A rationale was wrong.")
        with self.captureOnCommitCallbacks(execute=True):
            services.sign_off(a, by=self.chair)
        self.seal(a)
        a.refresh_from_db()
        return a

    @staticmethod
    def seal(assessment: Assessment) -> SealedReport:
        """A sealed report as the reporting app writes it (without rendering a PDF)."""
        record = assessment.latest_sign_off()
        data = {"figures": [3.4, 2.0, None], "sign_off": record.sequence, "text": "Établi"}
        pdf = PDF_BYTES + str(record.sequence).encode()
        report = SealedReport(
            assessment=assessment,
            sign_off=record,
            pdf_sha256=hashlib.sha256(pdf).hexdigest(),
            size=len(pdf),
            pages=1,
            data=data,
            data_sha256=fingerprint(data),
        )
        report.pdf.save(f"{record.sequence}.pdf", ContentFile(pdf), save=False)
        report.save()
        return report

    def snapshot(self) -> dict:
        return {
            **{
                model.__name__: list(model._base_manager.order_by("pk").values_list("pk", flat=True))
                for model in TABLES
            },
            "files": stored_files(),
        }

    def assertRefused(self, archive: bytes, *expected: str) -> TransferError:
        """The import is refused with messages containing each of `expected`, and
        nothing at all was written."""
        before = self.snapshot()
        with self.assertRaises(TransferError) as caught:
            import_assessment(io.BytesIO(archive))
        text = "\n".join(caught.exception.problems)
        for words in expected:
            self.assertIn(words, text)
        self.assertEqual(self.snapshot(), before)
        return caught.exception


class RoundTripTests(TransferTestCase):
    def test_it_gives_the_same_bytes_after_export_delete_import_export(self):
        first = export()
        remove(self.assessment)
        self.assertFalse(Assessment.objects.filter(organisation=self.trust, period_start_year=2025).exists())

        result = import_assessment(io.BytesIO(first))
        second = export()

        self.assertEqual(members(second)["assessment.json"], members(first)["assessment.json"])
        self.assertEqual(second, first)  # the manifest too, exported at the same moment
        self.assertEqual(result.created_people, [])
        self.assertEqual(result.notes, [])

    def test_the_export_holds_everything(self):
        doc = json.loads(members(export())["assessment.json"])
        self.assertEqual(doc["format_version"], FORMAT_VERSION)
        self.assertEqual((doc["organisation"], doc["ics"], doc["period_start_year"]), ("RA1", "QAA", 2025))
        self.assertEqual(doc["frameworks"], [["board", "1"]])
        self.assertEqual(len(doc["respondents"]), 6)
        self.assertEqual(len(doc["answers"]), 36)
        self.assertEqual(len(doc["agreed_scores"]), 6)
        self.assertEqual([e["title"] for e in doc["evidence"]], ["Internal audit", "Board minutes"])
        self.assertEqual(doc["evidence"][0]["file"]["name"], "evidence/1.pdf")
        self.assertEqual(
            doc["actions"][0]["carried_from"], {"organisation": "RA1", "period_start_year": 2024, "action": 1}
        )
        self.assertEqual(doc["actions"][1]["section"], ["board", "1", "S1"])
        self.assertEqual([s["kind"] for s in doc["sign_offs"]], ["signed_off", "reopened", "signed_off"])
        self.assertEqual([r["sign_off"] for r in doc["sealed_reports"]], [1, 3])
        self.assertEqual(len(doc["comparison_figures"]["sections"]), 3)
        self.assertEqual(len(doc["comparison_figures"]["lines"]), 6)
        self.assertIn({"email": "chair@example.org", "first_name": "Chair", "last_name": "Tester"}, doc["people"])
        self.assertEqual(doc["assessment"]["previous"], {"organisation": "RA1", "period_start_year": 2024})
        # The removed evidence's history entry keeps its words but points at nothing.
        removed = [h for h in doc["history"] if h["subject"] == "Evidence" and h["action"] == "removed"]
        self.assertEqual([h["subject_ref"] for h in removed], [None])
        names = set(members(export()))
        self.assertEqual(
            names, {"manifest.json", "assessment.json", "evidence/1.pdf", "reports/1.pdf", "reports/3.pdf"}
        )

    def test_it_writes_a_signed_off_assessment_in_the_order_the_lock_allows_and_it_stays_locked(self):
        first = export()
        old_evidence = self.assessment.evidence.get(title="Internal audit")
        remove(self.assessment)
        result = import_assessment(io.BytesIO(first))

        a = Assessment.objects.get(pk=result.assessment.pk)
        self.assertEqual(a.status, Assessment.Status.SIGNED_OFF)
        self.assertEqual(a.latest_sign_off().sequence, 3)
        self.assertEqual(a.previous, self.last_year)
        score = a.agreed_scores.first()
        score.rationale = "Changed after the import."
        with self.assertRaises(AssessmentLocked), transaction.atomic():
            score.save()
        # Files and references are the new rows', not the old ids.
        evidence = a.evidence.get(title="Internal audit")
        self.assertNotEqual(evidence.file.name, old_evidence.file.name)
        with evidence.file.open("rb") as f:
            self.assertEqual(f.read(), PDF_BYTES)
        added = a.history.get(subject="Evidence", action="added", note="", subject_id=evidence.pk)
        self.assertEqual(added.subject_id, evidence.pk)
        carried = a.actions.get(carried_from__isnull=False)
        self.assertEqual(carried.carried_from, self.last_year.actions.get())
        report = SealedReport.objects.get(assessment=a, sign_off__sequence=3)
        with report.pdf.open("rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(), report.pdf_sha256)
        self.assertEqual(SectionFigure.objects.filter(assessment=a).count(), 3)

    def test_it_keeps_the_times_as_exported(self):
        first = export()
        created = self.assessment.created_at
        history_times = list(self.assessment.history.order_by("pk").values_list("at", flat=True))
        remove(self.assessment)
        a = import_assessment(io.BytesIO(first)).assessment
        a.refresh_from_db()
        self.assertEqual(a.created_at, created)
        self.assertEqual(list(a.history.order_by("pk").values_list("at", flat=True)), history_times)

    def test_it_creates_people_it_cannot_find_inactive_and_without_a_password(self):
        first = export()
        remove(self.assessment)
        User.objects.filter(pk=self.executive2.pk).update(email="erin.new@example.org")

        result = import_assessment(io.BytesIO(first))

        self.assertEqual(result.created_people, ["executive2@example.org"])
        person = User.objects.get(email="executive2@example.org")
        self.assertFalse(person.is_active)
        self.assertFalse(person.has_usable_password())
        self.assertEqual((person.first_name, person.last_name), ("Erin", "Exec"))
        self.assertFalse(person.memberships.exists())
        self.assertTrue(result.assessment.respondents.filter(user=person).exists())
        self.assertEqual(export(), first)

    def test_it_finds_people_whatever_the_case_of_their_email(self):
        first = export()
        remove(self.assessment)
        User.objects.filter(pk=self.chair.pk).update(email="Chair@Example.org")
        result = import_assessment(io.BytesIO(first))
        self.assertEqual(result.created_people, [])
        self.assertEqual(result.assessment.signed_off_by, self.chair)

    def test_it_leaves_out_links_to_assessments_that_are_not_there_and_says_so(self):
        archive = rezip(
            export(),
            document=lambda doc: (
                doc["assessment"].update(previous={"organisation": "RA1", "period_start_year": 2019}),
                doc["actions"][0].update(carried_from={"organisation": "RA1", "period_start_year": 2019, "action": 1}),
            ),
        )
        remove(self.assessment)
        result = import_assessment(io.BytesIO(archive))
        self.assertIsNone(result.assessment.previous)
        self.assertFalse(result.assessment.actions.filter(carried_from__isnull=False).exists())
        self.assertEqual(len(result.notes), 2)

    def test_a_dry_run_writes_nothing(self):
        first = export()
        remove(self.assessment)
        before = self.snapshot()
        self.assertIsNone(import_assessment(io.BytesIO(first), dry_run=True))
        self.assertEqual(self.snapshot(), before)

    def test_an_assessment_still_open_round_trips_too(self):
        open_one = self.scored(year=2026, previous=self.assessment, sign_off=False)
        first = export(year=2026)
        remove(open_one)
        result = import_assessment(io.BytesIO(first))
        self.assertEqual(result.assessment.status, Assessment.Status.MODERATION)
        self.assertEqual(export(year=2026), first)


class RefusalTests(TransferTestCase):
    def test_it_refuses_an_assessment_that_already_exists(self):
        self.assertRefused(export(), "RA1 already has an assessment for 2025/26")

    def test_it_refuses_a_damaged_zip(self):
        archive = bytearray(export())
        middle = len(archive) // 2
        archive[middle : middle + 40] = bytes(40)
        remove(self.assessment)
        self.assertRefused(bytes(archive))

    def test_it_refuses_a_file_that_is_not_a_zip(self):
        remove(self.assessment)
        self.assertRefused(b"not a zip at all", "not a readable zip archive")

    def test_it_refuses_a_zip_that_is_not_an_export(self):
        remove(self.assessment)
        for content, words in (
            ({"notes.txt": b"hello"}, "it is not an assessment export"),
            (
                {"manifest.json": b'{"format": "other"}', "assessment.json": b"{}"},
                "not an ICS Governance assessment export",
            ),
        ):
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w") as z:
                for name, data in content.items():
                    z.writestr(name, data)
            with self.subTest(words):
                self.assertRefused(out.getvalue(), words)

    def test_it_refuses_a_changed_document(self):
        archive = rezip(export(), document=lambda doc: doc["agreed_scores"][0].update(level=5), rehash=False)
        remove(self.assessment)
        self.assertRefused(archive, "assessment.json does not match its SHA-256")

    def test_it_refuses_a_changed_evidence_file(self):
        archive = rezip(export(), files={"evidence/1.pdf": PDF_BYTES + b"%changed"}, rehash=False)
        remove(self.assessment)
        self.assertRefused(archive, "evidence/1.pdf does not match its SHA-256")

    def test_it_refuses_a_member_the_manifest_does_not_list(self):
        archive = rezip(export(), files={"evidence/9.pdf": PDF_BYTES}, rehash=False)
        remove(self.assessment)
        self.assertRefused(archive, "evidence/9.pdf is in the archive but not in its manifest")

    def test_it_refuses_a_member_the_manifest_lists_but_the_archive_lacks(self):
        content = members(export())
        del content["reports/3.pdf"]
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as z:
            for name, data in content.items():
                z.writestr(name, data)
        remove(self.assessment)
        self.assertRefused(out.getvalue(), "reports/3.pdf is listed in the manifest but missing")

    def test_it_refuses_another_format_version(self):
        archive = rezip(export(), document=lambda doc: doc.update(format_version=FORMAT_VERSION + 1))
        remove(self.assessment)
        self.assertRefused(archive, "assessment.json has format version 2", "reads format version 1 only")

    def test_it_refuses_a_manifest_of_another_format_version(self):
        content = members(export())
        manifest = json.loads(content["manifest.json"])
        manifest["format_version"] = 99
        archive = rezip(export(), files={"manifest.json": json.dumps(manifest).encode()}, rehash=False)
        remove(self.assessment)
        self.assertRefused(archive, "manifest.json has format version 99")

    def test_it_refuses_an_unknown_framework_version(self):
        archive = rezip(export(), document=lambda doc: doc.update(frameworks=[["board", "9"]]))
        remove(self.assessment)
        self.assertRefused(archive, "There is no framework version ['board', '9']")

    def test_it_refuses_a_line_outside_the_frameworks(self):
        def change(doc):
            doc["agreed_scores"][0]["line"] = ["board", "1", "S9.9"]

        archive = rezip(export(), document=change)
        remove(self.assessment)
        self.assertRefused(archive, "agreed_scores[0]: line ['board', '1', 'S9.9'] is not a line")

    def test_it_refuses_an_unknown_organisation_and_ics(self):
        archive = rezip(export(), document=lambda doc: doc.update(organisation="ZZZ", ics="QZZ"))
        remove(self.assessment)
        self.assertRefused(archive, "no organisation with the ODS code 'ZZZ'", "no ICS with the ODS code 'QZZ'")

    def test_it_refuses_an_ics_the_reference_data_here_does_not_give_the_organisation(self):
        archive = rezip(export(), document=lambda doc: doc.update(ics="QBB"))
        remove(self.assessment)
        self.assertRefused(
            archive, "places RA1 in QBB on 1 April 2025, but this database's reference data places it in QAA"
        )

    def test_it_refuses_a_person_it_cannot_tell_apart(self):
        first = export()
        remove(self.assessment)
        User.objects.create_user("chair-twin", "CHAIR@example.org")
        self.assertRefused(first, "more than one person here has the e-mail address chair@example.org")

    def test_it_refuses_a_reference_to_someone_not_among_the_people(self):
        archive = rezip(export(), document=lambda doc: doc["assessment"].update(created_by="nobody@example.org"))
        remove(self.assessment)
        self.assertRefused(archive, "'nobody@example.org' is not among the export's people")

    def test_it_refuses_a_value_the_model_does_not_accept(self):
        archive = rezip(export(), document=lambda doc: doc["assessment"].update(status="approved", deadline="soon"))
        remove(self.assessment)
        self.assertRefused(archive, "assessment: deadline:", "assessment: status:")

    def test_it_refuses_a_row_with_missing_or_unknown_fields(self):
        def change(doc):
            del doc["answers"][0]["comment"]
            doc["answers"][0]["score"] = 4

        archive = rezip(export(), document=change)
        remove(self.assessment)
        self.assertRefused(archive, "answers[0]: missing comment; unknown score.")

    def test_it_refuses_a_signed_off_status_without_its_sign_off_record(self):
        archive = rezip(export(), document=lambda doc: doc.update(sign_offs=doc["sign_offs"][:2], sealed_reports=[]))
        remove(self.assessment)
        self.assertRefused(archive, "latest sign-off record is reopened")

    def test_it_refuses_sign_offs_out_of_order(self):
        archive = rezip(export(), document=lambda doc: doc["sign_offs"][1].update(sequence=7))
        remove(self.assessment)
        self.assertRefused(archive, "sign_offs[1]: numbered 7, not 2")

    def test_it_refuses_a_sealed_report_whose_figures_were_changed(self):
        archive = rezip(export(), document=lambda doc: doc["sealed_reports"][0]["data"].update(figures=[5.0]))
        remove(self.assessment)
        self.assertRefused(archive, "sealed_reports[0]: the report's figures do not match the fingerprint")

    def test_it_refuses_a_sealed_pdf_that_was_swapped(self):
        archive = rezip(export(), files={"reports/1.pdf": PDF_BYTES + b"other"})
        remove(self.assessment)
        self.assertRefused(archive, "sealed_reports[0]: the PDF does not match")

    def test_it_refuses_an_evidence_file_that_is_not_a_document(self):
        html = b"<html><script>alert(1)</script></html>"

        def change(doc):
            doc["evidence"][0]["file"].update(sha256=hashlib.sha256(html).hexdigest(), size=len(html))

        archive = rezip(export(), document=change, files={"evidence/1.pdf": html})
        remove(self.assessment)
        self.assertRefused(archive, 'evidence[0] ("Internal audit"): This file is not a document we accept')

    def test_it_refuses_an_evidence_file_that_does_not_match_its_row(self):
        archive = rezip(export(), files={"evidence/1.pdf": PDF_BYTES + b"%more"})
        remove(self.assessment)
        self.assertRefused(archive, "evidence[0]: its file does not match the size and SHA-256")

    def test_it_refuses_a_history_entry_pointing_at_nothing(self):
        def change(doc):
            doc["history"][0]["subject_ref"] = {"evidence": 42}

        archive = rezip(export(), document=change)
        remove(self.assessment)
        self.assertRefused(archive, "history[0]: subject_ref {'evidence': 42} points at nothing")

    def test_it_refuses_a_member_no_row_refers_to(self):
        archive = rezip(export(), files={"evidence/9.pdf": PDF_BYTES})
        remove(self.assessment)
        self.assertRefused(archive, "evidence/9.pdf is in the archive but no row refers to it")

    def test_it_refuses_two_members_of_one_name(self):
        content = members(export())
        out = io.BytesIO()
        with warnings.catch_warnings(), zipfile.ZipFile(out, "w") as z:
            warnings.simplefilter("ignore")
            for name, data in [*content.items(), ("evidence/1.pdf", PDF_BYTES)]:
                z.writestr(name, data)
        remove(self.assessment)
        self.assertRefused(out.getvalue(), "two members with the same name")

    def test_it_refuses_a_member_larger_than_an_export_holds(self):
        archive = export()
        remove(self.assessment)
        with mock.patch("transfer.archive.MAX_FILE_BYTES", 10):
            self.assertRefused(archive, f"evidence/1.pdf declares {len(PDF_BYTES)} bytes, more than an export holds")

    def test_it_refuses_a_document_with_missing_or_unknown_parts(self):
        archive = rezip(export(), document=lambda doc: (doc.pop("history"), doc.update(extra=1)))
        remove(self.assessment)
        self.assertRefused(archive, "assessment.json: missing history; unknown extra.")

    def test_it_refuses_rows_twice(self):
        def change(doc):
            doc["answers"].append(dict(doc["answers"][0]))
            doc["respondents"].append(dict(doc["respondents"][0]))
            doc["agreed_scores"].append(dict(doc["agreed_scores"][0]))

        archive = rezip(export(), document=change)
        remove(self.assessment)
        self.assertRefused(
            archive,
            "answers[36]: a second answer",
            "respondents[6]: ",
            "is a respondent twice",
            "agreed_scores[6]: a second",
        )

    def test_it_refuses_rows_out_of_their_numbers(self):
        def change(doc):
            doc["evidence"][0]["number"] = 2
            doc["actions"][1]["number"] = 5

        archive = rezip(export(), document=change)
        remove(self.assessment)
        self.assertRefused(archive, "evidence[0]: numbered 2, not 1", "actions[1]: numbered 5, not 2")

    def test_it_refuses_an_action_for_neither_line_nor_section_or_carried_from_nowhere(self):
        def change(doc):
            doc["actions"][1]["section"] = None
            doc["actions"][0]["carried_from"] = "last year"

        archive = rezip(export(), document=change)
        remove(self.assessment)
        self.assertRefused(
            archive, "actions[1]: an action is for a line or a section", "actions[0]: carried_from must name"
        )

    def test_it_refuses_a_sealed_report_of_a_reopening(self):
        archive = rezip(export(), document=lambda doc: doc["sealed_reports"][0].update(sign_off=2))
        remove(self.assessment)
        self.assertRefused(archive, "sealed_reports[0]: sign-off 2 is not a sign-off of the assessment")

    def test_it_refuses_a_person_listed_oddly(self):
        archive = rezip(export(), document=lambda doc: doc["people"][0].update(password="x"))
        remove(self.assessment)
        self.assertRefused(archive, "people[0]: must have exactly email, first_name and last_name")

    def test_it_refuses_a_new_person_whose_username_is_taken(self):
        first = export()
        remove(self.assessment)
        User.objects.filter(pk=self.executive2.pk).update(
            email="erin.new@example.org", username="executive2@example.org"
        )
        self.assertRefused(first, "no person with the e-mail address executive2@example.org, and its username is taken")

    def test_what_the_database_refuses_while_writing_leaves_no_row_and_no_file(self):
        # A reopening without a reason passes the checks here but not the database's
        # constraint, after the evidence file has been stored: both must go.
        archive = rezip(export(), document=lambda doc: doc["sign_offs"][1].update(reason=""))
        remove(self.assessment)
        self.assertRefused(archive, "The database refused the import, so nothing was written")


class ExportRefusalTests(TransferTestCase):
    def test_it_refuses_people_it_cannot_tell_apart(self):
        User.objects.filter(pk=self.executive3.pk).update(email="EXECUTIVE2@example.org")
        User.objects.filter(pk=self.non_executive3.pk).update(email="")
        with self.assertRaises(TransferError) as caught:
            export()
        text = " ".join(caught.exception.problems)
        self.assertIn("executive2, executive3 share the e-mail address executive2@example.org", text)
        self.assertIn("nonexecutive3 has no e-mail address", text)

    def test_it_refuses_an_evidence_file_missing_from_storage(self):
        evidence = self.assessment.evidence.get(title="Internal audit")
        evidence.file.storage.delete(evidence.file.name)
        with self.assertRaisesMessage(TransferError, 'Evidence 1 ("Internal audit"): its file'):
            export()

    def test_it_refuses_a_sealed_pdf_missing_from_storage(self):
        report = SealedReport.objects.get(assessment=self.assessment, sign_off__sequence=3)
        report.pdf.storage.delete(report.pdf.name)
        with self.assertRaisesMessage(TransferError, "Sealed report 3: its PDF"):
            export()


class CommandTests(TransferTestCase):
    def test_the_commands_export_and_import(self):
        folder = Path(settings.MEDIA_ROOT) / "exports"
        folder.mkdir()
        path = folder / "ra1.zip"
        out = StringIO()
        call_command("export_assessment", "RA1", "2025", "-o", str(path), stdout=out)
        self.assertIn("Exported RA1 2025/26", out.getvalue())
        with self.assertRaisesMessage(CommandError, "already exists"):
            call_command("export_assessment", "RA1", "2025", "-o", str(path), stdout=StringIO())
        with self.assertRaisesMessage(CommandError, "RA1 already has an assessment for 2025/26"):
            call_command("import_assessment", str(path), stdout=StringIO())
        remove(self.assessment)
        out = StringIO()
        call_command("import_assessment", str(path), "--dry-run", stdout=out)
        self.assertIn("nothing was written", out.getvalue())
        call_command("import_assessment", str(path), stdout=out)
        self.assertIn("Imported RA1 2025/26 (Signed off)", out.getvalue())
        self.assertEqual(sorted(os.listdir(folder)), ["ra1.zip"])  # no partial file left

    def test_export_names_a_missing_assessment_and_leaves_no_file(self):
        folder = Path(settings.MEDIA_ROOT) / "exports"
        folder.mkdir()
        with self.assertRaisesMessage(CommandError, "There is no assessment of RA1 for 2030/31"):
            call_command("export_assessment", "RA1", "2030", "-o", str(folder / "x.zip"))
        self.assertEqual(os.listdir(folder), [])
