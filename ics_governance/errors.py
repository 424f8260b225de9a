"""Error page views that need more than Django's defaults (see handler400 in urls.py).

The 403, 404 and 500 pages are Django's own views with our templates. Django's 400
view passes the template nothing about the error; ours says whether the request was
refused for its size, the one 400 a board member meets by doing something ordinary
(pasting a very long text), so that the page can say what happened and what to do.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import requires_csrf_token


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    too_large = isinstance(exception, (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent))
    # Like Django's own 400 view, nothing from the exception itself is shown.
    context = {"too_large": too_large, "limit_mb": round(settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1_048_576, 1)}
    if request.headers.get("HX-Request") == "true":
        # htmx swaps 400 responses into the page (base.html's htmx-config), into the
        # element that shows an autosave's status: send it one line, not a whole page,
        # and put the line inside that element so that later saves still find it.
        response = render(request, "400.html#inline-message", context, status=400)
        response["HX-Reswap"] = "innerHTML"
        return response
    return render(request, "400.html", context, status=400)
