"""A director's whole scoring journey, and the secretary's moderation of a line, with the
keyboard alone: Tab, Shift+Tab, Space, Enter and the arrow keys, never the mouse.

Locators only check where the focus is; every key press goes through `page.keyboard`.
After each press the focused element must show a focus indicator and be on screen.
"""

import re

from playwright.sync_api import expect

from assessments.models import AgreedScore, Answer, Assessment, Respondent
from tests.base import PASSWORD, add_member, make_ics, make_org, make_user
from tests.browser.base import BrowserTestCase
from tests.factories import make_assessment, make_framework

# What the focused element shows: "" when it has a visible focus indicator on screen,
# otherwise what is wrong with it.
FOCUS_PROBLEM = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "nothing has the focus";
  const what = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " " +
    JSON.stringify((el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 60));
  const style = getComputedStyle(el);
  const clear = (colour) => colour === "transparent" || /rgba\\(.*,\\s*0\\)$/.test(colour);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0 && !clear(style.outlineColor);
  const ring = style.boxShadow !== "none";
  if (!outline && !ring) return "no focus indicator on " + what;
  const box = el.getBoundingClientRect();
  if (box.width === 0 || box.height === 0 || box.bottom <= 0 || box.right <= 0 ||
      box.top >= innerHeight || box.left >= innerWidth) return what + " is off screen";
  return "";
}"""
DESCRIBE_FOCUS = """() => {
  const el = document.activeElement;
  return el ? el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " " +
    JSON.stringify((el.innerText || el.value || "").trim().slice(0, 40)) : "none";
}"""


class KeyboardOnlyTests(BrowserTestCase):
    def setUp(self):
        super().setUp()
        trust = make_org("RA1", "North Hospitals NHS Trust", make_ics("QAA", "North"))
        self.secretary, self.director = make_user("secretary"), make_user("director")
        add_member(self.secretary, trust, "secretary")
        add_member(self.director, trust, "director", "executive")
        self.assessment = make_assessment(
            trust,
            secretary=self.secretary,
            respondents=[self.director],
            frameworks=[make_framework(sections=2, lines_per_section=2)],
        )

    # --- keys -----------------------------------------------------------------------

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.assertFocusVisible(after=key)

    def assertFocusVisible(self, after: str = "") -> None:
        # Bootstrap scrolls smoothly, so a newly focused element may take a moment to come into view.
        for _ in range(40):
            problem = self.page.evaluate(FOCUS_PROBLEM)
            if not problem:
                return
            self.page.wait_for_timeout(50)
        self.fail(f"after {after} on {self.page.url}: {problem}")

    def tab_to(self, target, *, key: str = "Tab", limit: int = 60) -> None:
        """Press Tab (or Shift+Tab) until `target` has the focus, checking the focus
        indicator at every stop on the way."""
        visited = []
        for _ in range(limit):
            self.press(key)
            if target.evaluate("el => el === document.activeElement"):
                return
            visited.append(self.page.evaluate(DESCRIBE_FOCUS))
        self.fail(f"{key} never reached {target} on {self.page.url}; the focus went to: {visited}")

    def activate(self, target, key: str = "Enter") -> None:
        """Tab to a link or button and press Enter (or Space) on it; wait for the page it leads to."""
        self.tab_to(target)
        with self.page.expect_navigation():
            self.page.keyboard.press(key)
        self.page.wait_for_load_state()

    def autosaved(self, code: str, key: str) -> None:
        """Press a key on a scoring line and wait for that line's autosave to answer."""
        page = self.page
        line = self.line(code)
        line.locator(".score-line__status").evaluate("el => el.setAttribute('data-before', '')")
        with page.expect_response(lambda r: f"/score/line/{code}/" in r.url) as response:
            self.press(key)
        self.assertEqual(response.value.status, 200, response.value.text())
        line.locator(".score-line__status:not([data-before])", has_text=re.compile(r"Saved \d\d:\d\d")).wait_for()

    def line(self, code: str):
        return self.page.locator("fieldset.score-line", has_text=code)

    def sign_in_by_keyboard(self, username: str) -> None:
        page = self.page
        page.goto(self.live_server_url + "/accounts/login/")
        # Django's sign-in form puts the focus in the username box when the page opens.
        expect(page.get_by_label("Username")).to_be_focused()
        self.assertFocusVisible(after="opening the page")
        page.keyboard.type(username)
        self.press("Tab")
        expect(page.get_by_label("Password")).to_be_focused()
        page.keyboard.type(PASSWORD)
        with page.expect_navigation(url=self.live_server_url + "/"):
            page.keyboard.press("Enter")
        self.skip_to_main_content()

    def skip_to_main_content(self) -> None:
        """The first Tab on a page reaches the skip link, shown on screen; Enter on it
        moves the focus to the main content, so the next Tab goes into the page itself."""
        page = self.page
        self.press("Tab")
        expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
        page.keyboard.press("Enter")
        self.assertMainFocusedQuietly()

    def assertMainFocusedQuietly(self) -> None:
        """The main content has the focus, without the focus style of a control: that
        painted all of it in the focus yellow, greying text below 4.5:1 (static/css/app.css)."""
        main = self.page.locator("main")
        expect(main).to_be_focused()
        style = main.evaluate("el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).boxShadow]")
        self.assertEqual(style, ["rgba(0, 0, 0, 0)", "none"])

    def open_the_assessment_from_home(self) -> None:
        self.activate(self.page.get_by_role("link", name="Self-assessments of North Hospitals NHS Trust"))
        self.activate(self.page.get_by_role("link", name=self.assessment.period_label))
        expect(self.page.get_by_role("heading", level=1)).to_have_text(self.assessment.title)

    # --- the journey ----------------------------------------------------------------

    def test_a_director_scores_and_the_secretary_moderates_with_the_keyboard_alone(self):
        page = self.page

        # The director signs in and reaches the scoring page from the home page.
        self.sign_in_by_keyboard("director")
        self.open_the_assessment_from_home()
        self.activate(page.get_by_role("link", name="Score the assessment"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Your scores: S1 Section 1")
        self.skip_to_main_content()

        # S1.1: Tab into its levels (none chosen yet, so the first has the focus); the
        # right arrow chooses the next level each time, and each choice is saved.
        self.tab_to(self.line("S1.1").get_by_role("radio").first)
        self.autosaved("S1.1", "ArrowRight")
        self.autosaved("S1.1", "ArrowRight")
        expect(self.line("S1.1").get_by_label("3 Established", exact=True)).to_be_checked()
        # Its target: typing "4" on the closed list picks "4 Embedded".
        self.press("Tab")
        expect(self.line("S1.1").get_by_label("Target level (optional)")).to_be_focused()
        self.autosaved("S1.1", "4")
        expect(self.line("S1.1").get_by_label("Target level (optional)")).to_have_value("4")
        # Its comment, typed, saves itself; leaving the box keeps it.
        self.press("Tab")
        expect(self.line("S1.1").get_by_label("Comment (optional)")).to_be_focused()
        with page.expect_response(lambda r: "/score/line/S1.1/" in r.url and r.status == 200):
            page.keyboard.type("Seen at the July board.")
        # S1.2: Space chooses the focused first level. (Leaving the comment box saves it once more.)
        with page.expect_response(lambda r: "/score/line/S1.1/" in r.url and r.status == 200):
            self.tab_to(self.line("S1.2").get_by_role("radio").first)
        self.autosaved("S1.2", "Space")
        expect(self.line("S1.2").get_by_label("1 Emerging", exact=True)).to_be_checked()
        # Shift+Tab goes back to S1.1's comment, and Tab forward again to S1.2's chosen level.
        self.tab_to(self.line("S1.1").get_by_label("Comment (optional)"), key="Shift+Tab")
        self.tab_to(self.line("S1.2").get_by_label("1 Emerging", exact=True))

        self.activate(page.get_by_role("button", name="Save and go to the next section"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Your scores: S2 Section 2")
        expect(page.locator("#score-progress h2")).to_have_text("Progress: 2 of 4 lines")
        # The form was sent from the page's address with "#main-content" (the skip link's), and
        # the browser keeps it through the redirect: the next section opens with the focus on its
        # main content, which is what the skip link gives.
        self.assertMainFocusedQuietly()

        # S2: Enter on a level chooses it too (and saves that line only).
        self.tab_to(self.line("S2.1").get_by_role("radio").first)
        self.autosaved("S2.1", "ArrowRight")
        self.tab_to(self.line("S2.2").get_by_role("radio").first)
        self.autosaved("S2.2", "Enter")
        self.assertIn("/score/S2/", page.url)
        # The left arrow from the first level wraps round to "Don't know", then back to 5 and 4.
        self.autosaved("S2.2", "ArrowLeft")
        expect(self.line("S2.2").get_by_label("Don't know", exact=True)).to_be_checked()
        self.autosaved("S2.2", "ArrowLeft")
        self.autosaved("S2.2", "ArrowLeft")
        expect(self.line("S2.2").get_by_label("4 Embedded", exact=True)).to_be_checked()
        expect(page.locator("#score-progress h2")).to_have_text("Progress: 4 of 4 lines")

        self.activate(page.get_by_role("button", name="Submit my scores"))
        expect(page.locator("main")).to_contain_text("Your scores are submitted")

        # The director signs out from the header.
        self.activate(page.get_by_role("button", name=re.compile("^Sign out")))
        self.assertIn("/accounts/login/", page.url)

        # The secretary signs in, closes scoring (on its confirmation page) and moderates S1.1.
        self.sign_in_by_keyboard("secretary")
        self.open_the_assessment_from_home()
        self.activate(page.get_by_role("link", name="Close scoring and start moderation"))
        self.activate(page.get_by_role("button", name="Close scoring and start moderation"))
        expect(page.locator("main")).to_contain_text("Scoring is closed and moderation has started.")
        self.activate(page.get_by_role("link", name="Moderation", exact=True))
        expect(page.get_by_role("heading", level=1)).to_have_text("Moderation: S1 Section 1")
        block = page.locator('[id="line-S1.1"]')
        self.tab_to(block.get_by_role("radio").first)
        self.press("ArrowRight")
        expect(block.get_by_label("2 Developing", exact=True)).to_be_checked()
        self.tab_to(block.get_by_label("Rationale"))
        page.keyboard.type("Agreed at the board: the July paper.")
        self.activate(block.get_by_role("button", name="Save agreed score for S1.1"))
        expect(page.locator("main")).to_contain_text("S1.1: agreed score saved")

        # What the keys did.
        answers = {
            a.line.code: (a.level, a.dont_know, a.target_level, a.comment)
            for a in Answer.objects.filter(respondent__user=self.director).select_related("line")
        }
        self.assertEqual(
            answers,
            {
                "S1.1": (3, False, 4, "Seen at the July board."),
                "S1.2": (1, False, None, ""),
                "S2.1": (2, False, None, ""),
                "S2.2": (4, False, None, ""),
            },
        )
        self.assertIsNotNone(Respondent.objects.get(user=self.director).submitted_at)
        self.assertEqual(Assessment.objects.get().status, Assessment.Status.MODERATION)
        agreed = AgreedScore.objects.get()
        self.assertEqual(
            (agreed.line.code, agreed.level, agreed.rationale), ("S1.1", 2, "Agreed at the board: the July paper.")
        )
        self.assertNoConsoleErrors()
