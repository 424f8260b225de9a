"""Browser tests: Playwright driving Debian's Chromium against a live test server.

Playwright's own browser download is never used (the machines cannot reach its
CDN): we launch /usr/bin/chromium, which `make test` and `.ci/run` install. A
missing browser fails the tests rather than skipping them.
"""

import hashlib
import os
import re
from pathlib import Path
from unittest import mock

from axe_playwright_python.sync_playwright import Axe
from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from django.core.servers.basehttp import WSGIServer
from django.db import connection
from django.test.testcases import LiveServerThread, QuietWSGIRequestHandler
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# HTML_SNAPSHOTS=<folder>: every HTML page the browser is served (the server's own bytes,
# as the browser parsed them, error pages included) is saved there for
# `scripts/validate-html <folder>`. `.ci/run` sets it for the SQLite pass of `make test`.
HTML_SNAPSHOTS = os.environ.get("HTML_SNAPSHOTS")
# WCAG 2.2 AA, as NHS services must meet.
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
    "resultTypes": ["violations"],
}


class OneRequestAtATimeServerThread(LiveServerThread):
    """A live server that answers one request at a time.

    On SQLite the test database lives in memory, and Django hands the live server's
    threads the test's one connection. Two requests at once (two tabs autosaving, a
    page and its static files) then share that connection, and the second BEGIN fails
    with "cannot start a transaction within a transaction": a failure of the test
    set-up, not of the app (each `make run` or production request has its own
    connection). Django's own server closes each connection after its response when
    it is not threaded, so browsers do not wait on a kept-alive socket.
    """

    def _create_server(self, connections_override=None):
        return WSGIServer((self.host, self.port), QuietWSGIRequestHandler, allow_reuse_address=False)


def save_html_snapshots(browser, folder: Path) -> None:
    """Save every page that a context of `browser` is served into `folder`.

    Tests make contexts and tabs of their own (a second tab, a fresh context), so the
    hook is on `new_context` and each context's "page" event. The document's response
    body is saved rather than `page.content()`, which serialises the DOM after the parser
    has repaired the markup (and after scripts have changed it). A page served twice
    with the same bytes is saved once.
    """
    folder.mkdir(parents=True, exist_ok=True)

    def save(response) -> None:
        request = response.request
        if not request.is_navigation_request() or request.frame.parent_frame is not None:
            return
        if response.status // 100 == 3 or "text/html" not in response.headers.get("content-type", ""):
            return
        try:
            body = response.body()
        except PlaywrightError:  # the tab or context closed before the body came: no page left
            return
        path = re.sub(r"[^A-Za-z0-9._-]+", "_", response.url.split("://", 1)[-1].split("/", 1)[-1]).strip("_")
        name = f"{path[:100] or 'home'}-{response.status}-{hashlib.sha256(body).hexdigest()[:12]}.html"
        (folder / name).write_bytes(body)

    def watch(page) -> None:
        page.on("response", save)

    new_context = browser.new_context

    def new_context_with_snapshots(*args, **kwargs):
        context = new_context(*args, **kwargs)
        context.on("page", watch)
        return context

    browser.new_context = new_context_with_snapshots


class BrowserTestCase(StaticLiveServerTestCase):
    if connection.vendor == "sqlite":
        server_thread_class = OneRequestAtATimeServerThread

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not Path(CHROMIUM).exists():
            raise RuntimeError(f"{CHROMIUM} is missing: run `make test` (it installs Debian's chromium).")
        # Playwright's sync API runs an event loop in this thread; the ORM calls in the
        # tests still run synchronously, which Django allows only with this flag. It is
        # set for the browser tests alone and removed afterwards.
        cls.enterClassContext(mock.patch.dict(os.environ, {"DJANGO_ALLOW_ASYNC_UNSAFE": "true"}))
        cls.playwright = sync_playwright().start()
        cls.browser = cls.playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        if HTML_SNAPSHOTS:
            save_html_snapshots(cls.browser, Path(HTML_SNAPSHOTS))

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls.playwright.stop()
        super().tearDownClass()

    def setUp(self):
        self.context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.console_errors: list[str] = []
        self.page.on("console", lambda msg: msg.type == "error" and self.console_errors.append(msg.text))

    def tearDown(self):
        self.context.close()
        # The live server's database is emptied row by row after each test (SQLite runs
        # DELETE, which the lock triggers refuse for a signed-off assessment). Reopen them
        # as the triggers allow: a reopening record first, then the status.
        from tests.factories import reopen_for_cleanup

        reopen_for_cleanup()

    def sign_in(self, user) -> None:
        """Sign in without the form, by giving the browser a session cookie."""
        from django.conf import settings
        from django.test import Client

        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        self.context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": self.live_server_url, "httpOnly": True}]
        )

    def visit(self, path: str):
        response = self.page.goto(self.live_server_url + path)
        self.assertIsNotNone(response)
        return response

    def assertAccessible(self):
        """axe finds no WCAG 2.2 A/AA (or best-practice) violation on the current page."""
        results = Axe().run(self.page, options=AXE_OPTIONS)
        self.assertEqual(results.violations_count, 0, results.generate_report())

    def assertNoConsoleErrors(self):
        """Covers CSP violations too: the browser reports each one as a console error."""
        self.assertEqual(self.console_errors, [])
