"""The maturity report's figures, who may open it, and its query budget."""

import re
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments import services
from assessments.models import Assessment
from reporting.selectors import build_report
from tests.base import add_member, make_user
from tests.reporting.base import Kind, ReportTestCase


def _section(report, code):
    return next(s for fw in report.frameworks for s in fw.sections if s.section.code == code)


class FiguresTests(ReportTestCase):
    def test_section_maturity_is_the_mean_of_agreed_levels_and_not_assessed_lines_are_counted(self):
        assessment = self.scored(agreed={"S1.1": 2, "S1.2": 5, "S2.1": 4, "S2.2": None, "S3.1": 3, "S3.2": 4})
        report = build_report(assessment)
        s1, s2, s3 = (_section(report, code) for code in ("S1", "S2", "S3"))
        self.assertEqual((s1.maturity, s1.level_name, s1.assessed, s1.total), (Decimal("3.5"), "Established", 2, 2))
        self.assertEqual((s2.maturity, s2.assessed, s2.not_assessed), (Decimal("4.0"), 1, 1))
        self.assertEqual(s3.maturity, Decimal("3.5"))
        # The framework's overall is the mean of the section figures as printed.
        self.assertEqual(report.frameworks[0].overall, Decimal("3.7"))
        page = self.page(assessment)
        self.assertIn("3.5 · Established", page)
        self.assertIn("1 of 2", page)
        self.assertIn("1 not assessed", page)

    def test_line_figures_come_from_submitted_scores_and_small_groups_are_withheld(self):
        # Four directors submit (three executives, one non-executive); two do not.
        scores = {user: {"S1.1": 4} for user in self.board}
        scores[self.executive3] = {"S1.1": 1}
        assessment = self.scored(
            scores=scores, submit=[self.executive, self.executive2, self.executive3, self.non_executive]
        )
        line = next(line for line in build_report(assessment).lines if line.line.code == "S1.1")
        self.assertEqual(dict(line.summary.counts), {1: 1, 2: 0, 3: 0, 4: 3, 5: 0})
        self.assertIsNone(line.summary.executive_mean)  # one non-executive: both means withheld
        self.assertIn("withheld", line.summary.groups_withheld)
        self.assertIsNotNone(line.strip)
        page = self.page(assessment)
        self.assertIn("Executive and non-executive means withheld", page)

    def test_fewer_than_three_submitted_withholds_every_distribution_in_the_page_data_and_exports(self):
        assessment = self.scored(submit=[self.executive, self.non_executive])
        report = build_report(assessment)
        self.assertTrue(all(line.summary.withheld for line in report.lines))
        self.assertTrue(all(line.strip is None for line in report.lines))
        self.assertTrue(
            all(
                line["counts"] is None for s in report.data()["frameworks"][0]["sections"] for line in s["line_results"]
            )
        )
        self.assertIn("Fewer than 3", self.page(assessment))
        self.client.force_login(self.chair)
        csv = self.client.get(self.url(assessment, "report/export/scores.csv")).content.decode()
        row = csv.splitlines()[1].split(",")
        header = csv.splitlines()[0].split(",")
        self.assertEqual(row[header.index("Scores at level 3")], "")
        self.assertIn("withheld", row[-1])

    def test_peers_are_a_spread_of_at_least_three_never_named(self):
        assessment = self.scored(sign_off=False)  # a draft: the spread as it stands today
        self.peer("RP1", level=2)
        self.peer("RP2", level=4)
        self.assertIsNone(_section(build_report(assessment), "S1").peers)
        self.peer("RP3", level=5)
        spread = _section(build_report(assessment), "S1").peers
        self.assertEqual(
            (spread.peers, spread.lower_quartile, spread.median, spread.upper_quartile),
            (3, Decimal("3.0"), Decimal("4.0"), Decimal("4.5")),
        )
        page = self.page(assessment)
        self.assertIn("4.5", page)
        # Signed off, the report keeps the spread of its sign-off: a trust signing off
        # later changes nothing (the difference would give its figures away).
        assessment = services.sign_off(assessment, by=self.chair)
        self.peer("RP4", level=1)
        self.assertEqual(_section(build_report(assessment), "S1").peers, spread)
        for name in ("RP1", "RP2", "RP3", "Peer RP"):
            self.assertNotIn(name, page)

    def test_year_on_year_matches_lines_by_code(self):
        last_year = self.scored(year=2024, agreed={"S1.1": 2})
        this_year = self.scored(year=2025, previous=last_year, agreed={"S1.1": 4})
        report = build_report(this_year)
        s1 = _section(report, "S1")
        self.assertEqual((s1.last_year, s1.maturity, s1.movement), (Decimal("2.5"), Decimal("3.5"), Decimal("1.0")))
        self.assertIn("+1.0", self.page(this_year))

    def test_draft_and_sign_off_marks(self):
        draft = self.scored(sign_off=False)
        self.assertIn("DRAFT: not signed off", self.page(draft))
        signed = self.scored(year=2024)
        page = self.page(signed)
        self.assertNotIn("DRAFT", page)
        self.assertIn("Signed off", page)
        self.assertIn(build_report(signed).data_sha256(), page)

    def page(self, assessment: Assessment, user=None) -> str:
        self.client.force_login(user or self.chair)
        response = self.client.get(self.url(assessment, "report/"))
        self.assertEqual(response.status_code, 200)
        # Without the charts' data URIs, whose base64 could hold any short word.
        return re.sub(r'src="data:[^"]*"', 'src=""', response.content.decode())

    def url(self, assessment: Assessment, tail: str) -> str:
        return f"/organisations/{assessment.organisation.ods_code}/assessments/{assessment.period_start_year}/{tail}"


class QueryBudgetTests(ReportTestCase):
    """The report's queries do not grow with its lines, directors or peers."""

    def count(self, assessment: Assessment) -> int:
        self.client.force_login(self.chair)
        url = f"/organisations/RA1/assessments/{assessment.period_start_year}/report/"
        self.client.get(url)  # warm the session
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        return len(queries)

    def test_the_report_page_is_within_budget_and_constant(self):
        from tests.factories import make_framework

        three = self.board[:3]
        small = self.scored(
            year=2025, previous=self.scored(year=2024, scores={u: {} for u in three}), scores={u: {} for u in three}
        )
        baseline = self.count(small)
        self.assertLessEqual(baseline, 15)

        bigger = make_framework(slug="bigger", sections=6, lines_per_section=5)
        extras = []
        for n in range(4, 9):
            extras.append(make_user(f"extra{n}"))
            add_member(extras[-1], self.trust, "director", Kind.NON_EXECUTIVE)
        everyone = {user: {} for user in [*self.board, *extras]}
        for code in ("RP1", "RP2", "RP3"):
            self.peer(code, year=2023, frameworks=[bigger])
        previous = self.scored(year=2022, frameworks=[bigger], scores=everyone)
        large = self.scored(year=2023, frameworks=[bigger], scores=everyone, previous=previous)
        self.assertEqual(len(build_report(large).lines), 30)
        self.assertIsNotNone(build_report(large).frameworks[0].sections[0].peers)
        self.assertEqual(self.count(large), baseline)
