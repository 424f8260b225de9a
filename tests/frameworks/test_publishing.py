"""Publishing the corrected framework versions on a database whose assessments use the
old ones: nothing an assessment holds changes, and the year-on-year view says what did."""

import tempfile
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from assessments import services
from assessments.models import AgreedScore, Answer, Assessment
from assessments.selectors import previous_scores
from frameworks.models import Framework, Line
from tests.base import PersonaTestCase
from tests.factories import agree_all, make_assessment

FOLDER = Path(settings.BASE_DIR) / "fixtures" / "frameworks"
# What the library held before version 2: these three files, version 1 current.
FIRST_EDITION = ["board-maturity-scale.yaml", "well-led-2017.yaml", "whole-system-working-1.yaml"]


def _snapshot() -> dict:
    return {
        "answers": sorted(Answer.objects.values_list("pk", "line_id", "level", "dont_know", "comment", "version")),
        "agreed": sorted(AgreedScore.objects.values_list("pk", "line_id", "level", "target_level", "version")),
        "frameworks": sorted(Assessment.objects.values_list("pk", "frameworks__slug", "frameworks__version")),
        "lines": sorted(Line.objects.values_list("pk", "framework_id", "code", "text", "changed_from")),
    }


class PublishingOnAnExistingDatabaseTests(PersonaTestCase):
    def setUp(self):
        tmp = Path(self.enterContext(tempfile.TemporaryDirectory()))
        for name in FIRST_EDITION:
            text = (FOLDER / name).read_text().replace("status: superseded", "status: current")
            (tmp / name).write_text(text)
        call_command("load_frameworks", tmp, stdout=StringIO())
        self.first = list(Framework.objects.filter(status=Framework.Status.CURRENT))
        self.last_year = make_assessment(
            self.trust,
            secretary=self.secretary,
            respondents=[self.executive, self.non_executive],
            frameworks=self.first,
            year=2025,
            status="moderation",
        )
        agree_all(self.last_year, by=self.chair, level=3)
        self.last_year = services.sign_off(self.last_year, by=self.chair)

    def publish(self) -> str:
        out = StringIO()
        call_command("load_frameworks", stdout=out)
        return out.getvalue()

    def test_the_new_versions_are_published_and_nothing_an_assessment_holds_changes(self):
        before = _snapshot()
        out = self.publish()
        self.assertIn("framework well-led 2017.2", out)
        self.assertIn("framework whole-system-working 2", out)

        after = _snapshot()
        for key in ("answers", "agreed", "frameworks"):
            self.assertEqual(after[key], before[key], key)
        # Every line that existed is as it was; the new versions only add lines.
        self.assertLess(set(before["lines"]), set(after["lines"]))
        self.assertEqual(
            sorted(Framework.objects.values_list("slug", "version", "status")),
            [
                ("well-led", "2017", "superseded"),
                ("well-led", "2017.2", "current"),
                ("whole-system-working", "1", "superseded"),
                ("whole-system-working", "2", "current"),
            ],
        )
        for framework in self.first:
            framework.refresh_from_db()
            self.assertEqual(framework.scale.version, "1")
        self.assertIn("No changes", self.publish())

    def test_this_years_assessment_shows_last_years_score_and_what_changed(self):
        self.publish()
        current = list(Framework.objects.filter(status=Framework.Status.CURRENT))
        this_year = make_assessment(
            self.trust,
            secretary=self.secretary,
            respondents=[self.executive, self.non_executive],
            frameworks=current,
            year=2026,
            previous=self.last_year,
        )
        lines = {line.code: line for line in this_year.included_lines()}
        previous = previous_scores(this_year, list(lines.values()))

        rewritten = previous[lines["P1.1"].pk]
        self.assertEqual(rewritten.level, 3)
        self.assertIn("Version 1 also asked whether the board can state", rewritten.changed_from)
        self.assertTrue(rewritten.wording_changed)
        self.assertEqual(rewritten.earlier_scale.version, "1")
        unchanged = previous[lines["P2.1"].pk]
        self.assertEqual((unchanged.changed_from, unchanged.wording_changed), ("", False))

        self.client.force_login(self.executive)
        base = "/organisations/RA1/assessments/2026/score/"
        page = self.client.get(base + "P1/").content.decode()
        self.assertIn("The statement changed since last year:", page)
        self.assertIn("on version 1 of the maturity scale", page)
        self.assertIn("The board can state the system&#x27;s shared purpose", page)  # last year's wording
        self.assertEqual(page.count("The statement changed since last year:"), 2)  # P1.1 and P1.3
        page = self.client.get(base + "P2/").content.decode()
        self.assertNotIn("The statement changed since last year:", page)

        # Moderation shows it too.
        for respondent in this_year.respondents.all():
            Answer.objects.filter(respondent=respondent).update(level=3)
            services.submit_response(respondent, by=respondent.user)
        services.start_moderation(this_year, by=self.secretary)
        self.client.force_login(self.chair)
        page = self.client.get("/organisations/RA1/assessments/2026/moderate/W1/").content.decode()
        self.assertIn("The statement changed since last year:", page)
        self.assertIn("Version 2017 also asked whether leadership development", page)
