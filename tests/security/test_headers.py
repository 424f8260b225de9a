"""The security headers of every page, with the settings production runs with.

"Every page" is every URL of the permission matrix (tests/test_permission_matrix.py:
MATRIX, and SIGNED_OFF_MATRIX for the pages of a signed-off assessment) that answers
200 to some persona, fetched as the first persona it answers 200 to, over HTTPS. Each
carries the Content-Security-Policy (our own files only), X-Frame-Options, the
referrer policy, nosniff and HSTS, and any cookie it sets is marked Secure.

Production mode is `PRODUCTION`: the values ics_governance/settings.py takes when DEBUG
is off (a test checks that they still are).
"""

import json
import os
import subprocess
import sys

from django.conf import settings
from django.test import override_settings

from tests import test_permission_matrix as matrix
from tests.base import PASSWORD

# What ics_governance/settings.py sets when DEBUG is off and no variable overrides it.
PRODUCTION = {
    "DEBUG": False,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "SECURE_SSL_REDIRECT": True,
    "SECURE_HSTS_SECONDS": 31_536_000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
}

# The policy's directives that matter most, exactly: scripts, styles and everything
# else from our own origin only, no plugins, no framing, no <base> or form elsewhere.
CSP_REQUIRED = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
# Sources no directive may allow.
CSP_FORBIDDEN = {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "http:", "https:"}


def pages() -> list[tuple[str, str, str, bool]]:
    """(url name, path template, persona, signed off?) for each page of the matrices
    that answers 200, with the first persona it answers 200 to."""
    entries = [
        (name, path, expected, False) for name, (method, path, expected) in matrix.MATRIX.items() if method == "get"
    ]
    entries += [(name, path, expected, True) for name, (path, expected) in matrix.SIGNED_OFF_MATRIX.items()]
    found = []
    for name, path, expected, signed_off in entries:
        persona = next((p for p in matrix.PERSONAS if expected[p] == 200), None)
        if persona:
            found.append((name, path, persona, signed_off))
    return found


def csp_directives(header: str) -> dict[str, str]:
    directives = {}
    for part in header.split(";"):
        name, _, sources = part.strip().partition(" ")
        if name:
            directives[name] = " ".join(sources.split())
    return directives


def _without_the_matrix_tests(cls):
    """The matrix's own tests run in their module; this class reuses only its data
    (an open and a signed-off assessment with evidence and an action)."""
    for name in dir(matrix.PermissionMatrixTests):
        if name.startswith("test_") and name not in cls.__dict__:
            setattr(cls, name, None)
    return cls


@_without_the_matrix_tests
@override_settings(**PRODUCTION)
class SecurityHeaderTests(matrix.PermissionMatrixTests):
    def assertSecurityHeaders(self, response):
        csp = response.headers.get("Content-Security-Policy")
        self.assertIsNotNone(csp, "no Content-Security-Policy")
        directives = csp_directives(csp)
        for name, sources in CSP_REQUIRED.items():
            self.assertEqual(directives.get(name), sources, f"CSP {name}: {csp}")
        for name, sources in directives.items():
            self.assertEqual(set(sources.split()) & CSP_FORBIDDEN, set(), f"CSP {name}: {csp}")
        self.assertEqual(response.headers.get("X-Frame-Options"), "DENY")
        self.assertEqual(response.headers.get("Referrer-Policy"), "same-origin")
        self.assertEqual(response.headers.get("X-Content-Type-Options"), "nosniff")
        self.assertEqual(
            response.headers.get("Strict-Transport-Security"), "max-age=31536000; includeSubDomains; preload"
        )
        for cookie in response.cookies.values():
            self.assertTrue(cookie["secure"], f"cookie {cookie.key} is not marked Secure")

    def test_every_page_carries_the_security_headers(self):
        found = pages()
        self.assertGreater(len(found), 30)  # the matrices' pages, not an empty loop
        for name, path, persona, signed_off in found:
            with self.subTest(url=name, persona=persona, signed_off=signed_off):
                self.as_persona(persona)
                response = self.client.get(
                    path.format(**(self.signed_off_ids if signed_off else self.ids)), secure=True
                )
                self.assertEqual(response.status_code, 200)
                self.assertSecurityHeaders(response)

    def test_error_pages_carry_them_too(self):
        self.as_persona("executive")
        for path, status in [("/organisations/RA1/people/", 403), ("/no-such-page/", 404)]:
            with self.subTest(path=path):
                response = self.client.get(path, secure=True)
                self.assertEqual(response.status_code, status)
                self.assertSecurityHeaders(response)

    def test_plain_http_is_redirected_to_https(self):
        response = self.client.get("/accounts/login/")
        self.assertEqual(response.status_code, 301)
        self.assertEqual(response["Location"], "https://testserver/accounts/login/")

    def test_the_session_and_csrf_cookies_are_secure(self):
        response = self.client.get("/accounts/login/", secure=True)
        csrf = response.cookies[settings.CSRF_COOKIE_NAME]
        self.assertTrue(csrf["secure"])
        response = self.client.post(
            "/accounts/login/",
            {"username": self.secretary.username, "password": PASSWORD, "csrfmiddlewaretoken": csrf.value},
            secure=True,
        )
        self.assertEqual(response.status_code, 302)
        session = response.cookies[settings.SESSION_COOKIE_NAME]
        self.assertTrue(session["secure"])
        self.assertTrue(session["httponly"])
        self.assertEqual(session["samesite"], "Lax")
        self.assertSecurityHeaders(response)

    def test_production_is_what_settings_py_sets_with_debug_off(self):
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "DEBUG", "DJANGO_"))}
        environ.update(DEBUG="0", SECRET_KEY="k" * 20 + "-production-like-secret-key-value-0123456789")
        code = (
            "import json; from ics_governance import settings as s; "
            f"print(json.dumps({{name: getattr(s, name) for name in {sorted(PRODUCTION)!r}}}))"
        )
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=settings.BASE_DIR, env=environ, capture_output=True, text=True, timeout=60
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout.strip().splitlines()[-1]), PRODUCTION)
