"""The framework list and framework page."""

from django.contrib.auth.models import User
from django.test import TestCase

from frameworks.models import Framework, Level, LineLevelDescriptor
from tests.factories import make_framework, make_scale


class SignedInTestCase(TestCase):
    """Every page needs a login; the framework library is open to anyone signed in."""

    @classmethod
    def setUpTestData(cls):
        cls.reader = User.objects.create_user("reader")

    def setUp(self):
        self.client.force_login(self.reader)


class FrameworkListTests(SignedInTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.framework = make_framework(sections=2, lines_per_section=3)

    def test_it_lists_frameworks_with_counts(self):
        # The session and the user, then one query for the list.
        with self.assertNumQueries(3):
            response = self.client.get("/frameworks/")
        self.assertContains(response, self.framework.title)
        self.assertContains(response, f'href="/frameworks/{self.framework.slug}/1/"')
        self.assertEqual(response.context["frameworks"][0].line_count, 6)
        self.assertEqual(response.context["frameworks"][0].section_count, 2)

    def test_it_says_when_nothing_is_loaded(self):
        Framework.objects.all().delete()
        response = self.client.get("/frameworks/")
        self.assertContains(response, "No frameworks are loaded yet")

    def test_it_needs_a_login(self):
        self.client.logout()
        self.assertRedirects(self.client.get("/frameworks/"), "/accounts/login/?next=/frameworks/")


class FrameworkPageTests(SignedInTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.scale = make_scale()
        cls.framework = make_framework(slug="small", sections=2, lines_per_section=2, scale=cls.scale)
        cls.large = make_framework(slug="large", sections=8, lines_per_section=9, scale=cls.scale)
        line = cls.framework.lines.get(code="S1.1")
        line.organisation_types = ["mental-health"]
        line.tags = ["system-working"]
        line.guidance = "Guidance for S1.1"
        line.source_note = "Recalled, to verify"
        line.save()
        LineLevelDescriptor.objects.create(line=line, level=Level.objects.get(scale=cls.scale, number=5), text="Best")

    def test_it_shows_sections_lines_guidance_and_the_scale(self):
        response = self.client.get("/frameworks/small/1/")
        self.assertContains(response, "<title>Framework")
        for text in ["S1 Section 1", "Question 1?", "S2.2", "Line 2.2", "Guidance for S1.1", "Recalled, to verify"]:
            self.assertContains(response, text)
        self.assertContains(response, "Mental health trusts only")
        self.assertContains(response, "System working")
        self.assertContains(response, "5 Exemplary")
        self.assertContains(response, "Don't know / not assessed")
        for level in ["Emerging", "Developing", "Established", "Embedded", "Exemplary"]:
            self.assertContains(response, level)

    def test_lines_appear_in_order(self):
        content = self.client.get("/frameworks/large/1/").content.decode()
        positions = [content.index(f'id="line-S3.{i}"') for i in range(1, 10)]
        self.assertEqual(positions, sorted(positions))

    def test_its_query_count_does_not_grow_with_the_framework(self):
        # The session and the user, then six for the page, whatever its size.
        with self.assertNumQueries(8):
            self.client.get("/frameworks/small/1/")
        with self.assertNumQueries(8):
            self.client.get("/frameworks/large/1/")

    def test_it_links_other_versions(self):
        make_framework(slug="small", version="2", scale=self.scale, status=Framework.Status.DRAFT)
        response = self.client.get("/frameworks/small/1/")
        self.assertContains(response, 'href="/frameworks/small/2/"')

    def test_it_marks_a_version_in_use_as_fixed(self):
        self.framework.mark_in_use()
        self.assertContains(self.client.get("/frameworks/small/1/"), "its content is fixed")

    def test_an_unknown_version_is_404(self):
        self.assertEqual(self.client.get("/frameworks/small/9/").status_code, 404)
        self.assertEqual(self.client.get("/frameworks/nothing/1/").status_code, 404)

    def test_pages_send_security_headers(self):
        response = self.client.get("/frameworks/small/1/")
        self.assertIn("default-src 'self'", response["Content-Security-Policy"])
        self.assertEqual(response["X-Frame-Options"], "DENY")
