"""Signing in and out, passwords, and login throttling."""

import re

from django.core import mail
from django.test import override_settings

from tests.base import PASSWORD, PersonaTestCase


class LoginTests(PersonaTestCase):
    def test_it_signs_in_and_lands_on_home(self):
        response = self.client.post("/accounts/login/", {"username": "secretary", "password": PASSWORD})
        self.assertRedirects(response, "/")

    def test_it_returns_to_the_page_asked_for(self):
        response = self.client.post(
            "/accounts/login/?next=/organisations/RA1/",
            {"username": "secretary", "password": PASSWORD, "next": "/organisations/RA1/"},
        )
        self.assertRedirects(response, "/organisations/RA1/")

    def test_a_wrong_password_gets_a_clear_message(self):
        response = self.client.post("/accounts/login/", {"username": "secretary", "password": "wrong"})
        self.assertContains(response, "Please enter a correct username and password")
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_signing_out_needs_a_post(self):
        self.client.force_login(self.secretary)
        self.assertEqual(self.client.get("/accounts/logout/").status_code, 405)
        self.assertIn("_auth_user_id", self.client.session)
        self.assertRedirects(self.client.post("/accounts/logout/"), "/accounts/login/")
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_state_changes_need_a_csrf_token(self):
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        response = client.post("/accounts/login/", {"username": "secretary", "password": PASSWORD})
        self.assertEqual(response.status_code, 403)

    @override_settings(AXES_FAILURE_LIMIT=3)
    def test_repeated_failures_lock_the_username_and_address_with_a_clear_message(self):
        for _ in range(3):
            self.client.post("/accounts/login/", {"username": "chair", "password": "wrong"})
        response = self.client.post("/accounts/login/", {"username": "chair", "password": PASSWORD})
        self.assertEqual(response.status_code, 429)
        self.assertContains(response, "Too many sign-in attempts", status_code=429)
        self.assertContains(response, "Try again in 15 minutes", status_code=429)
        self.assertNotIn("_auth_user_id", self.client.session)
        # Another person on the same network is not locked out.
        response = self.client.post("/accounts/login/", {"username": "secretary", "password": PASSWORD})
        self.assertRedirects(response, "/")


class PasswordTests(PersonaTestCase):
    def test_password_change_applies_the_validators(self):
        self.client.force_login(self.executive)
        response = self.client.post(
            "/accounts/password_change/",
            {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"},
        )
        self.assertContains(response, "This password is too common")
        self.executive.refresh_from_db()
        self.assertTrue(self.executive.check_password(PASSWORD))

        response = self.client.post(
            "/accounts/password_change/",
            {
                "old_password": PASSWORD,
                "new_password1": "a-better-board-pass-77",
                "new_password2": "a-better-board-pass-77",
            },
        )
        self.assertRedirects(response, "/accounts/password_change/done/")
        self.executive.refresh_from_db()
        self.assertTrue(self.executive.check_password("a-better-board-pass-77"))

    def test_password_reset_sends_a_working_link(self):
        response = self.client.post("/accounts/password_reset/", {"email": "observer@example.org"})
        self.assertRedirects(response, "/accounts/password_reset/done/")
        self.assertEqual(len(mail.outbox), 1)
        message = mail.outbox[0]
        self.assertEqual(message.subject, "Reset your ICS Governance password")
        self.assertEqual(message.to, ["observer@example.org"])
        link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.body).group(1)

        response = self.client.get(link, follow=True)
        self.assertContains(response, "Choose a new password")
        response = self.client.post(
            response.redirect_chain[-1][0],
            {"new_password1": "observer-new-pass-42", "new_password2": "observer-new-pass-42"},
        )
        self.assertRedirects(response, "/accounts/reset/done/")
        self.observer.refresh_from_db()
        self.assertTrue(self.observer.check_password("observer-new-pass-42"))

    def test_an_unknown_address_gets_the_same_answer_and_no_mail(self):
        response = self.client.post("/accounts/password_reset/", {"email": "nobody@example.org"})
        self.assertRedirects(response, "/accounts/password_reset/done/")
        self.assertEqual(mail.outbox, [])
