from django.contrib import admin
from django.urls import include, path

from organisations import views as organisation_views

urlpatterns = [
    path("", organisation_views.home, name="home"),
    path("", include("organisations.urls")),
    path("", include("assessments.urls")),
    path("frameworks/", include("frameworks.urls")),
    # Login, logout (POST), password change and reset: Django's views, our templates.
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
