"""The ICS comparison in a browser: the consultant opens it from the home page, filters,
sorts, and downloads the Excel workbook and the PDF; a consultant of another ICS cannot."""

import io
import subprocess
import tempfile
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import expect

from assessments import services
from organisations.models import ConsultantAssignment
from tests.base import add_member, make_ics, make_org, make_user
from tests.browser.base import BrowserTestCase
from tests.factories import agree_all, make_assessment, make_framework

TRUSTS = [
    ("RA1", "Alpha Hospitals NHS Trust", "acute", 2),
    ("RB1", "Beta Mind NHS Trust", "mental-health", 4),
    ("RC1", "Gamma Hospitals NHS Trust", "acute", 3),
]


class ComparisonInBrowserTests(BrowserTestCase):
    def setUp(self):
        super().setUp()
        ics = make_ics("QAA", "North")
        framework = make_framework(sections=3, lines_per_section=2)
        for code, name, kind, level in TRUSTS:
            trust = make_org(code, name, ics, type=kind)
            secretary, chair = make_user(f"sec-{code}"), make_user(f"chair-{code}")
            add_member(secretary, trust, "secretary")
            add_member(chair, trust, "chair")
            directors = [make_user(f"dir-{code}-{n}") for n in range(3)]
            for user in directors:
                add_member(user, trust, "director", "executive")
            assessment = make_assessment(
                trust, secretary=secretary, respondents=directors, frameworks=[framework], status="moderation"
            )
            agree_all(assessment, by=chair, level=level)
            services.sign_off(assessment, by=chair)  # commits: the summary rows are written
        self.consultant = make_user("consultant")
        ConsultantAssignment.objects.create(user=self.consultant, ics=ics)
        self.elsewhere = make_user("elsewhere")
        ConsultantAssignment.objects.create(user=self.elsewhere, ics=make_ics("QBB", "South"))

    def test_the_consultant_compares_filters_sorts_and_downloads(self):
        page = self.page
        self.sign_in(self.consultant)
        self.visit("/")
        page.get_by_role("link", name="Compare its organisations").click()
        page.get_by_role("heading", name="Section maturity by organisation").wait_for()
        self.assertAccessible()
        names = page.locator("table.heatmap").first.locator("tbody th.heatmap__org a")
        self.assertEqual(names.all_inner_texts(), [name for _, name, _, _ in TRUSTS])

        page.get_by_label("Acute trust").check()
        page.get_by_role("button", name="Show").click()
        page.wait_for_url("**type=acute**")
        expect(names).to_have_text(["Alpha Hospitals NHS Trust", "Gamma Hospitals NHS Trust"])
        page.get_by_role("link", name="S1 Section 1, sort").click()
        page.wait_for_url("**sort=S1**")
        expect(names).to_have_text(["Gamma Hospitals NHS Trust", "Alpha Hospitals NHS Trust"])

        with page.expect_download() as excel:
            page.get_by_role("link", name="Excel workbook").click()
        book = load_workbook(io.BytesIO(Path(excel.value.path()).read_bytes()))
        rows = [[cell.value for cell in row] for row in book["Heatmap"].iter_rows()]
        self.assertEqual([row[0] for row in rows[1:3]], ["Gamma Hospitals NHS Trust", "Alpha Hospitals NHS Trust"])
        self.assertEqual(rows[1][4], 3.0)

        with page.expect_download() as pdf:
            page.get_by_role("link", name="PDF of this comparison").click()
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "comparison.pdf"
            path.write_bytes(Path(pdf.value.path()).read_bytes())
            text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout
        self.assertIn("Gamma Hospitals NHS Trust", text)
        self.assertNotIn("Beta Mind NHS Trust", text)  # the filter holds in the PDF
        self.assertIn("System median", text)

        page.get_by_role("link", name="The system median over the years").click()
        page.get_by_role("heading", name="North: the system median over the years").wait_for()
        self.assertAccessible()
        self.assertNoConsoleErrors()

    def test_staff_see_the_national_view(self):
        from tests.base import make_user as user

        admin = user("admin", is_staff=True)
        self.sign_in(admin)
        self.visit("/")
        self.page.get_by_role("link", name="National view").click()
        self.page.get_by_role("heading", name="National view").wait_for()
        self.assertAccessible()
        self.page.get_by_role("link", name="North").click()
        self.page.get_by_role("heading", name="Section maturity by organisation").wait_for()
        self.assertAccessible()

    def test_a_consultant_of_another_ics_gets_not_found(self):
        self.sign_in(self.elsewhere)
        response = self.visit("/ics/QAA/comparison/")
        self.assertEqual(response.status, 404)
