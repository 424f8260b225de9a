"""The framework pages in a real browser: accessible, keyboard-usable, CSP-clean."""

from io import StringIO

from django.contrib.auth.models import User
from django.core.management import call_command

from tests.browser.base import BrowserTestCase


class FrameworkPagesInBrowserTests(BrowserTestCase):
    def setUp(self):
        super().setUp()
        # The real seeded frameworks: the pages users will actually read.
        call_command("load_frameworks", stdout=StringIO())
        self.sign_in(User.objects.create_user("reader"))

    def test_the_framework_list_is_accessible(self):
        self.visit("/frameworks/")
        self.assertEqual(self.page.title(), "Framework library – ICS Governance")
        self.assertAccessible()
        self.assertNoConsoleErrors()

    def test_the_well_led_framework_page_is_accessible(self):
        self.visit("/frameworks/well-led/2017/")
        self.assertIn("Well-led framework", self.page.title())
        self.assertEqual(self.page.locator(".framework-line").count(), 55)
        self.assertAccessible()
        self.assertNoConsoleErrors()

    def test_the_whole_system_page_is_accessible(self):
        self.visit("/frameworks/whole-system-working/1/")
        self.assertEqual(self.page.locator(".framework-section").count(), 8 + 1)
        self.assertAccessible()
        self.assertNoConsoleErrors()

    def test_the_skip_link_is_first_and_visible_on_focus(self):
        self.visit("/frameworks/")
        self.page.keyboard.press("Tab")
        focused = self.page.locator(":focus")
        self.assertEqual(focused.inner_text(), "Skip to main content")
        box = focused.bounding_box()
        self.assertIsNotNone(box)
        self.assertGreaterEqual(box["x"], 0)
        self.page.keyboard.press("Enter")
        self.assertEqual(self.page.evaluate("document.activeElement.id"), "main-content")

    def test_the_section_contents_link_to_each_section(self):
        self.visit("/frameworks/well-led/2017/")
        self.page.get_by_role("link", name="W5 Management of risks, issues and performance").click()
        self.assertTrue(self.page.url.endswith("#section-W5"))
        self.assertTrue(self.page.locator("#section-W5").is_visible())
