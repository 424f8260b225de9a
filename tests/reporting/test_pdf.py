"""The demo's report as a real PDF, read back the way a person would meet it: its text
(pdftotext), its pages as images (pdftoppm), its tags (pdfinfo) and fonts (pdffonts)."""

from __future__ import annotations

import subprocess
import tempfile
from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.test import TestCase, override_settings
from PIL import Image

from assessments.models import Assessment
from reporting.services import seal


def run(*command: str) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True, timeout=120).stdout


def pages_of(pdf: Path) -> list[str]:
    return run("pdftotext", "-layout", str(pdf), "-").split("\f")[:-1]


@override_settings(DEBUG=True)
class DemoReportPdfTests(TestCase):
    """Last year's signed-off report of the demo trust, sealed as at sign-off, and this
    year's draft."""

    @classmethod
    def setUpTestData(cls):
        cls.media = tempfile.TemporaryDirectory(prefix="ics-demo-pdf-")
        cls.enterClassContext(override_settings(MEDIA_ROOT=cls.media.name))
        call_command("seed_demo", stdout=StringIO())
        cls.signed_off = Assessment.objects.get(
            organisation__ods_code="RR8", period_start_year__lt=2026, previous__isnull=False
        )
        cls.sealed = seal(cls.signed_off.latest_sign_off())
        cls.pdf = Path(cls.media.name) / "sealed.pdf"
        cls.pdf.write_bytes(cls.sealed.pdf.read())
        cls.pages = pages_of(cls.pdf)

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.media.cleanup()

    def test_every_section_of_both_frameworks_is_there(self):
        text = "\n".join(self.pages)
        for code in [f"W{n}" for n in range(1, 9)] + [f"P{n}" for n in range(1, 9)]:
            with self.subTest(section=code):
                self.assertRegex(text, rf"\b{code} [A-Z][a-z]")
        for part in ("Summary", "Year on year", "Action plan", "Evidence appendix", "Where the board disagrees most"):
            self.assertIn(part, text)

    def test_every_page_is_numbered_stamped_and_fingerprinted(self):
        total = len(self.pages)
        self.assertEqual(total, self.sealed.pages)
        for number, page in enumerate(self.pages, start=1):
            with self.subTest(page=number):
                self.assertIn(f"Page {number} of {total}", page)
                self.assertIn("Signed off by", page)
                self.assertIn(self.sealed.data_sha256, page.replace("\n", "").replace(" ", ""))
                self.assertNotIn("DRAFT", page)

    def test_the_contents_give_page_numbers(self):
        contents = self.pages[0]
        self.assertRegex(contents, r"Summary[ .]+\d+")
        self.assertRegex(contents, r"Evidence appendix[ .]+\d+")

    def test_the_charts_are_drawn(self):
        framework_page = next(i for i, page in enumerate(self.pages) if "Mean of individual scores" in page)
        image = Path(self.media.name) / "page"
        run(
            "pdftoppm",
            "-r",
            "40",
            "-png",
            "-f",
            str(framework_page + 1),
            "-l",
            str(framework_page + 1),
            str(self.pdf),
            str(image),
        )
        (png,) = Path(self.media.name).glob("page*.png")
        pixels = Image.open(png).convert("L").getdata()
        blue_ink = sum(1 for value in pixels if value < 200)
        self.assertGreater(blue_ink, 2000, "the radar page is nearly blank")

    def test_it_is_tagged_titled_and_uses_only_the_shipped_font(self):
        info = run("pdfinfo", str(self.pdf))
        self.assertRegex(info, r"Tagged:\s+yes")
        self.assertIn("Maturity report: Leeds Teaching Hospitals NHS Trust", info)
        fonts = [line.split()[0] for line in run("pdffonts", str(self.pdf)).splitlines()[2:]]
        self.assertTrue(fonts)
        for font in fonts:
            self.assertRegex(font, r"^[A-Z]{6}\+ICS-Report-Sans(-Bold|-Italic)?$")

    def test_a_draft_says_so_on_every_page(self):
        from django.contrib.auth import get_user_model

        self.client.force_login(get_user_model().objects.get(username="chair"))
        response = self.client.get("/organisations/RR8/assessments/2026/report/pdf/")
        self.assertEqual(response.status_code, 200)
        draft = Path(self.media.name) / "draft.pdf"
        draft.write_bytes(response.content)
        pages = pages_of(draft)
        self.assertGreater(len(pages), 5)
        for number, page in enumerate(pages, start=1):
            with self.subTest(page=number):
                self.assertIn("DRAFT", page)
                self.assertNotIn("Signed off by", page)
