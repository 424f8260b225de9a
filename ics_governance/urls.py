from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    # Until the home page arrives with organisations and logins, the library is the front door.
    path("", RedirectView.as_view(pattern_name="frameworks:list", permanent=False), name="home"),
    path("frameworks/", include("frameworks.urls")),
    path("admin/", admin.site.urls),
]
