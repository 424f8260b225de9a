from django.contrib import admin
from django.urls import include, path

from operations.views import health
from organisations import views as organisation_views

urlpatterns = [
    path("", organisation_views.home, name="home"),
    path("", include("organisations.urls")),
    path("", include("assessments.urls")),
    path("", include("reporting.urls")),
    path("frameworks/", include("frameworks.urls")),
    # Password reset is Django's, rate-limited (organisations/views.py); listed before
    # Django's auth URLs so that it takes their password_reset path.
    path("accounts/password_reset/", organisation_views.PasswordResetView.as_view(), name="password_reset"),
    # Login, logout (POST), password change and reset: Django's views, our templates.
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    # For the load balancer: no login, JSON (operations/views.py).
    path("health/", health, name="health"),
]

# 403, 404 and 500 use Django's views with templates/403.html, 404.html and 500.html.
handler400 = "ics_governance.errors.bad_request"
