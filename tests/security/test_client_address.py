"""Which address a request comes from (TRUSTED_PROXY_COUNT), and sign-in throttling by it."""

from axes.models import AccessAttempt
from django.test import RequestFactory, SimpleTestCase, override_settings

from ics_governance.lib.client import client_address
from tests.base import PASSWORD, PersonaTestCase

PROXY = "10.0.0.5"


def request(forwarded_for: str | None = None, remote: str = PROXY):
    extra = {"REMOTE_ADDR": remote}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **extra)


class ClientAddressTests(SimpleTestCase):
    @override_settings(TRUSTED_PROXY_COUNT=0)
    def test_with_no_trusted_proxy_a_forged_header_is_ignored(self):
        self.assertEqual(client_address(request("198.51.100.1", remote="203.0.113.9")), "203.0.113.9")
        self.assertEqual(client_address(request(None, remote="203.0.113.9")), "203.0.113.9")

    @override_settings(TRUSTED_PROXY_COUNT=1)
    def test_with_one_proxy_the_right_most_entry_is_the_client(self):
        self.assertEqual(client_address(request("203.0.113.7")), "203.0.113.7")
        # Whatever the client put in front of it is ignored.
        self.assertEqual(client_address(request("198.51.100.1, 6.6.6.6, 203.0.113.7")), "203.0.113.7")

    @override_settings(TRUSTED_PROXY_COUNT=2)
    def test_with_two_proxies_the_second_entry_from_the_right_is_the_client(self):
        self.assertEqual(client_address(request("198.51.100.1, 203.0.113.7, 10.0.0.4")), "203.0.113.7")

    @override_settings(TRUSTED_PROXY_COUNT=1)
    def test_addresses_are_normalised_and_ports_dropped(self):
        self.assertEqual(client_address(request(" 203.0.113.7:51234 ")), "203.0.113.7")
        self.assertEqual(client_address(request("[2001:DB8::0001]:443")), "2001:db8::1")
        self.assertEqual(client_address(request("2001:db8:0::1")), "2001:db8::1")

    @override_settings(TRUSTED_PROXY_COUNT=1)
    def test_a_missing_or_malformed_header_falls_back_to_the_connection(self):
        for header in (None, "", " , ", "unknown", "203.0.113.7, not-an-address", "999.1.1.1", "'; DROP TABLE", "\x00"):
            with self.subTest(header=header):
                self.assertEqual(client_address(request(header)), PROXY)

    @override_settings(TRUSTED_PROXY_COUNT=2)
    def test_fewer_entries_than_proxies_falls_back_to_the_connection(self):
        # Came round the outer proxy: its entry is missing, so none can be trusted.
        self.assertEqual(client_address(request("203.0.113.7")), PROXY)

    @override_settings(TRUSTED_PROXY_COUNT=0)
    def test_a_connection_without_a_usable_address_has_none(self):
        self.assertIsNone(client_address(request(remote="")))
        self.assertIsNone(client_address(request(remote="unix-socket")))


class SignInThrottleBehindProxyTests(PersonaTestCase):
    def fail_to_sign_in(self, forwarded_for: str) -> None:
        self.client.post(
            "/accounts/login/",
            {"username": "chair", "password": "wrong"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=forwarded_for,
        )

    def sign_in(self, forwarded_for: str):
        return self.client.post(
            "/accounts/login/",
            {"username": "chair", "password": PASSWORD},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=forwarded_for,
        )

    @override_settings(AXES_FAILURE_LIMIT=3, TRUSTED_PROXY_COUNT=1)
    def test_behind_a_proxy_each_client_is_throttled_on_its_own(self):
        for _ in range(3):
            self.fail_to_sign_in("203.0.113.5")
        self.assertEqual(self.sign_in("203.0.113.5").status_code, 429)
        # The chair on another network, through the same proxy, is not locked out.
        self.assertRedirects(self.sign_in("203.0.113.6"), "/")
        self.assertEqual(set(AccessAttempt.objects.values_list("ip_address", flat=True)), {"203.0.113.5"})

    @override_settings(AXES_FAILURE_LIMIT=3, TRUSTED_PROXY_COUNT=1)
    def test_behind_a_proxy_a_forged_left_hand_entry_does_not_escape_the_lock(self):
        for forged in ("1.1.1.1", "2.2.2.2", "3.3.3.3"):
            self.fail_to_sign_in(f"{forged}, 203.0.113.5")
        self.assertEqual(self.sign_in("4.4.4.4, 203.0.113.5").status_code, 429)

    @override_settings(AXES_FAILURE_LIMIT=3, TRUSTED_PROXY_COUNT=0)
    def test_without_a_proxy_a_forged_header_does_not_escape_the_lock(self):
        for forged in ("1.1.1.1", "2.2.2.2", "3.3.3.3"):
            self.fail_to_sign_in(forged)
        self.assertEqual(self.sign_in("4.4.4.4").status_code, 429)
        self.assertEqual(set(AccessAttempt.objects.values_list("ip_address", flat=True)), {PROXY})
