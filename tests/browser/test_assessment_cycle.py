"""The yearly cycle in a real browser: set-up, private scoring with autosave (leaving
and returning, a stale second tab whose typed text is kept, the progress panel, Enter
on a level, a refused target), the confirmation pages of the steps that cannot be
undone, moderation within the confidentiality rules, evidence, sign-off and the lock."""

import os
import re
import tempfile
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from django.core import mail

from assessments import services
from assessments.models import AgreedScore, Answer, Assessment, Evidence, Respondent
from tests.base import PASSWORD, add_member, make_ics, make_org, make_user
from tests.browser.base import AXE_OPTIONS, BrowserTestCase
from tests.factories import PDF_BYTES, answer_all, make_framework

BASE = "/organisations/RA1/assessments/"
# Set to a folder to keep screenshots of the conflict box and the confirmation pages.
SHOTS = os.environ.get("BROWSER_SHOTS", "")


class AssessmentCycleInBrowserTests(BrowserTestCase):
    def setUp(self):
        super().setUp()
        self.ics = make_ics("QAA", "North")
        self.trust = make_org("RA1", "North Hospitals NHS Trust", self.ics)
        self.framework = make_framework(slug="cycle", sections=2, lines_per_section=2)
        self.secretary, self.chair = make_user("secretary"), make_user("chair")
        self.alice, self.bob = make_user("alice"), make_user("bob")
        self.carol, self.dave = make_user("carol"), make_user("dave")
        self.expected_console_errors: list[str] = []
        add_member(self.secretary, self.trust, "secretary")
        add_member(self.chair, self.trust, "chair")
        add_member(self.alice, self.trust, "director", "executive")
        add_member(self.bob, self.trust, "director", "non-executive")
        add_member(self.carol, self.trust, "director", "executive")
        add_member(self.dave, self.trust, "director", "non-executive")

    # --- helpers ------------------------------------------------------------------

    def sign_in_as(self, username: str, page=None) -> None:
        page = page or self.page
        page.context.clear_cookies()
        page.goto(self.live_server_url + "/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(self.live_server_url + "/")

    def follow(self, locator, page=None) -> None:
        """Click a link or submit button and wait for the page it leads to."""
        with (page or self.page).expect_navigation():
            locator.click()

    def go(self, path: str, page=None) -> None:
        (page or self.page).goto(self.live_server_url + path)

    def main_text(self, page=None) -> str:
        return (page or self.page).inner_text("main")

    def line(self, code: str, page=None):
        return (page or self.page).locator("fieldset.score-line", has_text=code)

    def status(self, code: str, page=None):
        return self.line(code, page).locator(".score-line__status")

    def autosave(self, code: str, do, page=None, expect: int = 200):
        """Do something to a line, wait for its autosave answer and for the status that
        answer brings (the old one is marked first, so it cannot be mistaken for it)."""
        page = page or self.page
        self.status(code, page).evaluate("el => el.setAttribute('data-before', '')")
        with page.expect_response(lambda r: f"/score/line/{code}/" in r.url) as response:
            do()
        self.assertEqual(response.value.status, expect)
        # The new status replaces the marked one. htmx gives a swapped element its
        # predecessor's classes until it settles, so an error is awaited by its class.
        fresh = self.line(code, page).locator(".score-line__status:not([data-before])")
        if expect == 200:
            fresh.filter(has_text=re.compile(r"Saved \d\d:\d\d")).wait_for()
        else:
            fresh.and_(page.locator(".score-line__status--error")).wait_for()
            # Chrome reports any 4xx answer as a console error; these refusals are expected.
            self.expected_console_errors.append(
                f"Failed to load resource: the server responded with a status of {expect} "
            )
        return response.value

    def choose(self, code: str, label: str, page=None) -> None:
        self.autosave(code, lambda: self.line(code, page).get_by_label(label, exact=True).check(), page)

    def answer(self, user, code: str) -> Answer:
        return Answer.objects.get(respondent__user=user, line__code=code)

    def listen_to_console(self, page) -> None:
        page.on("console", lambda msg: msg.type == "error" and self.console_errors.append(msg.text))

    def assertNoUnexpectedConsoleErrors(self) -> None:
        """No console error (a CSP violation, a script error) but the network errors of
        the refusals the test provoked, one for each."""
        errors = list(self.console_errors)
        for expected in self.expected_console_errors:
            match = next((e for e in errors if e.startswith(expected)), None)
            self.assertIsNotNone(match, f"expected a console error starting {expected!r}: {errors}")
            errors.remove(match)
        self.assertEqual(errors, [])

    def assertAccessibleOn(self, page) -> None:
        results = Axe().run(page, options=AXE_OPTIONS)
        self.assertEqual(results.violations_count, 0, results.generate_report())

    def shot(self, name: str, page=None) -> None:
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            (page or self.page).screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)

    def new_tab_context(self):
        self.context.close()
        self.context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.listen_to_console(self.page)
        return self.page

    def agree(self, code: str, label: str) -> None:
        block = self.page.locator(f'[id="line-{code}"]')
        block.get_by_label(label).check()
        block.get_by_label("Rationale").fill(f"Agreed for {code}.")
        self.follow(block.get_by_role("button", name="Save agreed score"))
        self.assertIn(f"{code}: agreed score saved", self.main_text())

    def add_evidence(self, code: str, paper: Path) -> None:
        block = self.page.locator(f'[id="line-{code}"]')
        block.locator("summary", has_text="Add evidence").click()
        block.get_by_label("Title").fill(f"Board paper for {code}")
        block.get_by_label("Kind").select_option("board-paper")
        block.get_by_label("As at").fill("2026-09-30")
        block.get_by_label("File").set_input_files(str(paper))
        self.follow(block.get_by_role("button", name="Add evidence"))
        self.assertIn(f"{code}: evidence added", self.main_text())

    # --- the cycle ------------------------------------------------------------------

    def test_the_whole_cycle(self):
        page = self.page

        # 1. The secretary sets up the assessment and invites four directors.
        self.sign_in_as("secretary")
        self.go(BASE + "new/")
        self.assertAccessible()
        page.get_by_label("Title").fill("Board self-assessment")
        page.locator(f'input[name="frameworks"][value="{self.framework.pk}"]').check()
        page.get_by_label("Deadline").fill("2099-12-31")
        self.follow(page.get_by_role("button", name="Create the draft"))
        assessment = Assessment.objects.get()
        year = assessment.period_start_year
        overview = f"{BASE}{year}/"
        page.get_by_label("Alice Tester – Executive director").check()
        page.get_by_label("Bob Tester – Non-executive director").check()
        page.get_by_label("Carol Tester – Executive director").check()
        page.get_by_label("Dave Tester – Non-executive director").check()
        self.follow(page.get_by_role("button", name="Invite"))
        self.assertIn("4 directors invited", self.main_text())

        # Opening is confirmed on its own page, which says who is emailed; Cancel changes nothing.
        self.go(overview)
        self.follow(page.get_by_role("link", name="Open for scoring and send invitations"))
        page.wait_for_url(self.live_server_url + overview + "open/")
        text = self.main_text()
        self.assertIn(
            "An invitation email goes to 4 directors with a link to score: "
            "Alice Tester, Bob Tester, Carol Tester, Dave Tester.",
            text,
        )
        self.assertIn("The frameworks are fixed", text)
        self.assertAccessible()
        self.assertEqual(Assessment.objects.get().status, Assessment.Status.DRAFT)  # the GET did nothing
        self.follow(page.get_by_role("link", name="Cancel"))
        page.wait_for_url(self.live_server_url + overview)
        self.assertEqual(Assessment.objects.get().status, Assessment.Status.DRAFT)
        self.assertEqual(len(mail.outbox), 0)
        self.follow(page.get_by_role("link", name="Open for scoring and send invitations"))
        self.follow(page.get_by_role("button", name="Open for scoring and send the invitations"))
        page.wait_for_url(self.live_server_url + overview)
        self.assertIn("The assessment is open for scoring; invitations are on their way.", self.main_text())
        self.assertEqual(Assessment.objects.get().status, Assessment.Status.OPEN)
        self.assertEqual(len(mail.outbox), 4)

        # 2. Alice scores half of it, leaves, and finds everything saved when she returns.
        self.sign_in_as("alice")
        self.go(f"{overview}score/")
        self.assertAccessible()
        self.choose("S1.1", "3 Established")
        self.autosave("S1.1", lambda: self.line("S1.1").get_by_label("Target level (optional)").select_option("4"))
        comment = self.line("S1.2").get_by_label("Comment (optional)")
        comment.fill("Depends on two people.")
        self.autosave("S1.2", comment.blur)
        self.choose("S1.2", "Don't know")
        self.go(f"{overview}score/S2/")
        self.choose("S2.1", "2 Developing")

        page = self.new_tab_context()  # the browser is closed mid-way
        self.sign_in_as("alice")
        self.go(f"{overview}score/S1/")
        self.assertTrue(self.line("S1.1").get_by_label("3 Established", exact=True).is_checked())
        self.assertEqual(self.line("S1.1").get_by_label("Target level (optional)").input_value(), "4")
        self.assertTrue(self.line("S1.2").get_by_label("Don't know").is_checked())
        self.assertEqual(self.line("S1.2").get_by_label("Comment (optional)").input_value(), "Depends on two people.")
        # Her own changes are listed for her alone, on her scoring page.
        page.locator("summary", has_text="Your changes in this section").click()
        changes = page.locator(".your-changes").inner_text()
        self.assertIn("Only you see these", changes)
        self.assertIn("S1.1", changes)
        self.assertIn("Depends on two people.", changes)

        # 3. A second tab, opened before the first changes S2.1: its typed comment is not
        # silently lost, nor does it silently overwrite the first tab's answer.
        self.go(f"{overview}score/S2/")
        second = self.context.new_page()
        self.listen_to_console(second)
        second.goto(self.live_server_url + f"{overview}score/S2/")
        self.choose("S2.1", "3 Established")
        first_comment = self.line("S2.1").get_by_label("Comment (optional)")
        first_comment.fill("Tab one: the evidence is thin.")
        self.autosave("S2.1", first_comment.blur)

        second_comment = self.line("S2.1", second).get_by_label("Comment (optional)")
        second_comment.click()
        self.autosave("S2.1", lambda: second.keyboard.type("Tab two: discussed at the May board."), second, 409)
        stale = self.line("S2.1", second)
        mine = stale.locator(".conflict-mine")
        mine.wait_for()
        self.assertIn("changed elsewhere", stale.locator(".score-line__status--error").inner_text())
        # The line now shows the saved answer, and beside it what was typed here.
        self.assertTrue(stale.get_by_label("3 Established", exact=True).is_checked())
        self.assertEqual(stale.get_by_label("Comment (optional)").input_value(), "Tab one: the evidence is thin.")
        typed = mine.inner_text()
        self.assertIn("What you typed (not saved)", typed)
        self.assertIn("2 Developing", typed)
        self.assertIn("Tab two: discussed at the May board.", typed)
        self.assertEqual(self.answer(self.alice, "S2.1").comment, "Tab one: the evidence is thin.")
        self.assertAccessibleOn(second)
        self.shot("conflict-box", second)
        # "Copy mine back" puts it into the fields and saves it against the current version.
        self.autosave("S2.1", lambda: mine.get_by_role("button", name="Copy mine back").click(), second)
        self.assertEqual(stale.locator(".conflict-mine").count(), 0)
        self.assertTrue(stale.get_by_label("2 Developing", exact=True).is_checked())
        self.assertEqual(stale.get_by_label("Comment (optional)").input_value(), "Tab two: discussed at the May board.")
        saved = self.answer(self.alice, "S2.1")
        self.assertEqual((saved.level, saved.comment), (2, "Tab two: discussed at the May board."))
        second.close()

        self.choose("S2.2", "4 Embedded")
        self.follow(page.get_by_role("button", name="Submit my scores"))
        self.assertIn("Your scores are submitted", self.main_text())

        # 4. Bob: the progress panel follows his answers; Enter on a level saves that line
        # only; a target below the level is refused and his comment is kept.
        self.sign_in_as("bob")
        self.go(f"{overview}score/S1/")
        progress = page.locator("#score-progress h2")
        self.assertEqual(progress.inner_text(), "Progress: 0 of 4 lines")
        self.choose("S1.1", "2 Developing")
        self.assertEqual(progress.inner_text(), "Progress: 1 of 4 lines")
        self.assertIn("S1 Section 1 1/2", page.locator("#score-progress").inner_text())

        page.evaluate("window.stillThisPage = true")
        self.line("S1.2").get_by_label("2 Developing", exact=True).focus()
        self.autosave("S1.2", lambda: page.keyboard.press("Enter"))
        self.assertTrue(page.evaluate("window.stillThisPage === true"))  # no page load
        self.assertEqual(page.url, self.live_server_url + f"{overview}score/S1/")
        self.assertNotIn("answers changed", self.main_text())  # not the whole section's save
        self.assertTrue(self.line("S1.2").get_by_label("2 Developing", exact=True).is_checked())
        self.assertEqual(self.answer(self.bob, "S1.2").level, 2)
        self.assertEqual(progress.inner_text(), "Progress: 2 of 4 lines")

        self.go(f"{overview}score/S2/")
        self.choose("S2.1", "3 Established")
        bob_comment = self.line("S2.1").get_by_label("Comment (optional)")
        bob_comment.fill("Strong at board, weaker on wards.")
        target = self.line("S2.1").get_by_label("Target level (optional)")
        self.autosave("S2.1", lambda: target.select_option("2"), expect=400)
        self.assertIn(
            "Not saved: Target level: The target cannot be below the level you chose (3).",
            self.status("S2.1").inner_text(),
        )
        self.assertEqual(bob_comment.input_value(), "Strong at board, weaker on wards.")
        self.assertEqual(target.input_value(), "2")
        self.assertEqual(self.answer(self.bob, "S2.1").comment, "")
        self.assertAccessible()
        self.shot("refused-target")
        self.autosave("S2.1", lambda: target.select_option("4"))
        saved = self.answer(self.bob, "S2.1")
        self.assertEqual((saved.level, saved.target_level, saved.comment), (3, 4, "Strong at board, weaker on wards."))
        self.choose("S2.2", "3 Established")
        self.assertEqual(progress.inner_text(), "Progress: 4 of 4 lines")
        self.follow(page.get_by_role("button", name="Submit my scores"))
        self.assertIn("Your scores are submitted", self.main_text())

        # Carol scores everything 4 and submits; Dave scores one line 1 and never submits.
        carol = Respondent.objects.get(user=self.carol)
        answer_all(carol, level=4)
        services.submit_response(carol, by=self.carol)
        dave_answer = self.answer(self.dave, "S1.1")
        services.save_answer(dave_answer, services.AnswerInput(1, False, None, "Dave's view.", 0), by=self.dave)
        self.assertEqual(Respondent.objects.filter(submitted_at__isnull=False).count(), 3)

        # 5. While scoring is open, the moderation page shows no individual figures at all.
        self.sign_in_as("secretary")
        self.go(f"{overview}moderate/S1/")
        text = self.main_text()
        self.assertIn("Scoring is still open.", text)
        self.assertIn("Distribution, mean, spread and comments: shown when scoring closes.", text)
        self.assertNotIn("Individual scores (", text)
        self.assertNotIn("Depends on two people.", text)

        # Closing scoring is confirmed on a page that names who has not submitted.
        self.go(overview)
        self.follow(page.get_by_role("link", name="Close scoring and start moderation"))
        page.wait_for_url(self.live_server_url + overview + "moderation/start/")
        text = self.main_text()
        self.assertIn("4 directors invited; 1 has not submitted.", text)
        self.assertIn("Not submitted: Dave Tester. Their answers will not count", text)
        self.assertAccessible()
        self.shot("start-moderation")
        self.assertEqual(Assessment.objects.get().status, Assessment.Status.OPEN)
        self.follow(page.get_by_role("button", name="Close scoring and start moderation"))
        page.wait_for_url(self.live_server_url + overview)
        self.assertIn("Scoring is closed and moderation has started.", self.main_text())

        # 6. Moderation: the figures of the three submitted answers (not Dave's), the
        # executive and non-executive means withheld (two executives, one non-executive).
        self.go(f"{overview}moderate/S1/")
        self.assertAccessible()
        text = self.main_text()
        self.assertIn("Figures use the submitted scores of 3 directors. 1 director has not submitted", text)
        s11 = page.locator('[id="line-S1.1"]').inner_text()
        self.assertIn("Individual scores (3 scored)", s11)  # Alice 3, Bob 2, Carol 4; not Dave's 1
        self.assertRegex(s11, r"Mean\s+3\.0\b")
        self.assertIn("fewer than 3 scores from executive or from non-executive directors: withheld", s11)
        self.assertIn("fewer than 3 targets: withheld", s11)  # only Alice set a target
        self.assertNotIn("Executive mean", text)
        self.assertNotIn("Dave's view.", text)
        s12 = page.locator('[id="line-S1.2"]').inner_text()
        # Two scores and a "don't know": three answers but two scores, so withheld.
        self.assertIn("fewer than 3 answers: withheld to keep them anonymous", s12)
        self.assertNotIn("Depends on two people.", s12)
        self.assertNotIn("Alice", text)
        # S2.1 has three scores: its comments are shown, without names, the copied-back one included.
        self.go(f"{overview}moderate/S2/")
        s21 = page.locator('[id="line-S2.1"]').inner_text()
        self.assertIn("Individual scores (3 scored)", s21)  # Alice 2, Bob 3, Carol 4
        self.assertIn("A director: Strong at board, weaker on wards.", s21)
        self.assertIn("A director: Tab two: discussed at the May board.", s21)
        self.assertNotIn("Tab one", s21)
        self.assertAccessible()

        # Agreed scores with evidence where it is 3 or more.
        with tempfile.TemporaryDirectory() as folder:
            paper = Path(folder) / "board-paper.pdf"
            paper.write_bytes(PDF_BYTES)
            for section, codes in (("S1", ("S1.1", "S1.2")), ("S2", ("S2.1",))):
                self.go(f"{overview}moderate/{section}/")
                for code in codes:
                    self.agree(code, "3 Established")
                    self.assertIn(
                        "needs at least one piece of evidence", page.locator(f'[id="line-{code}"]').inner_text()
                    )
                    self.add_evidence(code, paper)
                    self.assertNotIn(
                        "needs at least one piece of evidence", page.locator(f'[id="line-{code}"]').inner_text()
                    )

        # Removing evidence is confirmed on a page that says the line will be flagged.
        self.go(f"{overview}moderate/S1/")
        self.follow(page.locator('[id="line-S1.1"]').get_by_role("link", name="Remove Board paper for S1.1"))
        page.wait_for_url(re.compile(r"/evidence/\d+/remove/$"))
        text = self.main_text()
        self.assertIn(
            "Remove “Board paper for S1.1” (board paper, as at 30 Sep 2026) from S1.1? "
            "The uploaded file “board-paper.pdf” is deleted.",
            text,
        )
        self.assertIn("S1.1 will then have no evidence for its agreed score of 3, and will be flagged.", text)
        self.assertAccessible()
        self.shot("evidence-remove")
        removed = Evidence.objects.get(line__code="S1.1")  # the GET removed nothing
        storage, stored = removed.file.storage, removed.file.name
        self.assertTrue(storage.exists(stored))
        self.follow(page.get_by_role("button", name="Remove this evidence"))
        page.wait_for_url(re.compile(r"/moderate/S1/"))
        self.assertIn("Evidence “Board paper for S1.1” removed.", self.main_text())
        self.assertIn("needs at least one piece of evidence", page.locator('[id="line-S1.1"]').inner_text())
        self.assertEqual(Evidence.objects.filter(line__code="S1.1").count(), 0)
        self.assertFalse(storage.exists(stored))  # its file is deleted

        # The history says who did what, and never a director's answers.
        self.go(f"{overview}history/")
        text = self.main_text()
        self.assertIn("Scores submitted", text)
        self.assertIn("Agreed score", text)
        for private in ("Your answer", "Depends on two people.", "Tab two", "Dave's view.", "Strong at board"):
            self.assertNotIn(private, text)

        # 7. The chair: sign-off is confirmed on a page that says what is missing.
        self.sign_in_as("chair")
        self.go(overview)
        self.follow(page.get_by_role("link", name="Sign off and lock"))
        page.wait_for_url(self.live_server_url + overview + "sign-off/")
        text = self.main_text()
        self.assertIn("Not ready: 1 of 4 lines has no agreed score yet (S2.2).", text)
        self.assertIn("1 agreed score without the evidence it needs: S1.1 (level 3).", text)
        self.assertTrue(page.get_by_role("button", name="Sign off and lock the assessment").is_disabled())
        self.assertAccessible()
        self.shot("sign-off-not-ready")

        self.go(f"{overview}moderate/S2/")
        self.agree("S2.2", "2 Developing")
        self.go(overview)
        self.follow(page.get_by_role("link", name="Sign off and lock"))
        text = self.main_text()
        self.assertIn("Every one of the 4 lines has an agreed score or is marked not assessed.", text)
        self.assertIn("1 agreed score without the evidence it needs: S1.1 (level 3).", text)
        self.assertIn("The assessment is locked: nothing in it can change, by anyone.", text)
        self.assertAccessible()
        self.shot("sign-off-confirmation")
        self.assertEqual(Assessment.objects.get().status, Assessment.Status.MODERATION)
        self.follow(page.get_by_role("button", name="Sign off and lock the assessment"))
        page.wait_for_url(self.live_server_url + overview)
        self.assertIn("Signed off. The assessment is now locked.", self.main_text())
        self.assertAccessible()

        # 8. After sign-off nothing can be edited: no forms, and forged requests change nothing.
        self.go(f"{overview}moderate/S1/")
        self.assertEqual(page.locator("form.agreed-form").count(), 0)
        self.assertEqual(page.get_by_role("link", name=re.compile("^Remove")).count(), 0)
        csrf = next(c["value"] for c in self.context.cookies() if c["name"] == "csrftoken")
        referer = {"Referer": self.live_server_url + f"{overview}moderate/S1/"}
        response = page.request.post(
            self.live_server_url + f"{overview}moderate/line/S1.1/",
            form={"S1.1-level": "1", "S1.1-version": "1", "csrfmiddlewaretoken": csrf},
            headers=referer,
        )
        self.assertIn("signed off and locked", response.text())
        evidence = Evidence.objects.get(line__code="S1.2")
        page.request.post(
            self.live_server_url + f"{overview}evidence/{evidence.pk}/remove/",
            form={"csrfmiddlewaretoken": csrf},
            headers=referer,
        )
        self.assertTrue(Evidence.objects.filter(pk=evidence.pk).exists())
        self.assertEqual(
            dict(AgreedScore.objects.values_list("line__code", "level")), {"S1.1": 3, "S1.2": 3, "S2.1": 3, "S2.2": 2}
        )
        self.assertEqual(Assessment.objects.get().status, Assessment.Status.SIGNED_OFF)
        self.assertNoUnexpectedConsoleErrors()


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
