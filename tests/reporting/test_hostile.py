"""A hostile tester's look at the maturity report: who can learn what, and what hostile
text can do to the page, the PDF, the exports and the PDF's URL fetcher.

Each test documents a defence that holds. Those with a "FINDING" comment were real
problems when written, fixed since; the test keeps them fixed.
"""

import base64
import contextlib
import csv
import datetime
import io
import json
import re
import subprocess
import tempfile
import unittest
from pathlib import Path
from unittest import mock

import tinycss2
from openpyxl import load_workbook

from assessments import services
from assessments.models import Action, AgreedScore, Assessment, Evidence
from reporting.pdf import BASE_URL, RenderedPdf, StaticFilesOnly, render_pdf, static_path_for
from reporting.selectors import build_report, canonical_json
from reporting.services import render_report_pdf, seal
from reporting.templatetags.report import css_string
from tests.factories import answer_all, make_assessment
from tests.reporting.base import ReportTestCase

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
SCRIPT = "<script>alert(1)</script>"
CSS_BREAKERS = ['"; } @page { content: "x', "</style><b>Bold", 'a\\"b\n}{', "\u202eevil"]
FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-1+1", "@SUM(A1:A2)", "\t=1+1", "\r=1+1"]
A4_WIDTH = 595.276
A4_HEIGHT = 841.89
# The page margins of report.css (20mm top, 22mm bottom) in points.
TOP_MARGIN = 20 / 25.4 * 72
BOTTOM_MARGIN = 22 / 25.4 * 72
FAKE_PDF = RenderedPdf(b"%PDF-1.4\n% not a real report\n%%EOF\n", 1)


def url(assessment: Assessment, tail: str = "report/") -> str:
    return f"/organisations/{assessment.organisation.ods_code}/assessments/{assessment.period_start_year}/{tail}"


def body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode(errors="replace")


def normalised(response) -> tuple[int, str]:
    """Status and body without what differs between any two requests (tokens, nonces)."""
    text = re.sub(r'(csrfmiddlewaretoken" value|nonce)="[^"]*"', r'\1=""', body(response))
    return response.status_code, text


