"""A NUL character (%00) anywhere in a URL's path is "not found", never a server error;
a cookie carrying one is ignored.

PostgreSQL cannot hold NUL in text, so a path segment such as "RA1%00" that reached a
query made psycopg raise (a 500 on about eight pages), as did a crafted session cookie on
every page. Middleware answers 404 for the path and drops the cookie first.
Without it these tests fail on SQLite too, where NUL is harmless to the database, since
they also check that no query carries a NUL; with DATABASE_URL set for PostgreSQL the
failure is the original 500.
"""

from contextlib import contextmanager

from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.base import PersonaTestCase
from tests.factories import make_assessment, make_framework

# A value for each URL parameter that names something that exists (the assessment built
# below), so that without the fix the view gets as far as its database lookups.
SAMPLE_KWARGS = {
    "ods_code": "RA1",
    "year": 2026,
    "section_code": "S1",
    "line_code": "S1.1",
    "slug": "matrix",
    "version": "1",
    "uidb64": "MQ",
    "token": "set-password",
}


def every_project_path(resolver: URLResolver | None = None, namespace: str = "") -> list[str]:
    """One path for each named URL pattern of the project (not the admin's own)."""
    paths = []
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace != "admin":
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                paths += every_project_path(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            kwargs = {name: SAMPLE_KWARGS.get(name, 1) for name in pattern.pattern.converters}
            paths.append(reverse(f"{namespace}{pattern.name}", kwargs=kwargs))
    return sorted(set(paths))


@contextmanager
def queries_carrying_nul():
    """Collect every query whose SQL or parameters contain NUL (on any database: SQLite
    would store it, PostgreSQL would raise)."""
    found = []

    def watch(execute, sql, params, many, context):
        values = [value for row in params for value in row] if many and params else list(params or ())
        if "\x00" in sql or any(isinstance(value, str) and "\x00" in value for value in values):
            found.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        yield found


def with_nul_in_each_segment(path: str) -> list[str]:
    """ "/a/b/" -> ["/a%00/b/", "/a/b%00/"]: one variant per path segment."""
    segments = path.strip("/").split("/")
    return [
        "/" + "/".join(s + "%00" if i == n else s for i, s in enumerate(segments)) + "/" for n in range(len(segments))
    ]


class NulInPathTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        framework = make_framework(slug="matrix")
        make_assessment(
            cls.trust, secretary=cls.secretary, respondents=[cls.executive, cls.non_executive], frameworks=[framework]
        )

    def setUp(self):
        # Without the fix the failure is a 500 from psycopg: report it as a status, not a crash.
        self.client.raise_request_exception = False

    def assert_not_found_without_touching_the_database(self, method: str, path: str):
        with queries_carrying_nul() as carrying_nul:
            response = getattr(self.client, method)(path)
        self.assertEqual(carrying_nul, [])
        self.assertEqual(response.status_code, 404)
        self.assertContains(response, "Page not found", status_code=404)

    def test_every_page_answers_404_for_a_nul_in_any_segment(self):
        paths = every_project_path()
        self.assertGreater(len(paths), 30)
        # As people who can open the pages: the secretary runs the assessment and sees
        # the board list, the executive scores. GET and POST, since state changes look
        # things up too.
        for user in (self.secretary, self.executive):
            self.client.force_login(user)
            for path in paths:
                for bad in with_nul_in_each_segment(path):
                    for method in ("get", "post"):
                        with self.subTest(user=user.username, method=method, path=bad):
                            self.assert_not_found_without_touching_the_database(method, bad)

    def test_state_changes_answer_404_for_a_nul_too(self):
        self.client.force_login(self.executive)
        for path in (
            "/organisations/RA1/assessments/2026/score/line/S1.1%00/",
            "/organisations/RA1/assessments/2026/score/S1%00/",
            "/organisations/RA1%00/assessments/2026/score/submit/",
        ):
            with self.subTest(path=path):
                self.assert_not_found_without_touching_the_database("post", path)

    def test_the_reported_addresses_answer_404(self):
        self.client.force_login(self.secretary)
        for path in ("/organisations/RA1%00/", "/organisations/RA1/assessments/2026/moderate/S1%00/", "/ics/QAA%00/"):
            with self.subTest(path=path):
                self.assert_not_found_without_touching_the_database("get", path)
        self.client.force_login(self.executive)
        self.assert_not_found_without_touching_the_database("get", "/organisations/RA1/assessments/2026/score/S1%00/")

    def test_signed_out_visitors_and_static_files_get_404_too(self):
        for path in ("/organisations/RA1%00/", "/accounts/login/%00/", "/static/css/app.css%00", "/%00"):
            with self.subTest(path=path):
                self.assert_not_found_without_touching_the_database("get", path)

    def test_the_404_carries_the_usual_security_headers(self):
        self.client.force_login(self.secretary)
        response = self.client.get("/organisations/RA1%00/")
        self.assertEqual(response.status_code, 404)
        self.assertIn("default-src 'self'", response["Content-Security-Policy"])
        self.assertEqual(response["X-Frame-Options"], "DENY")


class NulInCookieTests(PersonaTestCase):
    def test_a_session_cookie_with_a_nul_is_ignored(self):
        self.client.raise_request_exception = False
        # Python's cookie parser decodes the quoted octal escape into a NUL character.
        cookie = 'sessionid="abcdefghijklmnop\\000qrstuvwxyz"; csrftoken="x\\000y"'
        for path in ("/accounts/login/", "/organisations/RA1/"):
            with self.subTest(path=path), queries_carrying_nul() as carrying_nul:
                response = self.client.get(path, headers={"cookie": cookie})
                self.assertEqual(carrying_nul, [])
                self.assertIn(response.status_code, (200, 302))

    def test_a_signed_in_visitor_keeps_their_session(self):
        self.client.force_login(self.secretary)
        response = self.client.get(
            "/organisations/RA1/", headers={"cookie": self._session_cookie() + '; extra="a\\000"'}
        )
        self.assertEqual(response.status_code, 200)

    def _session_cookie(self) -> str:
        morsel = self.client.cookies["sessionid"]
        return f"sessionid={morsel.value}"
