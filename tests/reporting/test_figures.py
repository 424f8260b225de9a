"""The comparison's summary rows: written at sign-off, removed on reopening, rebuilt by a
command, and holding what the signed-off report prints."""

from decimal import Decimal
from io import StringIO

from django.core.management import call_command

from assessments import services
from reporting.models import LineFigure, SectionFigure
from reporting.selectors import build_report
from tests.reporting.base import ReportTestCase


class FigureTests(ReportTestCase):
    def test_sign_off_writes_the_reports_figures_and_reopening_removes_them(self):
        self.peer("RP1", level=2)
        self.peer("RP2", level=4)
        self.peer("RP3", level=5)
        assessment = self.scored(agreed={"S1.1": 2, "S1.2": 5, "S2.1": None})
        rows = {f.section_code: f for f in SectionFigure.objects.filter(assessment=assessment)}
        self.assertEqual(sorted(rows), ["S1", "S2", "S3"])
        self.assertEqual((rows["S1"].maturity, rows["S1"].assessed, rows["S1"].lines), (Decimal("3.5"), 2, 2))
        self.assertEqual((rows["S2"].maturity, rows["S2"].assessed), (Decimal("3.0"), 1))
        self.assertEqual(
            (rows["S1"].peers, rows["S1"].peer_lower_quartile, rows["S1"].peer_median, rows["S1"].peer_upper_quartile),
            (3, Decimal("3.0"), Decimal("4.0"), Decimal("4.5")),
        )
        line = LineFigure.objects.get(assessment=assessment, line_code="S1.1")
        self.assertEqual((line.level, line.spread), (2, 0.0))
        self.assertEqual(LineFigure.objects.get(assessment=assessment, line_code="S2.1").level, None)

        with self.captureOnCommitCallbacks(execute=True):
            services.reopen_assessment(assessment, by=self.staff, reason="A score was wrong.")
        self.assertFalse(SectionFigure.objects.filter(assessment=assessment).exists())
        self.assertFalse(LineFigure.objects.filter(assessment=assessment).exists())

    def test_withheld_spreads_are_not_kept(self):
        assessment = self.scored(submit=[self.executive, self.non_executive])
        self.assertEqual(set(LineFigure.objects.filter(assessment=assessment).values_list("spread", flat=True)), {None})

    def test_the_rebuild_restores_the_rows_and_keeps_the_peer_spread_of_the_sign_off(self):
        for code, level in (("RP1", 2), ("RP2", 4), ("RP3", 5)):
            self.peer(code, level=level)
        assessment = self.scored()
        before = list(SectionFigure.objects.filter(assessment=assessment).order_by("section_code").values())
        self.peer("RP4", level=1)  # after this report's sign-off
        SectionFigure.objects.filter(assessment=assessment).update(maturity=None)
        SectionFigure.objects.create(  # a stale row of an assessment no longer signed off
            assessment=self.scored(year=2024, sign_off=False),
            organisation=self.trust,
            ics=self.ics,
            period_start_year=2024,
            organisation_type="acute",
            framework=self.framework,
            section_code="S1",
            maturity=Decimal("1.0"),
            assessed=1,
            lines=1,
        )
        out = StringIO()
        call_command("rebuild_comparison", stdout=out)
        self.assertIn("Rebuilt the comparison from 5 signed-off assessments", out.getvalue())
        after = list(SectionFigure.objects.filter(assessment=assessment).order_by("section_code").values())
        self.assertEqual([{**r, "id": 0} for r in after], [{**r, "id": 0} for r in before])
        self.assertFalse(SectionFigure.objects.filter(period_start_year=2024).exists())
        self.assertEqual(build_report(assessment).frameworks[0].sections[0].peers.peers, 3)
