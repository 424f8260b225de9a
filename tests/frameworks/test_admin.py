"""The admin shows the library and keeps versions in use read-only."""

from django.contrib.auth.models import User
from django.test import TestCase

from frameworks.models import Line, Section
from tests.factories import make_framework


class FrameworkAdminTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.admin = User.objects.create_superuser("admin", "admin@example.org", "pw")
        cls.framework = make_framework(slug="frozen")

    def setUp(self):
        self.client.force_login(self.admin)

    def test_every_framework_page_opens(self):
        line = self.framework.lines.first()
        section = self.framework.sections.first()
        urls = [
            "/admin/frameworks/framework/",
            f"/admin/frameworks/framework/{self.framework.pk}/change/",
            "/admin/frameworks/section/",
            f"/admin/frameworks/section/{section.pk}/change/",
            "/admin/frameworks/line/",
            f"/admin/frameworks/line/{line.pk}/change/",
            "/admin/frameworks/scale/",
            f"/admin/frameworks/scale/{self.framework.scale.pk}/change/",
        ]
        for url in urls:
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 200)

    def test_a_version_not_in_use_can_be_edited(self):
        line = self.framework.lines.first()
        response = self.client.get(f"/admin/frameworks/line/{line.pk}/change/")
        self.assertContains(response, 'name="text"')

    def test_a_version_in_use_is_read_only(self):
        self.framework.mark_in_use()
        line = self.framework.lines.first()
        section = self.framework.sections.first()

        response = self.client.get(f"/admin/frameworks/line/{line.pk}/change/")
        self.assertNotContains(response, 'name="text"')
        self.assertNotContains(
            self.client.get(f"/admin/frameworks/framework/{self.framework.pk}/change/"), 'name="title"'
        )
        self.assertNotContains(
            self.client.get(f"/admin/frameworks/scale/{self.framework.scale.pk}/change/"), 'name="name"'
        )

        # A hand-made POST is refused and changes nothing.
        response = self.client.post(f"/admin/frameworks/line/{line.pk}/change/", {"text": "Changed"})
        self.assertEqual(response.status_code, 403)
        line.refresh_from_db()
        self.assertNotEqual(line.text, "Changed")

        response = self.client.post(f"/admin/frameworks/section/{section.pk}/delete/", {"post": "yes"})
        self.assertEqual(response.status_code, 403)
        self.assertTrue(Section.objects.filter(pk=section.pk).exists())
        self.assertEqual(Line.objects.filter(framework=self.framework).count(), 6)
