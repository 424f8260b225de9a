"""Every URL of the project × every persona → the status each must get.

A new URL pattern must be added to MATRIX: `test_every_url_pattern_is_in_the_matrix`
fails otherwise. Admin URLs are covered by ADMIN_URLS and the generic admin check.
"""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver

from assessments import services
from tests.base import PersonaTestCase
from tests.factories import PDF_BYTES, make_assessment, make_framework

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


A = "/organisations/RA1/assessments/"
POST_ONLY = everyone(405, anonymous=302)

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
    # Assessments of RA1 (an assessment for 2026, open for scoring; the executive and
    # non-executive directors are its respondents). Consultants see assessments only
    # once signed off (tests/assessments/test_consultant_access.py).
    "assessments:list": ("get", f"{A}", statuses(302, 200, 200, 200, 200, 200, 200, 404, 404, 404)),
    "assessments:create": ("get", f"{A}new/", statuses(302, 200, 403, 403, 403, 403, 403, 404, 404, 404)),
    "assessments:detail": ("get", f"{A}2026/", statuses(302, 200, 200, 200, 200, 200, 404, 404, 404, 404)),
    "assessments:edit": ("get", f"{A}2026/edit/", statuses(302, 200, 403, 403, 403, 403, 404, 404, 404, 404)),
    "assessments:respondents": (
        "get",
        f"{A}2026/respondents/",
        statuses(302, 200, 403, 403, 403, 403, 404, 404, 404, 404),
    ),
    "assessments:score-start": ("get", f"{A}2026/score/", statuses(302, 403, 403, 302, 302, 403, 404, 404, 404, 404)),
    "assessments:score": ("get", f"{A}2026/score/S1/", statuses(302, 403, 403, 200, 200, 403, 404, 404, 404, 404)),
    "assessments:moderate-start": (
        "get",
        f"{A}2026/moderate/",
        statuses(302, 302, 302, 403, 403, 403, 404, 404, 404, 404),
    ),
    "assessments:moderate": (
        "get",
        f"{A}2026/moderate/S1/",
        statuses(302, 200, 200, 403, 403, 403, 404, 404, 404, 404),
    ),
    "assessments:evidence-file": (
        "get",
        f"{A}2026/evidence/{{evidence}}/",
        statuses(302, 200, 200, 200, 200, 200, 404, 404, 404, 404),
    ),
    "assessments:actions": ("get", f"{A}2026/actions/", statuses(302, 200, 200, 200, 200, 200, 404, 404, 404, 404)),
    "assessments:action-edit": (
        "get",
        f"{A}2026/actions/{{action}}/",
        statuses(302, 200, 200, 403, 403, 403, 404, 404, 404, 404),
    ),
    "assessments:history": ("get", f"{A}2026/history/", statuses(302, 200, 200, 403, 403, 403, 404, 404, 404, 404)),
    # State changes are POST only: a GET is refused before anything is looked up.
    "assessments:respondent-remove": ("get", f"{A}2026/respondents/1/remove/", POST_ONLY),
    "assessments:remind": ("get", f"{A}2026/remind/", POST_ONLY),
    "assessments:open": ("get", f"{A}2026/open/", POST_ONLY),
    "assessments:start-moderation": ("get", f"{A}2026/moderation/start/", POST_ONLY),
    "assessments:sign-off": ("get", f"{A}2026/sign-off/", POST_ONLY),
    "assessments:submit": ("get", f"{A}2026/score/submit/", POST_ONLY),
    "assessments:reopen-response": ("get", f"{A}2026/score/reopen/", POST_ONLY),
    "assessments:score-line": ("get", f"{A}2026/score/line/S1.1/", POST_ONLY),
    "assessments:agreed-score": ("get", f"{A}2026/moderate/line/S1.1/", POST_ONLY),
    "assessments:evidence-add": ("get", f"{A}2026/moderate/line/S1.1/evidence/", POST_ONLY),
    "assessments:evidence-remove": ("get", f"{A}2026/evidence/1/remove/", POST_ONLY),
}

# Objects that do not exist look the same as objects one may not see.
MISSING = {
    "organisations:detail": "/organisations/ZZZ9/",
    "organisations:people": "/organisations/ZZZ9/people/",
    "organisations:ics-detail": "/ics/ZZZ9/",
    "frameworks:detail": "/frameworks/matrix/99/",
    "assessments:detail": "/organisations/RA1/assessments/1999/",
    "assessments:list": "/organisations/ZZZ9/assessments/",
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
        framework = make_framework(slug="matrix")
        assessment = make_assessment(
            cls.trust, secretary=cls.secretary, respondents=[cls.executive, cls.non_executive], frameworks=[framework]
        )
        line = framework.lines.get(code="S1.1")
        upload = SimpleUploadedFile("paper.pdf", PDF_BYTES, content_type="application/pdf")
        evidence = services.add_evidence(
            assessment,
            line,
            services.EvidenceInput("Board paper", "board-paper", assessment.deadline, "", upload, "application/pdf"),
            by=cls.secretary,
        )
        action = services.save_action(
            assessment,
            services.ActionInput(line, None, "Do better", "Chief Executive", None, "open"),
            by=cls.secretary,
        )
        cls.ids = {"evidence": evidence.pk, "action": action.pk}

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
                    response = getattr(self.client, method)(path.format(**self.ids))
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
