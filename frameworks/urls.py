from django.urls import path

from frameworks import views

app_name = "frameworks"

urlpatterns = [
    # /frameworks/
    path("", views.framework_list, name="list"),
    # /frameworks/<slug>/<version>/
    path("<slug:slug>/<str:version>/", views.framework_detail, name="detail"),
]