def pdf_words(content: bytes) -> list[tuple[int, float, float, float, float, str]]:
    """Every word of a PDF with its page and box (pdftotext -bbox)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.pdf"
        path.write_bytes(content)
        html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    words, page = [], 0
    for line in html.splitlines():
        if "<page " in line:
            page += 1
        found = re.search(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*)</word>', line)
        if found:
            x0, y0, x1, y1 = (float(v) for v in found.groups()[:4])
            words.append((page, x0, y0, x1, y1, found.group(5)))
    return words


def pdf_pages_text(content: bytes) -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.pdf"
        path.write_bytes(content)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]


# --- (a), (b), (c): who can open what --------------------------------------------------


class WhoCanOpenWhatTests(ReportTestCase):
    TAILS = [
        "report/",
        "report/pdf/",
        "report/sealed/1/",
        "report/export/scores.csv",
        "report/export/report.xlsx",
        "report/export/no-such.csv",
        "report/mine/",
        "report/mine/pdf/",
    ]

    def test_a_report_one_may_not_open_looks_exactly_like_one_that_does_not_exist(self):
        draft = self.scored(year=2025, sign_off=False)
        signed = self.scored(year=2024)
        with mock.patch("reporting.pdf.render_pdf", return_value=FAKE_PDF):
            seal(signed.latest_sign_off())
        cases = [
            (self.outsider, signed),  # a director of another trust
            (self.consultant_elsewhere, signed),  # a consultant of another ICS
            (self.consultant, draft),  # consultants see signed-off reports only
            (self.observer, draft),
            (self.executive, draft),  # directors: once signed off
            (None, signed),  # not logged in
        ]
        for user, assessment in cases:
            for tail in self.TAILS:
                with self.subTest(user=str(user), year=assessment.period_start_year, tail=tail):
                    if user is None:
                        self.client.logout()
                    else:
                        self.client.force_login(user)
                    real = normalised(self.client.get(url(assessment, tail)))
                    missing = normalised(self.client.get(f"/organisations/ZZZ99/assessments/2025/{tail}"))
                    self.assertEqual(real[0], 302 if user is None else 404)  # anonymous: to the login
                    self.assertTrue(real == missing, "differs from a report that does not exist")
                    self.assertFalse("North Hospitals" in real[1])

    def test_nobody_reaches_another_directors_own_page(self):
        # The executive scores S1.1 at 1, a colleague at 5: the own page shows only one's own.
        scores = {user: {} for user in self.board}
        scores[self.executive] = {"S1.1": 1}
        scores[self.executive2] = {"S1.1": 5}
        assessment = self.scored(scores=scores)
        self.client.force_login(self.executive)
        for query in ("", f"?user={self.executive2.pk}", f"?respondent={self.executive2.pk}", "?username=executive2"):
            with self.subTest(query=query):
                page = body(self.client.get(url(assessment, "report/mine/") + query))
                row = re.search(r'<tr><th scope="row"><span class="report-line__code">S1\.1</span>.*?</tr>', page, re.S)
                you = re.search(r'<td class="num">(\d)', row.group(0)).group(1)
                self.assertEqual(you, "1")
        # Managers, observers, consultants and non-respondents have no own page at all.
        for user in (self.secretary, self.chair, self.observer, self.consultant, self.staff):
            self.client.force_login(user)
            for tail in ("report/mine/", "report/mine/pdf/"):
                with self.subTest(user=user.username, tail=tail):
                    self.assertEqual(self.client.get(url(assessment, tail)).status_code, 404)

    def test_a_director_who_did_not_submit_or_was_removed_has_no_own_page(self):
        board = [u for u in self.board if u != self.executive3]
        assessment = self.scored(submit=board)  # executive3 saved answers but never submitted
        self.client.force_login(self.executive3)
        self.assertEqual(self.client.get(url(assessment, "report/mine/")).status_code, 404)
        self.client.force_login(self.executive2)
        self.assertEqual(self.client.get(url(assessment, "report/mine/")).status_code, 200)

    def test_a_director_cannot_open_another_trusts_report_even_in_the_same_ics(self):
        self.peer("RP1")  # signed off, same ICS
        for user in (self.executive, self.secretary, self.chair, self.observer):
            self.client.force_login(user)
            for tail in ("report/", "report/pdf/", "report/export/scores.csv"):
                with self.subTest(user=user.username, tail=tail):
                    self.assertEqual(self.client.get(f"/organisations/RP1/assessments/2025/{tail}").status_code, 404)


# --- (a): a secretary or chair differencing the figures --------------------------------


class DifferencingTests(ReportTestCase):
    def test_while_respondents_can_still_be_toggled_no_figure_shows_anywhere(self):
        """During scoring the secretary may remove and re-invite directors, but the draft
        report, its exports and its snapshot show no distribution, mean or spread, so
        comparing them before and after a toggle teaches nothing."""
        scores = {user: {"S1.1": n} for n, user in enumerate(self.board[:5], start=1)}
        scores[self.non_executive3] = {"S1.1": 5}
        assessment = make_assessment(
            self.trust, secretary=self.secretary, respondents=self.board, year=2025, frameworks=[self.framework]
        )
        for respondent in assessment.respondents.select_related("user"):
            answer_all(respondent, level=(scores[respondent.user]["S1.1"]))
            services.submit_response(respondent, by=respondent.user)
        self.client.force_login(self.secretary)
        # Without a radar: with no figure at all yet, drawing one fails (the finding below).
        with mock.patch("reporting.selectors._radar", return_value=None):
            before = self._everything(assessment)
            target = assessment.respondents.get(user=self.non_executive3)
            services.remove_respondent(target, by=self.secretary)
            after = self._everything(assessment)
        for seen in (before, after):
            self.assertTrue("shown when scoring closes" in seen["page"].lower())
            self.assertIsNone(re.search(r"mean \d", seen["page"]))
            self.assertTrue(all(line["counts"] is None and line["mean"] is None for line in seen["lines"]))
            rows = list(csv.DictReader(io.StringIO(seen["csv"])))
            self.assertTrue(all(row["Mean of scores"] == "" for row in rows))

    # FINDING: the draft report, its PDF and every export fail with a server error (500)
    # while scoring is open, and during moderation until some figure exists: with no
    # agreed score, no shown mean, no last year and no target, `_radar` asks charts.radar
    # for a chart with no series, which raises "A radar needs at least one series."
    def test_the_draft_report_opens_while_scoring_is_open(self):
        assessment = make_assessment(
            self.trust, secretary=self.secretary, respondents=self.board, year=2025, frameworks=[self.framework]
        )
        self.client.force_login(self.secretary)
        self.client.raise_request_exception = False
        for tail in ("report/", "report/export/scores.csv", "report/export/report.xlsx"):
            with self.subTest(tail=tail):
                self.assertEqual(self.client.get(url(assessment, tail)).status_code, 200)

    def _everything(self, assessment):
        page = re.sub(r'src="data:[^"]*"', 'src=""', body(self.client.get(url(assessment))))
        data = build_report(assessment).data()
        lines = [line for fw in data["frameworks"] for s in fw["sections"] for line in s["line_results"]]
        exported = body(self.client.get(url(assessment, "report/export/scores.csv")))
        return {"page": page, "lines": lines, "csv": exported}

    def test_once_figures_show_the_set_of_counted_answers_is_frozen_even_across_a_reopening(self):
        assessment = self.scored(sign_off=False)
        respondent = assessment.respondents.get(user=self.non_executive3)
        membership = self.trust.memberships.get(user=self.non_executive3)
        for attempt in (
            lambda: services.remove_respondent(respondent, by=self.secretary),
            lambda: services.reopen_response(respondent, by=self.non_executive3),
            lambda: services.invite_respondents(assessment, [membership], by=self.secretary),
        ):
            with self.assertRaises(services.AssessmentError):
                attempt()
        assessment = services.sign_off(assessment, by=self.chair)
        first = build_report(assessment).data()
        services.reopen_assessment(assessment, by=self.staff, reason="Hostile test.")
        assessment.refresh_from_db()
        for attempt in (
            lambda: services.remove_respondent(respondent, by=self.secretary),
            lambda: services.reopen_response(respondent, by=self.non_executive3),
        ):
            with self.assertRaises(services.AssessmentError):
                attempt()
        assessment = services.sign_off(assessment, by=self.chair)
        second = build_report(assessment).data()

        def figures(data):
            return [
                (line["counts"], line["mean"], line["spread"], line["executive_mean"])
                for fw in data["frameworks"]
                for s in fw["sections"]
                for line in s["line_results"]
            ]

        self.assertEqual(figures(first), figures(second))

    def test_no_directors_name_or_comment_reaches_the_report_even_when_not_anonymous(self):
        assessment = make_assessment(
            self.trust,
            secretary=self.secretary,
            respondents=self.board,
            year=2025,
            anonymous=False,
            frameworks=[self.framework],
        )
        for respondent in assessment.respondents.select_related("user"):
            for answer in respondent.answers.select_related("line__framework", "respondent__assessment"):
                comment = f"SECRET-COMMENT-{respondent.user.username}"
                services.save_answer(
                    answer, services.AnswerInput(3, False, None, comment, answer.version), by=respondent.user
                )
            services.submit_response(respondent, by=respondent.user)
        services.start_moderation(assessment, by=self.secretary)
        for line in assessment.included_lines():
            services.record_agreed_score(
                assessment, line, services.AgreedInput(3, False, "", None, None, "Agreed.", None), by=self.chair
            )
        assessment = services.sign_off(assessment, by=self.chair)
        self.client.force_login(self.secretary)
        seen = [
            body(self.client.get(url(assessment))),
            canonical_json(build_report(assessment).data()),
            body(self.client.get(url(assessment, "report/export/scores.csv"))),
            body(self.client.get(url(assessment, "report/export/sections.csv"))),
            body(self.client.get(url(assessment, "report/export/actions.csv"))),
        ]
        workbook = load_workbook(io.BytesIO(self.client.get(url(assessment, "report/export/report.xlsx")).content))
        seen.append(" ".join(str(c.value) for ws in workbook for row in ws.iter_rows() for c in row))
        for text in seen:
            self.assertFalse("SECRET-COMMENT" in text)
            for user in self.board:
                self.assertFalse(user.get_full_name() in text, user.get_full_name())

    # FINDING: a signed-off report's peer spread (and so its figures fingerprint) is
    # computed live, so it changes after sign-off whenever another trust of the ICS signs
    # off or is reopened. The web page of a signed-off report then disagrees with its sealed
    # PDF (the "check a printed report" page cannot trace a printout of the page), and
    # anyone who can open the report can difference the quartiles before and after one
    # named trust signs off and work out that trust's section maturity (here the spread
    # moves from [3, 3.0, 4.0, 4.5], which is exactly 2, 4 and 5, to [4, 1.8, 3.0, 4.3]:
    # RP4's S1 is 1).
    def test_a_signed_off_reports_peer_figures_do_not_change_after_sign_off(self):
        self.peer("RP1", level=2)
        self.peer("RP2", level=4)
        self.peer("RP3", level=5)
        assessment = self.scored()
        with mock.patch("reporting.pdf.render_pdf", return_value=FAKE_PDF):
            sealed = seal(assessment.latest_sign_off())
        self.client.force_login(self.executive)
        self.assertTrue(sealed.data_sha256 in body(self.client.get(url(assessment))))
        before = sealed.data["frameworks"][0]["sections"][0]["peers"]
        self.assertEqual(before, [3, "3.0", "4.0", "4.5"])  # with three peers: 2, 4 and 5 exactly
        self.peer("RP4", level=1)  # "RP4 signed off yesterday": its figure is the difference
        after = json.loads(canonical_json(build_report(assessment).data()))["frameworks"][0]["sections"][0]["peers"]
        self.assertEqual(after, before)
        self.assertTrue(sealed.data_sha256 in body(self.client.get(url(assessment))))


# --- The sealed PDF's caching and the check page ---------------------------------------


class SealedAndCheckTests(ReportTestCase):
    # FINDING: /report/pdf/ (the sign-off in force) is served "private, max-age=86400,
    # immutable", but that URL's file changes when the assessment is reopened and signed off
    # again: a browser that downloaded it keeps handing out the superseded report for a day.
    # Only /report/sealed/<n>/ names a file that never changes.
    def test_the_current_pdf_url_is_not_cached_as_immutable(self):
        assessment = self.scored()
        self.client.force_login(self.executive)
        with mock.patch("reporting.pdf.render_pdf", return_value=FAKE_PDF):
            first = self.client.get(url(assessment, "report/pdf/"))
        numbered = self.client.get(url(assessment, "report/sealed/1/"))
        self.assertIn("immutable", numbered["Cache-Control"])  # right for a numbered file
        self.assertNotIn("immutable", first["Cache-Control"])

    def test_the_check_page_finds_only_reports_one_may_open_and_says_so_the_same_way(self):
        peer = self.peer("RP1")  # a signed-off report of another trust in ICS A
        with mock.patch("reporting.pdf.render_pdf", return_value=FAKE_PDF):
            sealed = seal(peer.latest_sign_off())
        for user in (self.outsider, self.consultant_elsewhere, self.executive, self.secretary):
            self.client.force_login(user)
            for value in (sealed.data_sha256, sealed.pdf_sha256):
                with self.subTest(user=user.username, value=value[:8]):
                    real = normalised(self.client.get("/reports/check/", {"fingerprint": value}))
                    other = normalised(self.client.get("/reports/check/", {"fingerprint": "0" * 64}))
                    self.assertTrue("No match" in real[1])
                    # Identical but for the fingerprint echoed in the form.
                    self.assertTrue(real[1].replace(value, "0" * 64) == other[1], "differs")
        self.client.force_login(self.consultant)  # assigned to ICS A: may open it
        self.assertTrue("Peer RP1" in body(self.client.get("/reports/check/", {"fingerprint": sealed.data_sha256})))
        self.client.logout()
        response = self.client.get("/reports/check/", {"fingerprint": sealed.data_sha256})
        self.assertEqual(response.status_code, 302)

    def test_the_check_page_echoes_hostile_query_strings_as_text(self):
        self.client.force_login(self.executive)
        for raw in (f'"><{SCRIPT[1:]}', "a" * 100_000, "\u202e" + "f" * 64, "ＡＢＣ" + "a" * 61, "\x00" * 64):
            with self.subTest(raw=raw[:10]):
                response = self.client.get("/reports/check/", {"fingerprint": raw})
                self.assertEqual(response.status_code, 200)
                page = body(response)
                self.assertFalse(SCRIPT in page)
                self.assertTrue("A fingerprint is 64 characters" in page)
        # Upper case and spaces are accepted, and still find nothing one may not open.
        page = body(self.client.get("/reports/check/", {"fingerprint": " ".join(["ABCD"] * 16)}))
        self.assertTrue("No match" in page)


# --- (d): hostile text in the page and the exports -------------------------------------


class HostileTextTests(ReportTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        assessment = cls.scored(sign_off=False)
        lines = list(assessment.included_lines())
        for line, text in zip(lines, FORMULAS, strict=False):
            score = AgreedScore.objects.get(assessment=assessment, line=line)
            services.record_agreed_score(
                assessment, line, services.AgreedInput(3, False, "", 4, None, text, score.version), by=cls.chair
            )
            services.save_action(
                assessment,
                services.ActionInput(line, None, f"{text} {SCRIPT}", text, None, Action.Status.OPEN),
                by=cls.secretary,
            )
        cls.assessment = services.sign_off(assessment, by=cls.chair)

    def test_markup_in_every_free_text_field_is_escaped_on_the_page(self):
        self.client.force_login(self.secretary)
        page = body(self.client.get(url(self.assessment)))
        self.assertFalse(SCRIPT in page)
        self.assertTrue("&lt;script&gt;alert(1)&lt;/script&gt;" in page)

    def test_csv_exports_keep_formulas_as_text(self):
        self.client.force_login(self.executive)
        cells = []
        for name in ("scores.csv", "actions.csv", "sections.csv"):
            text = body(self.client.get(url(self.assessment, f"report/export/{name}")))
            cells += [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]
        for formula in FORMULAS:
            with self.subTest(formula=formula):
                self.assertIn("'" + formula.strip(), [c.split(" <")[0] for c in cells])
        starts = tuple("=+-@\t\r")
        self.assertEqual([c for c in cells if c.startswith(starts)], [])

    def test_the_workbook_keeps_formulas_as_text(self):
        self.client.force_login(self.executive)
        content = self.client.get(url(self.assessment, "report/export/report.xlsx")).content
        workbook = load_workbook(io.BytesIO(content))
        values = []
        for sheet in workbook:
            for row in sheet.iter_rows():
                for cell in row:
                    self.assertNotEqual(cell.data_type, "f", f"{sheet.title}!{cell.coordinate} is a formula")
                    if isinstance(cell.value, str):
                        values.append(cell.value)
        self.assertIn("'=cmd|' /C calc'!A0", values)
        self.assertEqual([v for v in values if v.startswith(tuple("=+-@\t\r"))], [])


class CssStringTests(unittest.TestCase):
    def test_no_text_can_leave_the_css_string_of_a_margin_box(self):
        for value in [*CSS_BREAKERS, "x" * 10_000, "\x00\x0c\\"]:
            with self.subTest(value=value[:20]):
                literal = css_string(value)
                self.assertNotIn("</", literal)
                self.assertNotIn("\n", literal)
                rules = tinycss2.parse_stylesheet(f"@page {{ @bottom-left {{ content: {literal}; }} }}")
                (page,) = rules
                (margin,) = [r for r in tinycss2.parse_blocks_contents(page.content) if r.type == "at-rule"]
                (declaration,) = [d for d in tinycss2.parse_blocks_contents(margin.content) if d.type == "declaration"]
                tokens = [t for t in declaration.value if t.type != "whitespace"]
                self.assertEqual([t.type for t in tokens], ["string"])
                self.assertEqual(tokens[0].value, value.replace("\x00", "\ufffd"))


# --- (e): the PDF's URL fetcher --------------------------------------------------------


class FetcherTests(unittest.TestCase):
    REFUSED = [
        "file:///etc/passwd",
        "file://localhost/etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "https://example.org/static/css/report.css",
        "https://report.invalid.example.org/static/css/report.css",
        "https://user@report.invalid/static/css/report.css",
        "https://report.invalid:8443/static/css/report.css",
        "ftp://report.invalid/static/css/report.css",
        "data:text/css,body{}",
        "data:image/png;base64,iVBORw0KGgo=",
        BASE_URL + "manage.py",
        BASE_URL + "media/reports/1/1.pdf",
        BASE_URL + "static/../manage.py",
        BASE_URL + "static/../ics_governance/settings.py",
        BASE_URL + "static/css/../../ics_governance/settings.py",
        BASE_URL + "static/%2e%2e/manage.py",
        BASE_URL + "static/%2E%2E/%2E%2E/etc/passwd",
        BASE_URL + "static/css%2f..%2f..%2fmanage.py",
        BASE_URL + "static/..%5cmanage.py",
        BASE_URL + "static/%2fetc%2fpasswd",
        BASE_URL + "static//etc/passwd",
        BASE_URL + "static/",
        BASE_URL + "static/css/no-such.css",
        BASE_URL + "static/%00css/report.css",
        BASE_URL + "staticx/css/report.css",
        "/static/css/report.css",
        "static/css/report.css",
    ]

    def test_only_the_projects_own_static_files_are_answered(self):
        self.assertTrue(static_path_for(BASE_URL + "static/css/report.css").is_file())
        fetcher = StaticFilesOnly()
        for address in self.REFUSED:
            with self.subTest(address=address):
                self.assertIsNone(static_path_for(address))
                with self.assertRaises(ValueError):
                    fetcher.fetch(address)

    def test_hostile_references_in_a_rendered_document_read_nothing(self):
        svg = (
            '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" '
            'height="10"><image xlink:href="file:///etc/passwd" href="file:///etc/passwd" width="5" height="5"/>'
            '<style>@import url("file:///etc/hostname");</style></svg>'
        )
        data = base64.b64encode(svg.encode()).decode()
        html = f"""<!doctype html><html lang="en"><head>
            <link rel="stylesheet" href="file:///etc/passwd">
            <link rel="stylesheet" href="https://example.org/x.css">
            <style>@import url("/static/../manage.py"); body {{ background: url("file:///etc/passwd"); }}
            @font-face {{ font-family: x; src: url("http://127.0.0.1:1/font.woff"); }}</style></head>
            <body><img src="/static/%2e%2e/manage.py"><img src="file:///etc/passwd">
            <img src="data:image/svg+xml;base64,{data}"><iframe src="file:///etc/passwd"></iframe>
            <object data="file:///etc/passwd"></object><p>x</p></body></html>"""
        asked, answered = [], []
        original = StaticFilesOnly.fetch

        def spy(fetcher, address, headers=None):
            asked.append(address)
            response = original(fetcher, address, headers)
            answered.append(address)
            return response

        handlers = [
            mock.patch("urllib.request.FileHandler.file_open"),
            mock.patch("urllib.request.HTTPHandler.http_open"),
            mock.patch("urllib.request.HTTPSHandler.https_open"),
            mock.patch("urllib.request.FTPHandler.ftp_open"),
        ]
        with mock.patch.object(StaticFilesOnly, "fetch", spy), contextlib.ExitStack() as stack:
            opened = [stack.enter_context(handler) for handler in handlers]
            pdf = render_pdf(html)
        self.assertTrue(pdf.content.startswith(b"%PDF-"))
        self.assertEqual([a for a in answered if not a.startswith("data:image/svg+xml;base64,")], [])
        self.assertIn("data:image/svg+xml;base64," + data, answered)  # the image itself is drawn
        # The SVG's own reference went to the same fetcher, and was refused there.
        self.assertIn("file:///etc/passwd", asked)
        for handler in opened:
            handler.assert_not_called()  # nothing was read from a file or the network


# --- (d) in the PDF: one hostile report, rendered once ---------------------------------


class HostilePdfTests(ReportTestCase):
    # A real trust's long name, and a chair whose name tries to close the CSS string.
    ORGANISATION = "Cumbria, Northumberland, Tyne and Wear NHS Foundation Trust"
    SURNAME = "Featherstonehaugh-Worthington"
    LONG_WORD = "W" * (10_000 - len(SCRIPT) - 1)

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.trust.name = cls.ORGANISATION
        cls.trust.save()
        cls.chair.first_name, cls.chair.last_name = CSS_BREAKERS[0], CSS_BREAKERS[1] + " " + cls.SURNAME
        cls.chair.save()
        assessment = cls.scored(sign_off=False)
        line = assessment.included_lines()[0]
        score = AgreedScore.objects.get(assessment=assessment, line=line)
        rationale = f"{SCRIPT} {cls.LONG_WORD}"
        services.record_agreed_score(
            assessment, line, services.AgreedInput(3, False, "", 4, None, rationale, score.version), by=cls.chair
        )
        services.save_action(
            assessment,
            services.ActionInput(
                line, None, "Refresh the risk register" + RLO, "Alice Owner", datetime.date(2026, 5, 1), "open"
            ),
            by=cls.secretary,
        )
        services.save_action(
            assessment, services.ActionInput(line, None, f"Own it {SCRIPT}", "O" * 200, None, "open"), by=cls.secretary
        )
        services.add_evidence(
            assessment,
            line,
            services.EvidenceInput(
                "T" * 200, Evidence.Kind.OTHER, datetime.date(2025, 6, 1), "https://example.org/" + "u" * 470, None
            ),
            by=cls.secretary,
        )
        cls.assessment = services.sign_off(assessment, by=cls.chair)
        report = build_report(cls.assessment)
        cls.pdf = render_report_pdf(report).content
        cls.data_sha256 = report.data_sha256()
        cls.words = pdf_words(cls.pdf)
        cls.pages = pdf_pages_text(cls.pdf)

    def test_markup_is_printed_as_text(self):
        text = "\n".join(self.pages)
        self.assertEqual(text.count(SCRIPT), 3)  # the rationale, and the action twice (line, plan)
        self.assertTrue("WWWW" in text)

    def test_a_name_that_tries_to_close_the_css_string_stays_in_the_stamp(self):
        """The chair's name holds `"; } @page { content: "x` and `</style><b>`: every page
        still has its whole stamp, the data fingerprint and its page number, so the name
        neither ended the CSS string nor the <style> element."""
        name = f"{CSS_BREAKERS[0]} {CSS_BREAKERS[1]} {self.SURNAME}"
        total = len(self.pages)
        for number, text in enumerate(self.pages, start=1):
            with self.subTest(page=number):
                self.assertTrue(f"Signed off by {name}, chair," in text)
                self.assertTrue(f"Data SHA-256 {self.data_sha256}" in text)
                bottom = [w[5] for w in self.words if w[0] == number and w[2] > A4_HEIGHT - BOTTOM_MARGIN]
                for word in ("Page", str(number), "of", str(total)):
                    self.assertIn(word, bottom)
        self.assertTrue(all("DRAFT" not in text for text in self.pages))  # the draft rule did not apply

    def test_long_words_in_the_body_wrap_within_the_page(self):
        body_words = [w for w in self.words if w[2] > TOP_MARGIN and w[4] < A4_HEIGHT - BOTTOM_MARGIN]
        self.assertTrue(any(w[5].startswith("WWWW") for w in body_words))
        self.assertEqual([w[:2] + (w[5][:30],) for w in body_words if w[3] > A4_WIDTH - 1], [])

    # FINDING: the page margin boxes do not wrap. The stamp (@bottom-left in
    # report_print.html) is `white-space: pre`, so with a real trust's 59-character name
    # and a 60-character chair's name it runs under "Page N of M" and off the right edge
    # of every page: the period ("2025/26") is cut off and the page number is overprinted.
    # The running header (@top-left, string(organisation) in report.css) has no
    # overflow-wrap either: an organisation name without spaces runs off the page.
    def test_the_stamp_and_running_header_stay_on_the_page(self):
        margin_words = [w for w in self.words if w[2] <= TOP_MARGIN or w[4] >= A4_HEIGHT - BOTTOM_MARGIN]
        self.assertEqual([w[:2] + (w[5][:30],) for w in margin_words if w[3] > A4_WIDTH - 1], [])
        for number in range(1, len(self.pages) + 1):
            bottom = [w for w in margin_words if w[0] == number and w[2] > A4_HEIGHT / 2]
            page_label = next(w for w in bottom if w[5] == "Page")
            stamp = [w for w in bottom if w[5] != "Page" and w[2] < page_label[2] and w[4] > page_label[2]]
            with self.subTest(page=number):
                # The stamp's first line ends before "Page N of M" begins.
                self.assertLess(max(w[3] for w in stamp), page_label[1], [w[5] for w in stamp][-5:])

    # FINDING: a bidi control in free text is printed as it is. One U+202E at the end of an
    # action's description reverses the rest of the line, so the owner, due date and status
    # print backwards ("(detrats ton ;6202 yaM 1 eud ,renwO ecilA)"); the same in a rationale,
    # an evidence title, or a user's or organisation's name in the sign-off stamp.
    def test_a_right_to_left_override_cannot_reverse_the_text_after_it(self):
        text = "\n".join(self.pages)
        self.assertTrue("Refresh the risk register" in text)
        self.assertTrue("(Alice Owner, due 1 May 2026; not started)" in text)
