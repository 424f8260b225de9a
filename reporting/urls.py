from django.urls import path

from reporting import views

app_name = "reporting"

A = "organisations/<str:ods_code>/assessments/<int:year>/"

urlpatterns = [
    path(A + "report/", views.report, name="report"),
    path(A + "report/pdf/", views.report_pdf, name="pdf"),
    path(A + "report/pdf/try-again/", views.seal_again, name="seal-again"),
    path(A + "report/sealed/<int:number>/", views.sealed_pdf, name="sealed-pdf"),
    path(A + "report/export/<str:name>", views.export, name="export"),
    path(A + "report/mine/", views.mine, name="mine"),
    path(A + "report/mine/pdf/", views.mine_pdf, name="mine-pdf"),
    path("reports/check/", views.check, name="check"),
    # The ICS comparison, for the ICS's consultants (and staff).
    path("ics/<str:ods_code>/comparison/", views.comparison, name="comparison"),
    path("ics/<str:ods_code>/comparison/trend/", views.comparison_trend, name="comparison-trend"),
    path("ics/<str:ods_code>/comparison/pdf/", views.comparison_pdf, name="comparison-pdf"),
    path("ics/<str:ods_code>/comparison/export/<str:name>", views.comparison_export, name="comparison-export"),
    path("comparison/national/", views.comparison_national, name="national"),
]
