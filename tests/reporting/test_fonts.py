"""The PDF uses the typeface shipped in static/fonts, never one the machine happens to have."""

import subprocess
import tempfile
from pathlib import Path

import weasyprint
from django.conf import settings
from django.test import SimpleTestCase

STATIC = Path(settings.BASE_DIR) / "static"
FAMILY = "ICS Report Sans"  # As registered by static/css/report-fonts.css.


def pdf_fonts(html: str) -> list[dict[str, str]]:
    """`pdffonts`' table for `html` rendered by WeasyPrint with the report's font CSS."""
    with tempfile.TemporaryDirectory() as folder:
        pdf = Path(folder, "fonts.pdf")
        weasyprint.HTML(string=html, base_url=f"{STATIC}/").write_pdf(pdf)
        table = subprocess.run(["pdffonts", pdf], check=True, capture_output=True, text=True).stdout
    # Columns: name, type (may contain spaces), encoding, emb, sub, uni, object, ID.
    fonts = []
    for line in table.splitlines()[2:]:
        words = line.split()
        fonts.append({"name": words[0], "emb": words[-5]})
    return fonts


class ReportFontTests(SimpleTestCase):
    def test_it_embeds_the_shipped_font_and_no_other(self):
        html = f"""<!doctype html><html><head><link rel="stylesheet" href="css/report-fonts.css">
        <style>body {{ font-family: "{FAMILY}"; }}</style></head>
        <body><p>Well-led – level 3 ≥ 2 · Łódź, Ynys Môn</p><p><b>Agreed</b> <i>Target</i></p></body></html>"""
        fonts = pdf_fonts(html)
        # Subset fonts are named "ABCDEF+Family-Style": one each for regular, bold and italic.
        self.assertEqual(
            sorted(font["name"].split("+", 1)[1] for font in fonts),
            ["ICS-Report-Sans", "ICS-Report-Sans-Bold", "ICS-Report-Sans-Italic"],
        )
        self.assertEqual({font["emb"] for font in fonts}, {"yes"})

    def test_it_ships_each_file_the_css_names_with_its_licence(self):
        css = (STATIC / "css" / "report-fonts.css").read_text()
        for name in ("SourceSans3-Regular.ttf", "SourceSans3-Bold.ttf", "SourceSans3-Italic.ttf"):
            with self.subTest(name=name):
                self.assertIn(f"url(../fonts/{name})", css)
                self.assertTrue((STATIC / "fonts" / name).is_file())
                self.assertIn(name, (STATIC / "fonts" / "README.md").read_text())
        self.assertIn("SIL OPEN FONT LICENSE Version 1.1", (STATIC / "fonts" / "OFL.txt").read_text())
