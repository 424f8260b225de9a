"""The ICS comparison against hostile users: other systems' consultants, hand-made query
strings, unsigned figures, trusts reporting elsewhere, formula injection in exports and
the staff-only national view. Built on the ComparisonTests data (imported as a module so
its own tests are not collected twice here)."""

import csv
import io
from decimal import Decimal

from openpyxl import load_workbook

from assessments import services
from assessments.models import Assessment
from organisations.models import Organisation
from tests.base import add_member, make_org, make_user
from tests.factories import make_framework
from tests.reporting import test_comparison
from tests.reporting.base import Kind

C = "/ics/QAA/comparison/"
EXPORTS = ("export/heatmap.csv", "export/lines.csv", "export/comparison.xlsx")
HUGE = "9" * 30
HOSTILE_QUERIES = [
    "choice=999:2025",
    "choice=999999:2025",
    "choice=abc",
    "choice=:",
    "choice=::::",
    "choice=-1:-1",
    "choice=0:0",
    f"choice={HUGE}:{HUGE}",
    f"choice=1:{HUGE}",
    "choice=" + "9" * 5000,  # beyond Python's int-string limit
    "choice=%00:%00",
    "choice=1:2025&choice=abc&choice=999:2025",
    "framework=abc&period=xyz",
    f"framework={HUGE}&period=-{HUGE}",
    "framework=1.5&period=2025.0",
    "period=-2025",
    "period=%D9%A2%D9%A0%D9%A2%D9%A5",  # Arabic-Indic digits: int() reads them as 2025
    "type=icb",
    "type=<script>",
    "type=acute&type=acute&type=nonsense&type=",
    "type=" + "x" * 5000,
    "sort=%22%3E%3Cscript%3Ealert(1)%3C/script%3E",
    "sort='onmouseover=alert(1)",
    "sort=" + "S" * 5000,
    "sort=S1&sort=overall&order=desc&order=asc",
    "sort=overall&order=desc",
    "sort=type&order=desc",
    "sort=S9&order=desc",
    "order=%3Cb%3E",
]


def _strip_inherited(cls):
    """Keep the data set-up of ComparisonTests, not its tests (they run in their own file)."""
    for name in dir(test_comparison.ComparisonTests):
        if name.startswith("test_"):
            setattr(cls, name, None)
    return cls


