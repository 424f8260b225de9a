"""Signing in and the pages of organisations and ICSs, in a real browser, checked with axe."""

from tests.base import PASSWORD, add_member, make_ics, make_org, make_user
from tests.browser.base import BrowserTestCase


class PeoplePagesInBrowserTests(BrowserTestCase):
    def setUp(self):
        super().setUp()
        self.ics = make_ics("QAA", "North")
        self.trust = make_org("RA1", "North Hospitals NHS Trust", self.ics)
        self.secretary = make_user("secretary")
        add_member(self.secretary, self.trust, "secretary")
        add_member(make_user("director"), self.trust, "director", "executive")

    def sign_in_with_the_form(self, username: str, password: str) -> None:
        self.visit("/accounts/login/")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()

    def test_a_secretary_signs_in_and_reaches_the_board_list(self):
        self.visit("/organisations/RA1/")
        self.assertIn("/accounts/login/", self.page.url)
        self.assertAccessible()
        self.page.get_by_label("Username").fill("secretary")
        self.page.get_by_label("Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Sign in").click()
        self.assertTrue(self.page.url.endswith("/organisations/RA1/"))
        self.assertAccessible()

        self.page.get_by_role("link", name="Board members and roles").click()
        self.assertEqual(self.page.get_by_role("row").count(), 1 + 2)
        self.assertAccessible()

        self.visit("/")
        self.assertIn("North Hospitals NHS Trust", self.page.inner_text("main"))
        self.assertAccessible()
        self.page.get_by_role("button", name="Sign out").click()
        self.assertIn("/accounts/login/", self.page.url)
        self.assertNoConsoleErrors()

    def test_a_wrong_password_is_explained_accessibly(self):
        self.sign_in_with_the_form("secretary", "not-the-password")
        self.assertIn("Please enter a correct username and password", self.page.inner_text("main"))
        self.assertAccessible()

    def test_the_consultant_ics_page_and_password_pages_are_accessible(self):
        consultant = make_user("consultant")
        from organisations.models import ConsultantAssignment

        ConsultantAssignment.objects.create(user=consultant, ics=self.ics)
        make_org("RA2", "North Community NHS Trust", self.ics, type="community")
        self.sign_in(consultant)
        self.visit("/ics/QAA/")
        self.assertIn("North Community NHS Trust", self.page.inner_text("main"))
        self.assertAccessible()
        for path in ["/accounts/password_change/", "/frameworks/"]:
            with self.subTest(path=path):
                self.visit(path)
                self.assertAccessible()
        self.context.clear_cookies()
        self.visit("/accounts/password_reset/")
        self.assertAccessible()
        self.assertNoConsoleErrors()
