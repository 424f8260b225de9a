"""The maturity report in a browser: the chair reads it and downloads the sealed PDF, a
director opens their own page, and a printed report is checked by its fingerprint."""

import hashlib
from pathlib import Path

from assessments import services
from reporting.models import SealedReport
from tests.base import add_member, make_ics, make_org, make_user
from tests.browser.base import BrowserTestCase
from tests.factories import agree_all, make_assessment, make_framework

BASE = "/organisations/RA1/assessments/"


class ReportInBrowserTests(BrowserTestCase):
    def setUp(self):
        super().setUp()
        trust = make_org("RA1", "North Hospitals NHS Trust", make_ics("QAA", "North"))
        self.secretary, self.chair = make_user("secretary"), make_user("chair")
        add_member(self.secretary, trust, "secretary")
        add_member(self.chair, trust, "chair")
        self.directors = [make_user(f"director{n}") for n in range(1, 5)]
        for n, user in enumerate(self.directors):
            add_member(user, trust, "director", "executive" if n % 2 else "non-executive")
        assessment = make_assessment(
            trust,
            secretary=self.secretary,
            respondents=self.directors,
            frameworks=[make_framework(sections=3, lines_per_section=2)],
            status="moderation",
        )
        agree_all(assessment, by=self.chair, level=2)
        self.assessment = services.sign_off(assessment, by=self.chair)
        self.url = f"{BASE}{self.assessment.period_start_year}/report/"

    def test_the_chair_reads_the_report_and_downloads_the_sealed_pdf(self):
        self.sign_in(self.chair)
        self.visit(self.url)
        self.assertIn("North Hospitals NHS Trust", self.page.locator("h1").inner_text())
        self.assertIn("2.0 · Developing", self.page.locator("#summary + .report-headline").inner_text())
        radar = self.page.locator("figure.report-chart img")
        self.assertEqual(radar.count(), 1)
        self.assertIn("section maturity. Radar chart", radar.get_attribute("alt"))
        self.assertTrue(radar.evaluate("img => img.complete && img.naturalWidth > 0"))
        self.assertAccessible()
        with self.page.expect_download() as download:
            self.page.get_by_role("link", name="Download the signed-off PDF").click()
        path = Path(download.value.path())
        content = path.read_bytes()
        self.assertTrue(content.startswith(b"%PDF-"))
        sealed = SealedReport.objects.get()
        self.assertEqual(hashlib.sha256(content).hexdigest(), sealed.pdf_sha256)
        # The page now shows the file's own fingerprint; checking it finds the report.
        self.visit(self.url)
        self.assertIn(sealed.pdf_sha256, self.page.locator("main").inner_text())
        self.visit("/reports/check/")
        self.assertAccessible()
        self.page.get_by_label("Fingerprint").fill(sealed.pdf_sha256)
        self.page.get_by_role("button", name="Check").click()
        self.page.get_by_role("heading", name="It belongs to").wait_for()
        self.assertIn("sign-off 1", self.page.locator("main").inner_text())
        self.assertNoConsoleErrors()

    def test_a_director_opens_their_own_page(self):
        director = self.directors[0]
        self.sign_in(director)
        self.visit(self.url)
        self.page.get_by_role("link", name="Your own scores beside the board's").click()
        self.page.get_by_role("heading", name="Your scores beside the board's").wait_for()
        self.assertAccessible()
        text = self.page.locator("main").inner_text()
        self.assertIn("only you can see this page", text.lower())
        self.assertIn("Where you stood furthest from the board", text)
        self.assertIn("S1.1", text)
        self.assertNoConsoleErrors()
