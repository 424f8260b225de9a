"""The ICS comparison: what it shows, to whom, how fast, and its exports and PDF."""

import csv
import io
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path

from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from organisations.models import IcsMembership
from reporting.comparison import ics_comparison, ics_trend
from reporting.models import SectionFigure
from reporting.percentiles import quartiles
from tests.base import add_member, make_org, make_user
from tests.reporting.base import Kind, ReportTestCase

C = "/ics/QAA/comparison/"


class PercentileTests(ReportTestCase):
    """One function, the same answer on SQLite (Python) and PostgreSQL (percentile_cont):
    CI runs these on both."""

    def test_quartiles_interpolate_between_ranks_and_round_half_up(self):
        assessment = self.scored()

        def figure(period, code, value):
            SectionFigure.objects.create(
                assessment=assessment,
                organisation=self.trust,
                ics=self.ics,
                period_start_year=period,
                organisation_type="acute",
                framework=self.framework,
                section_code=code,
                maturity=Decimal(value),
                assessed=1,
                lines=1,
            )

        for code, value in zip("ABCD", ["2.0", "3.0", "3.5", "4.0"], strict=True):
            figure(2030, code, value)
        figure(2031, "E", "2.0")
        figure(2031, "F", "3.5")
        found = quartiles(
            SectionFigure.objects.filter(period_start_year__gte=2030), group_by=["period_start_year"], value="maturity"
        )
        four = found[(2030,)]
        # percentile_cont: 2.75, 3.25, 3.625, rounded half up to one decimal.
        self.assertEqual(
            (four.count, four.lower, four.median, four.upper), (4, Decimal("2.8"), Decimal("3.3"), Decimal("3.6"))
        )
        self.assertEqual(found[(2031,)].median, Decimal("2.8"))  # 2.75 rounds up on both databases


