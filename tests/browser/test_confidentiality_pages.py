"""Confidentiality as the pages show it: figures from fewer than three submitted answers
are withheld on the moderation page, and the history never shows a director's answers
(each director sees their own changes on their scoring page)."""

from assessments import services
from tests.base import add_member, make_ics, make_org, make_user
from tests.browser.base import BrowserTestCase
from tests.factories import make_assessment, make_framework

BASE = "/organisations/RA1/assessments/"


class ConfidentialityInBrowserTests(BrowserTestCase):
    def setUp(self):
        super().setUp()
        trust = make_org("RA1", "North Hospitals NHS Trust", make_ics("QAA", "North"))
        self.secretary = make_user("secretary")
        self.alice, self.bob = make_user("alice"), make_user("bob")
        add_member(self.secretary, trust, "secretary")
        add_member(self.alice, trust, "director", "executive")
        add_member(self.bob, trust, "director", "non-executive")
        self.assessment = make_assessment(
            trust,
            secretary=self.secretary,
            respondents=[self.alice, self.bob],
            frameworks=[make_framework(sections=1, lines_per_section=2)],
        )
        self.url = f"{BASE}{self.assessment.period_start_year}/"
        for respondent in self.assessment.respondents.select_related("user"):
            for answer in respondent.answers.select_related("line__framework", "respondent__assessment"):
                comment = f"Private view of {respondent.user.username} on {answer.line.code}."
                services.save_answer(
                    answer, services.AnswerInput(4, False, None, comment, answer.version), by=respondent.user
                )

    def test_two_submitted_answers_are_withheld_on_the_moderation_page(self):
        for respondent in self.assessment.respondents.select_related("user"):
            services.submit_response(respondent, by=respondent.user)
        services.start_moderation(self.assessment, by=self.secretary)
        self.sign_in(self.secretary)
        self.visit(self.url + "moderate/S1/")
        text = self.page.inner_text("main")
        self.assertIn("Figures use the submitted scores of 2 directors.", text)
        for code in ("S1.1", "S1.2"):
            block = self.page.locator(f'[id="line-{code}"]').inner_text()
            self.assertIn(
                "Distribution, mean, spread and comments: fewer than 3 answers: withheld to keep them anonymous.",
                block,
            )
        self.assertNotIn("Individual scores (", text)
        self.assertNotIn("Mean", text)
        self.assertNotIn("Private view", text)
        self.assertEqual(self.page.locator("svg.distribution").count(), 0)
        self.assertAccessible()
        self.assertNoConsoleErrors()

    def test_the_history_never_shows_answers_and_each_director_sees_their_own(self):
        self.sign_in(self.secretary)
        self.visit(self.url + "history/")
        text = self.page.inner_text("main")
        self.assertIn("Directors' individual answers are not shown here", text)
        self.assertNotIn("Your answer", text)
        self.assertNotIn("Private view", text)
        self.visit(self.url + "history/?line=S1.1")
        self.assertIn("Nothing yet.", self.page.inner_text("main"))
        self.assertAccessible()

        self.context.clear_cookies()
        self.sign_in(self.alice)
        self.visit(self.url + "score/S1/")
        self.page.locator("summary", has_text="Your changes in this section").click()
        mine = self.page.locator(".your-changes").inner_text()
        self.assertIn("Private view of alice on S1.1.", mine)
        self.assertIn("Private view of alice on S1.2.", mine)
        self.assertNotIn("bob", mine)
        self.assertAccessible()
        self.assertNoConsoleErrors()
