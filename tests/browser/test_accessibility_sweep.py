"""Every page of the assessment area, the reports and the comparisons, as the person who
uses it, and the error pages, checked with axe. (/health/ answers JSON: no page to check.)"""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from assessments import services
from organisations.models import ConsultantAssignment
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
                f"{A}{year}/report/",  # a draft until the chair signs off
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

    def test_the_error_pages(self):
        # 404 signed out and signed in, and 403. (Chrome reports each of these answers as a
        # console error, so console errors are not checked here.)
        for path, status, heading in [
            ("/no-such-page/", 404, "Page not found"),
            ("/organisations/ZZZ9/", 404, "Page not found"),
            ("/organisations/RA1/people/", 403, "You cannot open this page"),  # a director may not
        ]:
            with self.subTest(path=path):
                if path == "/organisations/ZZZ9/":
                    self.sign_in(self.director)
                response = self.visit(path)
                self.assertEqual(response.status, status)
                self.assertEqual(self.page.locator("h1").inner_text(), heading)
                self.assertAccessible()
        # 400, a form too large to accept: a comment of 6 MB sent to a form.
        self.visit("/accounts/password_change/")
        with self.page.expect_navigation() as navigation:
            self.page.evaluate(
                """() => {
                  const form = document.querySelector("main form[method=post]");
                  const comment = document.createElement("textarea");
                  comment.name = "comment";
                  comment.value = "x".repeat(6000000);
                  form.append(comment);
                  form.submit();
                }"""
            )
        with self.subTest(status=400, page="too large"):
            self.assertEqual(navigation.value.status, 400)
            self.assertEqual(self.page.locator("h1").inner_text(), "That was too much to send in one go")
            self.assertAccessible()
        # 400, a host the site does not serve. Chrome sets the Host header itself, so the
        # app's answer is made by Django's test client and handed to the browser as the
        # page at the live server's address (its styles and scripts then load as usual).
        with self.assertLogs("django.security.DisallowedHost", "ERROR"):
            answer = Client().get("/", headers={"host": "not-our-site.example"})
        self.assertEqual(answer.status_code, 400)
        self.page.route(
            self.live_server_url + "/",
            lambda route: route.fulfill(status=400, headers=dict(answer.items()), body=answer.content),
        )
        self.visit("/")
        self.page.unroute(self.live_server_url + "/")
        with self.subTest(status=400, page="not understood"):
            self.assertEqual(self.page.locator("h1").inner_text(), "Request not understood")
            self.assertAccessible()

    @override_settings(ROOT_URLCONF="tests.security.urls")
    def test_the_500_page(self):
        # The live server runs in this process, so it serves tests/security/urls.py's failing page.
        self.sign_in(self.secretary)
        with self.assertLogs("django.request", "ERROR"):
            response = self.visit("/test-failure/")
        self.assertEqual(response.status, 500)
        self.assertEqual(self.page.locator("h1").inner_text(), "Sorry, something went wrong")
        self.assertAccessible()


class ReportAndComparisonSweepTests(BrowserTestCase):
    """The maturity report, a director's own page, the fingerprint check, and the ICS
    comparison with its trend and the national view, from three signed-off assessments."""

    def setUp(self):
        super().setUp()
        ics = make_ics("QAA", "North")
        framework = make_framework(sections=3, lines_per_section=2)
        for code, name, kind, level in [
            ("RA1", "Alpha Hospitals NHS Trust", "acute", 2),
            ("RB1", "Beta Mind NHS Trust", "mental-health", 4),
            ("RC1", "Gamma Hospitals NHS Trust", "acute", 3),
        ]:
            trust = make_org(code, name, ics, type=kind)
            secretary, chair = make_user(f"sec-{code}"), make_user(f"chair-{code}")
            add_member(secretary, trust, "secretary")
            add_member(chair, trust, "chair")
            directors = [make_user(f"dir-{code}-{n}") for n in range(3)]
            for n, user in enumerate(directors):
                add_member(user, trust, "director", "executive" if n % 2 else "non-executive")
            assessment = make_assessment(
                trust, secretary=secretary, respondents=directors, frameworks=[framework], status="moderation"
            )
            agree_all(assessment, by=chair, level=level)
            services.sign_off(assessment, by=chair)  # commits: the comparison's summary rows are written
            if code == "RA1":
                self.chair, self.director, self.year = chair, directors[0], assessment.period_start_year
        self.consultant = make_user("consultant")
        ConsultantAssignment.objects.create(user=self.consultant, ics=ics)
        self.admin = make_user("admin", is_staff=True)

    def sweep(self, user, paths):
        self.context.clear_cookies()
        self.sign_in(user)
        for path in paths:
            with self.subTest(path=path):
                response = self.visit(path)
                self.assertEqual(response.status, 200, path)
                self.assertAccessible()

    def test_the_reports_and_the_comparisons(self):
        report = f"{A}{self.year}/report/"
        self.sweep(self.chair, [report, "/reports/check/", "/reports/check/?fingerprint=not-a-fingerprint"])
        self.assertIn("A fingerprint is 64 characters", self.page.locator("main").inner_text())
        self.sweep(self.director, [f"{report}mine/", "/reports/check/?fingerprint=" + "0" * 64])
        self.assertIn("No match", self.page.locator("main").inner_text())
        comparison = "/ics/QAA/comparison/"
        self.sweep(self.consultant, [comparison, f"{comparison}?type=acute&sort=S1", f"{comparison}trend/"])
        self.sweep(self.admin, ["/comparison/national/"])
        self.assertIn("North", self.page.locator("main").inner_text())
        self.assertNoConsoleErrors()
