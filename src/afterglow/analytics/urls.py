from django.urls import path

from afterglow.analytics import views

app_name = "analytics"

urlpatterns = [
    path("staff/outcomes/", views.dashboard, name="dashboard"),
    path("staff/outcomes/cohort.csv", views.export_csv, name="export_csv"),
    path("staff/outcomes/report.pdf", views.report_pdf, name="report_pdf"),
]