@_strip_inherited
class HostileComparisonTests(test_comparison.ComparisonTests):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        # QBB's own figures: a trust of South on a framework QAA never used, and on the
        # shared one at level 1 everywhere, under a name that must never reach QAA.
        cls.secret_framework = make_framework(slug="secret", sections=2, lines_per_section=1)
        secret = cls._south_trust("RZ1", "Southern Secret NHS Trust")
        cls.scored(
            organisation=secret,
            year=2025,
            scores={secret.memberships.get(role="director").user: {}},
            agreed={"S1.1": 1, "S2.1": 1},
            frameworks=[cls.secret_framework],
        )
        rz2 = cls._south_trust("RZ2", "Southern Shared NHS Trust")
        codes = [line.code for line in cls.framework.lines.all()]
        cls.scored(
            organisation=rz2,
            year=2025,
            scores={rz2.memberships.get(role="director").user: {}},
            agreed=dict.fromkeys(codes, 1),
        )
        # RB9 serves QAA but its primary ICS is QBB: sign it off at level 1 everywhere.
        serving = Organisation.objects.get(ods_code="RB9")
        cls._board_for(serving, "RB9")
        cls.serving_assessment = cls.scored(
            organisation=serving,
            year=2025,
            scores={serving.memberships.get(role="director").user: {}},
            agreed=dict.fromkeys(codes, 1),
        )

    @classmethod
    def _board_for(cls, organisation, code):
        add_member(make_user(f"sec-{code}"), organisation, "secretary")
        add_member(make_user(f"chair-{code}"), organisation, "chair")
        add_member(make_user(f"dir-{code}"), organisation, "director", Kind.EXECUTIVE)

    @classmethod
    def _south_trust(cls, code, name):
        trust = make_org(code, name, cls.other_ics)
        cls._board_for(trust, code)
        return trust

    def get(self, user, url):
        self.client.force_login(user)
        return self.client.get(url)

    # --- Who may reach it ------------------------------------------------------------

    def test_no_one_but_the_systems_consultants_and_staff_reaches_any_of_its_addresses(self):
        urls = [C, C + "pdf/", C + "trend/", *(C + name for name in EXPORTS)]
        queries = ["", "choice=999:2025", "framework=board&period=2025", "sort=S1&order=desc&type=acute"]
        for user in (self.consultant_elsewhere, self.secretary, self.chair, self.executive, self.observer):
            for url in urls:
                for query in queries:
                    response = self.get(user, f"{url}?{query}")
                    self.assertEqual(response.status_code, 404, (user.username, url, query))
                    self.assertNotIn(b"Peer RP3", response.content)
        self.client.logout()
        for url in urls:
            response = self.client.get(url)
            self.assertIn(response.status_code, (302, 404), url)
            self.assertNotIn(b"Peer RP3", response.content)

    def test_the_ods_code_in_the_address_is_matched_exactly(self):
        for code in ("qaa", "QAA%20", "%20QAA", "QA%25", "QBB", "Q", "QAA%00"):
            response = self.get(self.consultant, f"/ics/{code}/comparison/")
            self.assertEqual(response.status_code, 404, code)
        for code in ("qbb", "QBB", "QB%25"):
            self.assertEqual(self.get(self.consultant, f"/ics/{code}/comparison/export/heatmap.csv").status_code, 404)

    def test_export_names_outside_the_list_are_404(self):
        for name in ("heatmap.CSV", "heatmap.csv%00", "..%2Fheatmap.csv", "report.xlsx", "lines.csv.", "", "x" * 500):
            response = self.get(self.consultant, C + "export/" + name)
            self.assertEqual(response.status_code, 404, name)

    def test_only_staff_see_the_national_view(self):
        url = "/comparison/national/?framework=board&period=2025"
        for user in (self.consultant, self.consultant_elsewhere, self.secretary, self.chair, self.outsider):
            response = self.get(user, url)
            self.assertEqual(response.status_code, 404, user.username)
            self.assertNotIn(b"South", response.content)
        self.client.logout()
        self.assertIn(self.client.get(url).status_code, (302, 404))
        page = self.get(self.staff, url)
        self.assertContains(page, 'href="/ics/QAA/comparison/"')
        self.assertContains(page, 'href="/ics/QBB/comparison/"')

    # --- Another system's figures and trusts --------------------------------------------

    def test_another_systems_framework_and_figures_cannot_be_chosen(self):
        fid = self.secret_framework.pk
        for query in (f"choice={fid}:2025", f"framework={fid}&period=2025", f"framework={fid}", f"choice={fid}:"):
            for url in (C, *(C + name for name in EXPORTS)):
                response = self.get(self.consultant, f"{url}?{query}")
                self.assertEqual(response.status_code, 200, (url, query))
                body = response.content
                if url.endswith("xlsx"):
                    book = load_workbook(io.BytesIO(body))
                    body = repr([list(sheet.values) for sheet in book]).encode()
                self.assertNotIn(b"Southern", body, (url, query))
                self.assertNotIn(b"RZ1", body, (url, query))
        trend = self.get(self.consultant, C + "trend/?framework=secret")
        self.assertContains(trend, "No signed-off assessments on this framework yet.")
        # QBB's consultant does see it on their own system: the figures exist.
        own = self.get(self.consultant_elsewhere, f"/ics/QBB/comparison/?choice={fid}:2025")
        self.assertContains(own, "Southern Secret NHS Trust")

    def test_a_trust_reporting_to_another_system_shows_no_figures_and_stays_out_of_the_spread(self):
        self.assertEqual(self.serving_assessment.status, Assessment.Status.SIGNED_OFF)
        self.assertEqual(self.serving_assessment.ics, self.other_ics)
        data = self.comparison()
        rows = {row.organisation.ods_code: row for row in data.rows}
        self.assertEqual((rows["RB9"].status, rows["RB9"].cells, rows["RB9"].overall), ("elsewhere", [], None))
        s1 = data.spread[0]
        self.assertEqual((s1.count, s1.lower, s1.median, s1.upper), (4, Decimal("2.6"), Decimal("3.5"), Decimal("4.3")))
        self.assertEqual(data.weakest[0].organisations, 4)
        page = self.get(self.consultant, C)
        self.assertNotContains(page, 'href="/organisations/RB9/')
        self.assertContains(page, "Serves this system; its results belong to its primary ICS")
        self.assertNotContains(page, "Southern Shared NHS Trust")
        heatmap = list(csv.reader(io.StringIO(self.get(self.consultant, C + "export/heatmap.csv").content.decode())))
        rb9 = next(row for row in heatmap if row[1] == "RB9")
        self.assertEqual(rb9[3], "Reports to its primary ICS (South)")
        self.assertEqual(rb9[4:], ["", "", "", "", ""])
        self.assertFalse(any(row[1].startswith("RZ") for row in heatmap))
        # On its primary system, RB9's figures count.
        south = self.get(self.consultant_elsewhere, f"/ics/QBB/comparison/?choice={self.framework.pk}:2025")
        self.assertContains(south, "Serving From South NHS Trust")
        self.assertContains(south, 'href="/organisations/RB9/assessments/2025/report/"')
        # Nor does the address of its report open for QAA's consultant (nor a report still being scored).
        for url in ("/organisations/RB9/assessments/2025/report/", "/organisations/RS1/assessments/2025/report/"):
            self.assertEqual(self.get(self.consultant, url).status_code, 404, url)
        self.assertEqual(
            self.get(self.consultant_elsewhere, "/organisations/RB9/assessments/2025/report/").status_code, 200
        )

    def test_figures_of_an_assessment_no_longer_signed_off_disappear_everywhere(self):
        rp3 = Assessment.objects.get(organisation__ods_code="RP3", period_start_year=2025)
        with self.captureOnCommitCallbacks(execute=True):
            services.reopen_assessment(rp3, by=self.staff, reason="Figures disputed.")
        data = self.comparison()
        rows = {row.organisation.ods_code: row for row in data.rows}
        self.assertEqual((rows["RP3"].status, rows["RP3"].cells), ("in_progress", []))
        self.assertEqual(data.spread[0].count, 3)
        self.assertTrue(all(line.organisations == 3 for line in data.weakest))
        self.assertNotIn(Decimal("5.0"), [q.upper for q in data.spread])
        heatmap = list(csv.reader(io.StringIO(self.get(self.consultant, C + "export/heatmap.csv").content.decode())))
        rp3_row = next(row for row in heatmap if row[1] == "RP3")
        self.assertEqual((rp3_row[3], rp3_row[4:7]), ("Not yet signed off", ["", "", ""]))
        page = self.get(self.consultant, C)
        self.assertNotContains(page, 'href="/organisations/RP3/assessments/2025/report/"')
        self.assertContains(page, 'href="/organisations/RP2/assessments/2025/report/"')
        trend = self.get(self.consultant, C + "trend/?framework=board")
        self.assertContains(trend, "(3)")  # 2025's median rests on three organisations now
        self.assertNotContains(trend, "(4)")

    def test_a_trust_still_scoring_contributes_nothing(self):
        data = self.comparison(types=["mental-health"])
        self.assertEqual(
            [(r.organisation.ods_code, r.status, r.cells) for r in data.rows],
            [
                ("RA2", "none", []),
                ("RS1", "in_progress", []),
            ],
        )
        self.assertEqual((data.spread, data.weakest, data.disagreement), ([None, None, None], [], []))

    # --- Hand-made query strings -------------------------------------------------------

    def test_no_query_string_makes_a_server_error_or_reflects_markup(self):
        for query in HOSTILE_QUERIES:
            for url in (C, *(C + name for name in EXPORTS)):
                response = self.get(self.consultant, f"{url}?{query}")
                self.assertEqual(response.status_code, 200, (url, query[:80]))
                self.assertNotIn(b"<script>", response.content, (url, query[:80]))
                self.assertNotIn(b"onmouseover=alert", response.content.replace(b"&#x27;", b""), (url, query[:80]))

    def test_a_bad_sort_falls_back_to_the_name(self):
        page = self.get(self.consultant, C + "?sort=%22%3E%3Cscript%3Ealert(1)%3C/script%3E")
        self.assertContains(page, '<input type="hidden" name="sort" value="name">', html=False)
        self.assertContains(page, "&amp;sort=name")
        self.assertEqual(self.comparison(sort="S9", descending=True).sort, "S9")  # unknown code: name order
        names = [r.organisation.name.lower() for r in self.comparison(sort="S9").rows]
        self.assertEqual(names, sorted(names))

    def test_types_outside_the_list_are_dropped_not_trusted(self):
        self.assertEqual(self.comparison(types=["icb", "<b>", "acute", "acute"]).types, ["acute", "acute"])
        self.assertEqual(self.comparison(types=["icb"]).types, [])
        page = self.get(self.consultant, C + "?type=%3Cb%3Ebold%3C/b%3E")
        self.assertNotContains(page, "<b>bold</b>")

    def test_the_trend_takes_any_framework_text_safely(self):
        for query in ("framework=%3Cscript%3Ex%3C/script%3E", "framework=" + "a" * 10000, "framework=", "x=1"):
            response = self.get(self.consultant, C + "trend/?" + query)
            self.assertEqual(response.status_code, 200, query[:60])
            self.assertNotIn(b"<script>x", response.content)
        self.assertContains(self.get(self.consultant, C + "trend/?framework=" + "a" * 10000), "a" * 50 + ";")

    def test_the_national_view_takes_bad_parameters_without_a_server_error(self):
        for query in (
            "period=abc",
            "period=-1",
            "period=0",
            "period=70000",
            f"period={HUGE}",
            "framework=%3Cscript%3E&period=2025",
            "framework=" + "z" * 5000,
            "period=2025&period=x",
        ):
            response = self.get(self.staff, "/comparison/national/?" + query)
            self.assertEqual(response.status_code, 200, query[:60])
            self.assertNotIn(b"<script>", response.content)

    def test_the_pdf_takes_bad_parameters_and_stays_within_the_system(self):
        for query in (f"choice={self.secret_framework.pk}:2025", f"choice=1:{HUGE}&sort=%3Cx%3E&type=icb"):
            response = self.get(self.consultant, C + "pdf/?" + query)
            self.assertEqual(response.status_code, 200, query)
            self.assertEqual(response["Content-Type"], "application/pdf")
            self.assertNotIn(b"Southern", response.content)

    # --- Formula injection -------------------------------------------------------------

    def test_organisation_names_cannot_become_formulas_in_the_exports(self):
        evil = {
            "RP1": '=HYPERLINK("http://evil.example/","x")',
            "RP2": "+1+cmd|' /C calc'!A0",
            "RP3": "-2+3",
            "RS1": "@SUM(1+1)",
            "RN1": "\t=1+1",
            "RA2": "\u202e=1+1",  # a bidi control before the formula
        }
        for code, name in evil.items():
            Organisation.objects.filter(ods_code=code).update(name=name)
        rows = list(csv.reader(io.StringIO(self.get(self.consultant, C + "export/heatmap.csv").content.decode())))
        names = {row[1]: row[0] for row in rows if row[1] in evil}
        self.assertEqual(set(names), set(evil))
        for code, name in names.items():
            self.assertTrue(name.startswith("'"), (code, name))
        book = load_workbook(io.BytesIO(self.get(self.consultant, C + "export/comparison.xlsx").content))
        cells = {row[1].value: row[0] for row in book["Heatmap"].iter_rows(min_row=2) if row[1].value in evil}
        self.assertEqual(set(cells), set(evil))
        for code, cell in cells.items():
            self.assertNotEqual(cell.data_type, "f", code)
            self.assertTrue(str(cell.value).startswith("'"), (code, cell.value))
        page = self.get(self.consultant, C)
        self.assertContains(page, "HYPERLINK(&quot;http://evil.example/&quot;")
