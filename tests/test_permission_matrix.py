"""Every URL of the project × every persona → the status each must get.

A new URL pattern must be added to MATRIX: `test_every_url_pattern_is_in_the_matrix`
fails otherwise. Admin URLs are covered by ADMIN_URLS and the generic admin check.
"""

from django.urls import URLPattern, URLResolver, get_resolver

from tests.base import PersonaTestCase
from tests.factories import make_framework

PERSONAS = [
    "anonymous",
    "secretary",
    "chair",
    "executive",
    "non_executive",
    "observer",
    "consultant",
    "consultant_elsewhere",
    "outsider",
    "staff",
]


def statuses(*codes: int) -> dict[str, int]:
    assert len(codes) == len(PERSONAS)
    return dict(zip(PERSONAS, codes, strict=True))


def everyone(code: int, *, anonymous: int | None = None) -> dict[str, int]:
    result = dict.fromkeys(PERSONAS, code)
    if anonymous is not None:
        result["anonymous"] = anonymous
    return result


# url name: (method, path, expected statuses)
#                                     anon sec  chair exec ned  obs  cons else outs staff
MATRIX = {
    "home": ("get", "/", everyone(200, anonymous=302)),
    "frameworks:list": ("get", "/frameworks/", everyone(200, anonymous=302)),
    "frameworks:detail": ("get", "/frameworks/matrix/1/", everyone(200, anonymous=302)),
    "organisations:detail": ("get", "/organisations/RA1/", statuses(302, 200, 200, 200, 200, 200, 200, 404, 404, 404)),
    "organisations:people": (
        "get",
        "/organisations/RA1/people/",
        statuses(302, 200, 200, 403, 403, 403, 403, 404, 404, 404),
    ),
    "organisations:ics-detail": ("get", "/ics/QAA/", statuses(302, 404, 404, 404, 404, 404, 200, 404, 404, 404)),
    "login": ("get", "/accounts/login/", everyone(200)),
    "logout": ("get", "/accounts/logout/", everyone(405, anonymous=302)),  # signing out is a POST
    "password_change": ("get", "/accounts/password_change/", everyone(200, anonymous=302)),
    "password_change_done": ("get", "/accounts/password_change/done/", everyone(200, anonymous=302)),
    "password_reset": ("get", "/accounts/password_reset/", everyone(200)),
    "password_reset_done": ("get", "/accounts/password_reset/done/", everyone(200)),
    "password_reset_confirm": ("get", "/accounts/reset/MQ/set-password/", everyone(200)),
    "password_reset_complete": ("get", "/accounts/reset/done/", everyone(200)),
}

# Objects that do not exist look the same as objects one may not see.
MISSING = {
    "organisations:detail": "/organisations/ZZZ9/",
    "organisations:people": "/organisations/ZZZ9/people/",
    "organisations:ics-detail": "/ics/ZZZ9/",
    "frameworks:detail": "/frameworks/matrix/99/",
}

ADMIN_URLS = [
    "/admin/",
    "/admin/organisations/organisation/",
    "/admin/organisations/membership/",
    "/admin/organisations/consultantassignment/",
    "/admin/organisations/integratedcaresystem/",
    "/admin/frameworks/framework/",
    "/admin/auth/user/",
]


def _url_names(resolver: URLResolver, namespace: str = "") -> set[str]:
    names = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


class PermissionMatrixTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        make_framework(slug="matrix")

    def as_persona(self, persona: str):
        self.client.logout()
        user = self.personas()[persona]
        if user is not None:
            self.client.force_login(user)

    def test_every_url_pattern_is_in_the_matrix(self):
        names = {name for name in _url_names(get_resolver()) if not name.startswith("admin:")}
        self.assertEqual(sorted(names - set(MATRIX)), [], "add these URLs to the permission matrix")
        self.assertEqual(sorted(set(MATRIX) - names), [], "these matrix entries name no URL")

    def test_each_persona_gets_the_expected_status(self):
        for persona in PERSONAS:
            self.as_persona(persona)
            for name, (method, path, expected) in MATRIX.items():
                with self.subTest(persona=persona, url=name):
                    response = getattr(self.client, method)(path)
                    self.assertEqual(response.status_code, expected[persona])
                    if expected[persona] == 302 and persona == "anonymous":
                        self.assertTrue(response["Location"].startswith("/accounts/login/?next="))

    def test_a_missing_object_is_404_for_everyone_signed_in(self):
        for persona in PERSONAS[1:]:
            self.as_persona(persona)
            for name, path in MISSING.items():
                with self.subTest(persona=persona, url=name):
                    self.assertEqual(self.client.get(path).status_code, 404)

    def test_the_admin_is_for_staff_only(self):
        for persona in PERSONAS:
            self.as_persona(persona)
            for path in ADMIN_URLS:
                with self.subTest(persona=persona, url=path):
                    response = self.client.get(path)
                    if persona == "staff":
                        self.assertEqual(response.status_code, 200)
                    elif persona == "anonymous":
                        self.assertEqual(response.status_code, 302)
                        self.assertRegex(response["Location"], r"^/(accounts|admin)/login/\?next=/admin/")
                    else:
                        self.assertEqual(response.status_code, 302)
                        self.assertTrue(response["Location"].startswith("/admin/login/"))
