"""The project's URLs plus one page that fails, for the 500 page test."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from ics_governance.urls import handler400  # noqa: F401
from ics_governance.urls import urlpatterns as project_urlpatterns


@login_not_required
def fail(request):
    raise RuntimeError("A deliberate failure for the 500 page test.")


urlpatterns = [path("test-failure/", fail), *project_urlpatterns]
