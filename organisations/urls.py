from django.urls import path

from organisations import views

app_name = "organisations"

urlpatterns = [
    # /organisations/<ODS code>/
    path("organisations/<str:ods_code>/", views.organisation_detail, name="detail"),
    path("organisations/<str:ods_code>/people/", views.organisation_people, name="people"),
    # /ics/<ICB ODS code>/
    path("ics/<str:ods_code>/", views.ics_detail, name="ics-detail"),
]