class ComparisonTests(ReportTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        # Three peers two years running, the board of RA1 last year only, a trust still
        # scoring, one with no assessment, and a trust of another system that serves this one.
        for code, levels in (("RP1", (2, 3)), ("RP2", (3, 4)), ("RP3", (4, 5))):
            cls.peer(code, year=2024, level=levels[0])
            cls.peer(code, year=2025, level=levels[1])
        cls.ours = cls.scored(year=2025, agreed={"S1.1": 1, "S1.2": 2})
        scoring = make_org("RS1", "Still Scoring NHS Trust", cls.ics, type="mental-health")
        add_member(make_user("sec-rs1"), scoring, "secretary")
        director = make_user("dir-rs1")
        add_member(director, scoring, "director", Kind.EXECUTIVE)
        from tests.factories import make_assessment

        make_assessment(
            scoring,
            secretary=scoring.memberships.get(role="secretary").user,
            respondents=[director],
            frameworks=[cls.framework],
            year=2025,
        )
        make_org("RN1", "Not Started NHS Trust", cls.ics, type="community")
        serving = make_org("RB9", "Serving From South NHS Trust", cls.other_ics, type="ambulance")
        IcsMembership.objects.create(organisation=serving, ics=cls.ics, valid_from=cls.ics.valid_from, primary=False)

    def comparison(self, **options):
        return ics_comparison(self.ics, period=2025, **options)

    def test_the_heatmap_holds_each_organisations_section_maturity_and_the_systems_spread(self):
        data = self.comparison()
        rows = {row.organisation.ods_code: row for row in data.rows}
        self.assertEqual([s.code for s in data.sections], ["S1", "S2", "S3"])
        self.assertEqual(rows["RA1"].cells, [Decimal("1.5"), Decimal("3.0"), Decimal("3.0")])
        self.assertEqual(rows["RP3"].cells, [Decimal("5.0")] * 3)
        s1 = data.spread[0]
        self.assertEqual((s1.count, s1.lower, s1.median, s1.upper), (4, Decimal("2.6"), Decimal("3.5"), Decimal("4.3")))
        self.assertEqual(rows["RP1"].movement, [Decimal("1.0")] * 3)
        self.assertIsNone(rows["RA1"].movement[0])  # no last year for RA1
        # RA2 (the personas' second trust) and RN1 have no assessment.
        self.assertEqual(data.completion, {"signed_off": 4, "in_progress": 1, "none": 2})
        self.assertEqual((rows["RS1"].status, rows["RN1"].status), ("in_progress", "none"))
        # A trust serving the system from another: listed, flagged, no figures, not in the spread.
        self.assertEqual((rows["RB9"].status, rows["RB9"].home, rows["RB9"].cells), ("elsewhere", "South", []))

    def test_filters_and_sorting(self):
        data = self.comparison(types=["mental-health"])
        self.assertEqual([row.organisation.ods_code for row in data.rows], ["RA2", "RS1"])
        self.assertEqual(data.spread, [None, None, None])
        order = [row.organisation.ods_code for row in self.comparison(sort="S1", descending=True).rows]
        self.assertEqual(order[:4], ["RP3", "RP2", "RP1", "RA1"])
        self.assertEqual(set(order[4:]), {"RA2", "RB9", "RN1", "RS1"})  # those without figures last

    def test_weakest_lines_and_disagreement(self):
        data = self.comparison()
        self.assertEqual([line.code for line in data.weakest[:2]], ["S1.1", "S1.2"])
        self.assertEqual(data.weakest[0].mean_level, Decimal("3.3"))  # (1 + 3 + 4 + 5) / 4, half up
        self.assertTrue(all(line.boards == 1 for line in data.disagreement))  # the peers' one director is withheld

    def test_the_trend_holds_the_system_median_per_period(self):
        sections, rows = ics_trend(self.ics, "board")
        self.assertEqual([row.period for row in rows], [2024, 2025])
        self.assertEqual(rows[0].medians[0].median, Decimal("3.0"))

    def test_the_page_is_for_the_systems_consultants_and_staff_only(self):
        self.client.force_login(self.consultant)
        page = self.client.get(C)
        self.assertContains(page, "Still Scoring NHS Trust")
        self.assertContains(page, "Not yet signed off")
        self.assertContains(page, 'href="/organisations/RA1/assessments/2025/report/"')
        self.assertNotContains(page, "South Hospitals NHS Trust")  # another system's trust
        for user in (self.consultant_elsewhere, self.secretary, self.chair, self.executive, self.outsider):
            self.client.force_login(user)
            self.assertEqual(self.client.get(C).status_code, 404, user.username)
        self.client.force_login(self.staff)
        self.assertEqual(self.client.get(C).status_code, 200)
        national = self.client.get("/comparison/national/?framework=board&period=2025")
        self.assertContains(national, 'href="/ics/QAA/comparison/"')

    def test_its_queries_do_not_grow_with_the_organisations(self):
        self.client.force_login(self.consultant)
        self.client.get(C)
        with CaptureQueriesContext(connection) as before:
            self.client.get(C)
        for code in ("RP4", "RP5", "RP6", "RP7"):
            self.peer(code, year=2025, level=3)
        with CaptureQueriesContext(connection) as after:
            response = self.client.get(C)
        self.assertContains(response, "RP7")
        self.assertLessEqual(len(before), 8)
        self.assertEqual(len(after), len(before))

    def test_exports_hold_the_heatmap_and_the_lines(self):
        self.client.force_login(self.consultant)
        heatmap = list(csv.reader(io.StringIO(self.client.get(C + "export/heatmap.csv").content.decode())))
        self.assertEqual(heatmap[0][:6], ["Organisation", "ODS code", "Type", "Status", "S1", "S2"])
        ra1 = next(row for row in heatmap if row[1] == "RA1")
        self.assertEqual(ra1[4:7], ["1.5", "3.0", "3.0"])
        self.assertEqual(heatmap[-2][3:5], ["System median", "3.5"])
        lines = self.client.get(C + "export/lines.csv").content.decode()
        self.assertIn("Weakest,S1.1", lines)
        book = load_workbook(io.BytesIO(self.client.get(C + "export/comparison.xlsx").content))
        self.assertEqual(book.sheetnames, ["Heatmap", "Lines"])
        self.assertEqual(self.client.get(C + "export/secrets.csv").status_code, 404)

    def test_the_pdf_is_tagged_set_in_the_shipped_font_and_holds_the_heatmap(self):
        self.client.force_login(self.consultant)
        response = self.client.get(C)
        response = self.client.get(C + "pdf/")
        self.assertEqual(response["Content-Type"], "application/pdf")
        with tempfile.TemporaryDirectory() as folder:
            pdf = Path(folder) / "comparison.pdf"
            pdf.write_bytes(response.content)
            text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
            info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
            fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout.splitlines()[2:]
        self.assertIn("North, 2025/26", text)
        self.assertIn("System median", text)
        self.assertIn("Peer RP3 NHS Trust", text)
        self.assertRegex(info, r"Tagged:\s+yes")
        self.assertTrue(fonts)
        self.assertTrue(all("ICS-Report-Sans" in line for line in fonts))
