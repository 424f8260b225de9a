"""Every page of the assessment area, as the person who uses it, checked with axe."""

from django.core.files.uploadedfile import SimpleUploadedFile

from assessments import services
from tests.base import add_member, make_ics, make_org, make_user
from tests.browser.base import BrowserTestCase
from tests.factories import PDF_BYTES, agree_all, make_assessment, make_framework

A = "/organisations/RA1/assessments/"


class AccessibilitySweepTests(BrowserTestCase):
    def setUp(self):
        super().setUp()
        ics = make_ics("QAA", "North")
        trust = make_org("RA1", "North Hospitals NHS Trust", ics)
        self.secretary, self.director = make_user("secretary"), make_user("director")
        self.chair = make_user("chair")
        add_member(self.secretary, trust, "secretary")
        add_member(self.chair, trust, "chair")
        add_member(self.director, trust, "director", "non-executive")
        framework = make_framework(sections=2, lines_per_section=2)
        self.assessment = make_assessment(
            trust, secretary=self.secretary, respondents=[self.director], frameworks=[framework], status="moderation"
        )
        line = framework.lines.get(code="S1.1")
        services.add_evidence(
            self.assessment,
            line,
            services.EvidenceInput(
                "Board paper",
                "board-paper",
                self.assessment.deadline,
                "https://example.org/paper",
                SimpleUploadedFile("paper.pdf", PDF_BYTES),
                "application/pdf",
            ),
            by=self.secretary,
        )
        self.action = services.save_action(
            self.assessment,
            services.ActionInput(line, None, "Report quarterly", "Chief Executive", None, "open"),
            by=self.secretary,
        )
        agree_all(self.assessment, by=self.chair, level=3)

    def sweep(self, paths):
        for path in paths:
            with self.subTest(path=path):
                response = self.visit(path)
                self.assertEqual(response.status, 200, path)
                self.assertAccessible()

    def test_the_secretarys_pages(self):
        self.sign_in(self.secretary)
        year = self.assessment.period_start_year
        self.sweep(
            [
                "/",
                "/organisations/RA1/",
                "/organisations/RA1/people/",
                A,
                f"{A}new/",
                f"{A}{year}/",
                f"{A}{year}/respondents/",
                f"{A}{year}/moderate/S1/",
                f"{A}{year}/moderate/S2/?order=disagreement",
                f"{A}{year}/actions/",
                f"{A}{year}/actions/{self.action.pk}/",
                f"{A}{year}/history/",
            ]
        )
        self.assertNoConsoleErrors()

    def test_the_directors_and_the_chairs_pages(self):
        self.sign_in(self.director)
        year = self.assessment.period_start_year
        self.sweep([f"{A}{year}/", f"{A}{year}/score/S1/", f"{A}{year}/actions/"])
        self.context.clear_cookies()
        self.sign_in(self.chair)
        self.sweep([f"{A}{year}/", f"{A}{year}/moderate/S1/"])
        self.assertNoConsoleErrors()
