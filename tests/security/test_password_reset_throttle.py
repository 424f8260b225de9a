"""Password reset is rate-limited per e-mail address and per client address, and the
answer never says whether an account uses the address."""

import datetime

from django.core import mail
from django.test import override_settings

from organisations.models import ThrottleHit
from tests.base import PersonaTestCase, make_user

URL = "/accounts/password_reset/"
DONE = "/accounts/password_reset/done/"


@override_settings(PASSWORD_RESET_EMAIL_LIMIT=3, PASSWORD_RESET_CLIENT_LIMIT=20, TRUSTED_PROXY_COUNT=0)
class PasswordResetThrottleTests(PersonaTestCase):
    def ask(self, email: str, **extra):
        return self.client.post(URL, {"email": email}, **extra)

    def test_thirty_requests_for_one_address_send_at_most_the_limit(self):
        for _ in range(30):
            response = self.ask("observer@example.org")
            # Every answer is the same "check your email" page, sent or not.
            self.assertRedirects(response, DONE)
        self.assertEqual(len(mail.outbox), 3)
        self.assertEqual({tuple(message.to) for message in mail.outbox}, {("observer@example.org",)})

    def test_the_limit_ignores_the_case_of_the_address(self):
        for email in ("observer@example.org", "OBSERVER@example.org", "Observer@Example.ORG", " observer@example.org"):
            self.ask(email)
        self.assertEqual(len(mail.outbox), 3)

    def test_a_throttled_answer_looks_exactly_like_a_sent_one(self):
        for _ in range(3):
            self.ask("observer@example.org")
        sent_before = len(mail.outbox)
        throttled = self.ask("observer@example.org")
        unknown = self.ask("nobody@example.org")
        self.assertEqual(len(mail.outbox), sent_before)
        for response in (throttled, unknown):
            self.assertEqual((response.status_code, response["Location"]), (302, DONE))
        page = self.client.get(DONE)
        self.assertContains(page, "If an account uses that address")
        self.assertContains(page, "only a few links an hour are sent to one address")

    def test_unknown_addresses_count_too_so_the_limit_reveals_nothing(self):
        for _ in range(5):
            self.assertRedirects(self.ask("nobody@example.org"), DONE)
        self.assertEqual(ThrottleHit.objects.filter(scope="password-reset-email").count(), 3)

    def test_other_addresses_are_not_held_up_by_one(self):
        for _ in range(10):
            self.ask("observer@example.org")
        self.ask("chair@example.org")
        self.assertEqual([message.to for message in mail.outbox].count(["chair@example.org"]), 1)

    def test_the_limit_lifts_an_hour_after_the_requests(self):
        for _ in range(5):
            self.ask("observer@example.org")
        self.assertEqual(len(mail.outbox), 3)
        ThrottleHit.objects.update(at=ThrottleHit.objects.earliest("at").at - datetime.timedelta(minutes=61))
        self.ask("observer@example.org")
        self.assertEqual(len(mail.outbox), 4)

    @override_settings(PASSWORD_RESET_CLIENT_LIMIT=5)
    def test_one_client_cannot_send_to_many_addresses(self):
        for number in range(12):
            make_user(f"member{number}")
        for number in range(12):
            self.ask(f"member{number}@example.org", REMOTE_ADDR="203.0.113.5")
        self.assertEqual(len(mail.outbox), 5)
        # Someone at another address is unaffected.
        self.ask("member11@example.org", REMOTE_ADDR="203.0.113.6")
        self.assertEqual(len(mail.outbox), 6)

    @override_settings(PASSWORD_RESET_CLIENT_LIMIT=5, TRUSTED_PROXY_COUNT=1)
    def test_behind_a_proxy_the_client_limit_uses_the_forwarded_address(self):
        for number in range(8):
            make_user(f"member{number}")
        for number in range(8):
            self.ask(f"member{number}@example.org", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=f"198.51.100.{number}")
        # Eight clients behind one proxy, one request each: none is held up by the others.
        self.assertEqual(len(mail.outbox), 8)
        for number in range(8):
            self.ask(f"member{number}@example.org", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="198.51.100.99")
        self.assertEqual(len(mail.outbox), 13)

    def test_the_counts_are_kept_in_the_database_without_addresses(self):
        # In the database, so every app process shares them; hashed, so no address is stored.
        self.ask("observer@example.org", REMOTE_ADDR="203.0.113.5")
        stored = list(ThrottleHit.objects.values_list("scope", "key"))
        self.assertEqual(sorted(scope for scope, _ in stored), ["password-reset-client", "password-reset-email"])
        for _, key in stored:
            self.assertNotIn("observer", key)
            self.assertNotIn("203.0.113.5", key)
            self.assertEqual(len(key), 64)

    def test_the_reset_still_works(self):
        self.assertRedirects(self.ask("observer@example.org"), DONE)
        self.assertEqual(len(mail.outbox), 1)
        self.assertEqual(self.client.get(URL).status_code, 200)
