"""The report's links, exports, a director's own page and the check of a printed report."""

import csv
import io

from openpyxl import load_workbook

from reporting.exports import neutralise
from reporting.models import SealedReport
from reporting.pdf import static_path_for
from reporting.services import seal
from tests.reporting.base import ReportTestCase

R = "/organisations/RA1/assessments/"


class LinkTests(ReportTestCase):
    def test_the_overview_home_and_ics_pages_link_the_report_to_those_who_may_open_it(self):
        draft = self.scored(year=2026, sign_off=False)
        self.scored(year=2025)
        self.client.force_login(self.chair)
        self.assertContains(self.client.get(f"{R}2026/"), f'href="{R}2026/report/"')
        self.client.force_login(self.executive)
        overview = self.client.get(f"{R}2026/")
        self.assertNotContains(overview, f"{R}2026/report/")  # a draft is not theirs to read
        self.assertContains(self.client.get(f"{R}2025/"), f"{R}2025/report/mine/")
        self.client.force_login(self.observer)
        self.assertContains(self.client.get("/"), f'href="{R}2025/report/"')
        self.client.force_login(self.consultant)
        ics_page = self.client.get("/ics/QAA/")
        self.assertContains(ics_page, f'href="{R}2025/report/"')
        self.assertNotContains(ics_page, f"{R}{draft.period_start_year}/report/")


class ExportTests(ReportTestCase):
    def test_formulas_are_neutralised_and_numbers_kept(self):
        self.assertEqual(neutralise('=HYPERLINK("x")'), '\'=HYPERLINK("x")')
        for start in ("+", "-", "@", "\t", "\r"):
            self.assertEqual(neutralise(f"{start}1"), f"'{start}1")
        self.assertEqual(neutralise("Plain"), "Plain")
        self.assertEqual(neutralise(-0.5), -0.5)
        # Headers too: a framework file's section code is text a spreadsheet could run.
        from reporting.exports import as_csv

        self.assertEqual(as_csv(["=SUM(A1)", "S1"], []).splitlines()[0], "'=SUM(A1),S1")

    def test_the_exports_hold_the_report_figures_and_no_names(self):
        self.scored()
        self.client.force_login(self.observer)
        text = self.client.get(f"{R}2025/report/export/scores.csv").content.decode()
        rows = list(csv.reader(io.StringIO(text)))
        self.assertEqual(rows[0][:4], ["Framework", "Version", "Section", "Line"])
        self.assertEqual(len(rows), 1 + 6)
        self.assertEqual(rows[1][rows[0].index("Scores at level 3")], "6")
        book = load_workbook(io.BytesIO(self.client.get(f"{R}2025/report/export/report.xlsx").content))
        self.assertEqual(book.sheetnames, ["Sections", "Lines", "Actions"])
        self.assertEqual(book["Sections"]["E2"].value, 3.0)
        everything = text + "".join(str(c.value) for sheet in book for row in sheet.iter_rows() for c in row)
        for user in self.board:
            self.assertNotIn(user.get_full_name(), everything)
        self.assertEqual(self.client.get(f"{R}2025/report/export/secrets.csv").status_code, 404)


class OwnPageTests(ReportTestCase):
    def test_a_director_sees_their_own_scores_beside_the_board_and_where_they_differ_most(self):
        scores = {user: {} for user in self.board}
        scores[self.executive] = {"S1.1": 1, "S2.2": 5, "S3.1": 4}
        self.scored(scores=scores)
        self.client.force_login(self.executive)
        response = self.client.get(f"{R}2025/report/mine/")
        self.assertEqual(response.status_code, 200)
        furthest = [(o.result.line.code, o.distance) for o in response.context["furthest"]]
        self.assertEqual(furthest, [("S1.1", 2), ("S2.2", 2), ("S3.1", 1)])
        self.assertEqual(response["Cache-Control"], "no-store")

    def test_nobody_else_opens_it(self):
        self.scored()
        for user in (self.secretary, self.chair, self.observer, self.consultant, self.outsider, self.staff):
            self.client.force_login(user)
            with self.subTest(user=user.username):
                self.assertEqual(self.client.get(f"{R}2025/report/mine/").status_code, 404)
        # Each director sees their own answers, never a colleague's.
        self.client.force_login(self.non_executive2)
        own = self.client.get(f"{R}2025/report/mine/").context["respondent"]
        self.assertEqual(own.user, self.non_executive2)

    def test_not_before_sign_off(self):
        self.scored(sign_off=False)
        self.client.force_login(self.executive)
        self.assertEqual(self.client.get(f"{R}2025/report/mine/").status_code, 404)


class CheckPageTests(ReportTestCase):
    def test_a_fingerprint_finds_its_sealed_report_for_those_who_may_open_it(self):
        sealed = seal(self.scored().latest_sign_off())
        self.client.force_login(self.observer)
        for fingerprint, which in ((sealed.data_sha256, "its figures"), (sealed.pdf_sha256.upper(), "its PDF file")):
            with self.subTest(which=which):
                page = self.client.get("/reports/check/", {"fingerprint": fingerprint})
                self.assertContains(page, "It belongs to")
                self.assertContains(page, f"the fingerprint of {which}")
                self.assertContains(page, "sign-off 1")
        self.assertContains(self.client.get("/reports/check/", {"fingerprint": "f" * 64}), "No match")
        self.assertContains(self.client.get("/reports/check/", {"fingerprint": "xyz"}), "64 characters")
        # Someone who may not open the report learns nothing from its fingerprint.
        self.client.force_login(self.outsider)
        self.assertContains(self.client.get("/reports/check/", {"fingerprint": sealed.data_sha256}), "No match")
        self.assertEqual(SealedReport.objects.count(), 1)


class StaticOnlyTests(ReportTestCase):
    def test_the_pdf_may_load_its_own_static_files_and_nothing_else(self):
        self.assertIsNotNone(static_path_for("https://report.invalid/static/css/report.css"))
        for url in (
            "file:///etc/passwd",
            "https://example.org/static/css/report.css",
            "http://report.invalid/static/css/report.css",
            "https://report.invalid/static/../manage.py",
            "https://report.invalid/static/%2e%2e/manage.py",
            "https://report.invalid/media/evidence/1/x.pdf",
            "https://report.invalid/static/",
        ):
            with self.subTest(url=url):
                self.assertIsNone(static_path_for(url))
