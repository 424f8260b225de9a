"""The yearly cycle in a real browser: set-up, private scoring with autosave (leaving
and returning, a stale second tab), moderation with evidence, sign-off, and the lock."""

import tempfile
from pathlib import Path

from assessments.models import AgreedScore, Answer, Assessment, Respondent
from tests.base import PASSWORD, add_member, make_ics, make_org, make_user
from tests.browser.base import BrowserTestCase
from tests.factories import PDF_BYTES, make_framework

BASE = "/organisations/RA1/assessments/"


class AssessmentCycleInBrowserTests(BrowserTestCase):
    def setUp(self):
        super().setUp()
        self.ics = make_ics("QAA", "North")
        self.trust = make_org("RA1", "North Hospitals NHS Trust", self.ics)
        self.framework = make_framework(slug="cycle", sections=2, lines_per_section=2)
        self.secretary, self.chair = make_user("secretary"), make_user("chair")
        self.alice, self.bob = make_user("alice"), make_user("bob")
        add_member(self.secretary, self.trust, "secretary")
        add_member(self.chair, self.trust, "chair")
        add_member(self.alice, self.trust, "director", "executive")
        add_member(self.bob, self.trust, "director", "non-executive")

    def sign_in_as(self, username: str, page=None) -> None:
        page = page or self.page
        page.context.clear_cookies()
        page.goto(self.live_server_url + "/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(self.live_server_url + "/")

    def line(self, code: str, page=None):
        return (page or self.page).locator("fieldset.score-line", has_text=code)

    def choose(self, code: str, label: str, page=None) -> None:
        line = self.line(code, page)
        line.get_by_label(label, exact=True).check()
        line.locator(".score-line__status", has_text="Saved").wait_for()

    def test_the_whole_cycle(self):
        page = self.page
        year = None

        # 1. The secretary sets up the assessment and invites two directors.
        self.sign_in_as("secretary")
        page.goto(self.live_server_url + BASE + "new/")
        self.assertAccessible()
        page.get_by_label("Title").fill("Board self-assessment")
        page.locator(f'input[name="frameworks"][value="{self.framework.pk}"]').check()
        page.get_by_label("Deadline").fill("2099-12-31")
        page.get_by_role("button", name="Create the draft").click()
        assessment = Assessment.objects.get()
        year = assessment.period_start_year
        page.get_by_label("Alice Tester – Executive director").check()
        page.get_by_label("Bob Tester – Non-executive director").check()
        page.get_by_role("button", name="Invite").click()
        self.assertIn("2 directors invited", page.inner_text("main"))
        page.goto(self.live_server_url + f"{BASE}{year}/")
        page.get_by_role("button", name="Open for scoring and send invitations").click()
        self.assertIn("open for scoring", page.inner_text("main"))

        # 2. Alice scores half of it, leaves, and finds everything saved when she returns.
        self.sign_in_as("alice")
        page.goto(self.live_server_url + f"{BASE}{year}/score/")
        self.assertAccessible()
        self.choose("S1.1", "3 Established")
        self.line("S1.1").get_by_label("Target level (optional)").select_option("4")
        self.line("S1.1").locator(".score-line__status", has_text="Saved").wait_for()
        comment = self.line("S1.2").get_by_label("Comment (optional)")
        comment.fill("Depends on two people.")
        comment.blur()
        self.line("S1.2").locator(".score-line__status", has_text="Saved").wait_for()
        self.choose("S1.2", "Don't know")
        self.context.close()  # the tab is closed mid-way

        self.context = self.browser.new_context()
        page = self.page = self.context.new_page()
        page.on("console", lambda msg: msg.type == "error" and self.console_errors.append(msg.text))
        self.sign_in_as("alice")
        page.goto(self.live_server_url + f"{BASE}{year}/score/S1/")
        self.assertTrue(self.line("S1.1").get_by_label("3 Established", exact=True).is_checked())
        self.assertEqual(self.line("S1.1").get_by_label("Target level (optional)").input_value(), "4")
        self.assertTrue(self.line("S1.2").get_by_label("Don't know").is_checked())
        self.assertEqual(self.line("S1.2").get_by_label("Comment (optional)").input_value(), "Depends on two people.")

        # 3. A second tab: a change made in one is not silently overwritten by the other.
        page.goto(self.live_server_url + f"{BASE}{year}/score/S2/")
        second = self.context.new_page()
        second.goto(self.live_server_url + f"{BASE}{year}/score/S2/")
        self.choose("S2.1", "2 Developing")
        self.line("S2.1", second).get_by_label("5 Exemplary", exact=True).check()
        stale = self.line("S2.1", second).locator(".score-line__status--error")
        stale.wait_for()
        self.assertIn("changed elsewhere", stale.inner_text())
        self.assertTrue(self.line("S2.1", second).get_by_label("2 Developing", exact=True).is_checked())
        second.close()
        self.assertEqual(Answer.objects.get(respondent__user=self.alice, line__code="S2.1").level, 2)

        self.choose("S2.2", "4 Embedded")
        page.get_by_role("button", name="Submit my scores").click()
        self.assertIn("Your scores are submitted", page.inner_text("main"))

        # Bob scores everything and submits, without JavaScript's help being needed.
        self.sign_in_as("bob")
        for section, level in (("S1", "2 Developing"), ("S2", "3 Established")):
            page.goto(self.live_server_url + f"{BASE}{year}/score/{section}/")
            for code in (f"{section}.1", f"{section}.2"):
                self.choose(code, level)
        page.get_by_role("button", name="Submit my scores").click()
        self.assertEqual(Respondent.objects.filter(submitted_at__isnull=False).count(), 2)

        # 4. The secretary moderates: agreed scores, with evidence where it is 3 or more.
        self.sign_in_as("secretary")
        page.goto(self.live_server_url + f"{BASE}{year}/")
        page.get_by_role("button", name="Close scoring and start moderation").click()
        page.goto(self.live_server_url + f"{BASE}{year}/moderate/S1/")
        self.assertAccessible()
        self.assertIn("Executive mean", page.inner_text("main"))
        with tempfile.TemporaryDirectory() as folder:
            paper = Path(folder) / "board-paper.pdf"
            paper.write_bytes(PDF_BYTES)
            for section, codes in (("S1", ("S1.1", "S1.2")), ("S2", ("S2.1", "S2.2"))):
                page.goto(self.live_server_url + f"{BASE}{year}/moderate/{section}/")
                for code in codes:
                    block = page.locator(f'[id="line-{code}"]')
                    block.get_by_label("3 Established").check()
                    block.get_by_label("Rationale").fill(f"Agreed for {code}.")
                    block.get_by_role("button", name="Save agreed score").click()
                    self.assertIn(f"{code}: agreed score saved", page.inner_text("main"))
                    block = page.locator(f'[id="line-{code}"]')
                    self.assertIn("needs at least one piece of evidence", block.inner_text())
                    block.locator("summary", has_text="Add evidence").click()
                    block.get_by_label("Title").fill(f"Board paper for {code}")
                    block.get_by_label("Kind").select_option("board-paper")
                    block.get_by_label("As at").fill("2026-09-30")
                    block.get_by_label("File").set_input_files(str(paper))
                    block.get_by_role("button", name="Add evidence").click()
                    self.assertIn(f"{code}: evidence added", page.inner_text("main"))
                    self.assertNotIn(
                        "needs at least one piece of evidence", page.locator(f'[id="line-{code}"]').inner_text()
                    )

        # 5. The chair signs off.
        self.sign_in_as("chair")
        page.goto(self.live_server_url + f"{BASE}{year}/")
        page.get_by_role("button", name="Sign off and lock").click()
        self.assertIn("Signed off", page.inner_text("main"))
        self.assertAccessible()

        # 6. After sign-off nothing can be edited: no forms, and a forged request changes nothing.
        page.goto(self.live_server_url + f"{BASE}{year}/moderate/S1/")
        self.assertEqual(page.locator("form.agreed-form").count(), 0)
        token = self.context.cookies()
        csrf = next(c["value"] for c in token if c["name"] == "csrftoken")
        response = page.request.post(
            self.live_server_url + f"{BASE}{year}/moderate/line/S1.1/",
            form={"S1.1-level": "1", "S1.1-version": "1", "csrfmiddlewaretoken": csrf},
            headers={"Referer": self.live_server_url + f"{BASE}{year}/moderate/S1/"},
        )
        self.assertIn("signed off and locked", response.text())
        self.assertEqual(set(AgreedScore.objects.values_list("level", flat=True)), {3})
        self.assertEqual(Assessment.objects.get().status, Assessment.Status.SIGNED_OFF)
        self.assertNoConsoleErrors()


class CommentAutosaveInBrowserTests(BrowserTestCase):
    def test_a_comment_saves_while_typing_without_leaving_the_box(self):
        ics = make_ics("QAA", "North")
        trust = make_org("RA1", "North Hospitals NHS Trust", ics)
        secretary, director = make_user("secretary"), make_user("director")
        add_member(secretary, trust, "secretary")
        add_member(director, trust, "director", "executive")
        from tests.factories import make_assessment

        assessment = make_assessment(
            trust,
            secretary=secretary,
            respondents=[director],
            frameworks=[make_framework(sections=1, lines_per_section=1)],
        )
        self.sign_in(director)
        url = f"{BASE}{assessment.period_start_year}/score/S1/"
        self.visit(url)
        box = self.page.get_by_label("Comment (optional)")
        box.click()
        self.page.keyboard.type("Typed, never left the box.")
        self.page.locator(".score-line__status", has_text="Saved").wait_for()
        self.assertEqual(self.page.evaluate("document.activeElement.tagName"), "TEXTAREA")  # focus kept
        self.context.close()
        self.context = self.browser.new_context()
        self.page = self.context.new_page()
        self.sign_in(director)
        self.visit(url)
        self.assertEqual(self.page.get_by_label("Comment (optional)").input_value(), "Typed, never left the box.")
