"""The 400, 403, 404 and 500 pages: in the site's design, in plain words, with a way home.

Also the size limit on form data: a comment of a few MB reaches its form (which says
how long it may be), and a request over the limit gets the 400 page saying so.
"""

from urllib.parse import urlencode

from django.template import loader
from django.test import RequestFactory, override_settings
from django.views.defaults import server_error

from tests.base import PersonaTestCase


class ErrorPageTests(PersonaTestCase):
    def assert_friendly(self, response, status: int, heading: str):
        self.assertContains(response, f"<h1>{heading}</h1>", status_code=status, html=False)
        self.assertContains(response, 'class="app-header', status_code=status)  # the site's own header
        self.assertContains(response, "Go to your home page", status_code=status)
        self.assertContains(response, "css/app.css", status_code=status)

    def test_404_page(self):
        self.client.force_login(self.secretary)
        response = self.client.get("/organisations/ZZZ9/")
        self.assert_friendly(response, 404, "Page not found")
        self.assertContains(response, "Sign out", status_code=404)  # signed in: the usual menu

    def test_404_page_for_someone_signed_out(self):
        response = self.client.get("/no-such-page/")
        self.assert_friendly(response, 404, "Page not found")
        self.assertNotContains(response, "Sign out", status_code=404)

    def test_403_page(self):
        # A director may not open the board list: a 403.
        self.client.force_login(self.executive)
        response = self.client.get("/organisations/RA1/people/")
        self.assert_friendly(response, 403, "You cannot open this page")
        self.assertContains(response, "ask your board secretary", status_code=403)

    def test_400_page(self):
        response = self.client.get("/", headers={"host": "not-our-site.example"})
        self.assert_friendly(response, 400, "Request not understood")
        self.assertContains(response, "nothing was saved", status_code=400)

    @override_settings(ROOT_URLCONF="tests.security.urls")
    def test_500_page(self):
        self.client.raise_request_exception = False
        self.client.force_login(self.secretary)
        with self.assertLogs("django.request", "ERROR"):
            response = self.client.get("/test-failure/")
        self.assert_friendly(response, 500, "Sorry, something went wrong")
        self.assertContains(response, 'href="/"', status_code=500)
        # Django renders the 500 page without the request: no menu, no one's name.
        self.assertNotContains(response, "Sign out", status_code=500)

    def test_500_page_renders_with_no_context_at_all(self):
        # What Django's server_error does: no request, no context processors.
        html = loader.get_template("500.html").render()
        self.assertIn("Sorry, something went wrong", html)
        response = server_error(RequestFactory().get("/"))
        self.assertContains(response, "Sorry, something went wrong", status_code=500)


class RequestSizeTests(PersonaTestCase):
    def test_a_few_megabytes_of_text_reach_the_form(self):
        # 3 MB is over Django's default 2.5 MB limit; the form now gets to say what is wrong.
        response = self.client.post("/accounts/password_reset/", {"email": "x" * 3_000_000})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Reset your password")

    def test_a_request_over_the_limit_gets_a_page_saying_nothing_was_saved(self):
        self.client.force_login(self.secretary)
        response = self.client.post(
            "/accounts/password_change/",
            urlencode({"old_password": "x" * 6_000_000}),
            content_type="application/x-www-form-urlencoded",
        )
        self.assert_friendly_too_large(response)

    def test_the_limit_also_applies_to_multipart_forms(self):
        # The test client sends multipart unless told otherwise, as a form with a file does.
        self.client.force_login(self.secretary)
        response = self.client.post(
            "/organisations/RA1/assessments/new/", {"title": "x" * 3_000_000, "notes": "y" * 3_000_000}
        )
        self.assert_friendly_too_large(response)

    def test_an_autosave_over_the_limit_gets_one_line_not_a_page(self):
        self.client.force_login(self.secretary)
        response = self.client.post(
            "/accounts/password_change/",
            urlencode({"comment": "x" * 6_000_000}),
            content_type="application/x-www-form-urlencoded",
            headers={"HX-Request": "true"},
        )
        self.assertContains(response, "Not saved: that was more than the site accepts", status_code=400)
        self.assertContains(response, "up to 5 MB of text", status_code=400)
        self.assertNotContains(response, "<html", status_code=400)
        self.assertEqual(response["HX-Reswap"], "innerHTML")

    def assert_friendly_too_large(self, response):
        self.assertContains(response, "<h1>That was too much to send in one go</h1>", status_code=400)
        self.assertContains(response, "nothing was saved", status_code=400)
        self.assertContains(response, "up to 5 MB", status_code=400)
        self.assertContains(response, "Go to your home page", status_code=400)
