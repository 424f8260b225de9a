"""Project middleware: keep NUL characters away from the database.

PostgreSQL cannot store NUL (0x00) in text, so psycopg raises on any query that carries
one, and the page is a 500 instead of a plain "not found" or "signed out". Two ways in
decode to text before anything checks it: the URL path (%00) and a quoted cookie value
(Python's cookie parser turns "\\000" into NUL). Form fields are already safe: Django's
form fields refuse NUL. Refusing both here covers every view, present and future,
instead of a check in each one.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse

Middleware = Callable[[HttpRequest], HttpResponse]


def drop_cookies_with_nul(get_response: Middleware) -> Middleware:
    """Treat a cookie whose value contains NUL as absent.

    Must come before SessionMiddleware, which looks the session cookie up in the
    database: a crafted sessionid="aaaaaaaa\\000" made every page a 500. No cookie we set
    contains NUL, so such a cookie was never ours; the visitor is simply signed out.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        for name in [name for name, value in request.COOKIES.items() if "\x00" in name or "\x00" in value]:
            del request.COOKIES[name]
        return get_response(request)

    return middleware


def reject_nul_in_path(get_response: Middleware) -> Middleware:
    """Answer 404 for any URL whose path contains NUL (%00).

    URL patterns such as <str:ods_code> accept any character, and views look the value
    up. No URL of ours contains NUL. Placed after the middleware that adds security
    headers, so that this 404 carries them too, and before any view and any process_view
    (LoginRequiredMiddleware's) runs.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path_info:
            # Raised, not returned, so that Django's 404 handler renders our 404 page.
            raise Http404("The address contains a NUL character.")
        return get_response(request)

    return middleware
