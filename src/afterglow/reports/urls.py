from django.urls import path

from afterglow.reports import views

app_name = "reports"

urlpatterns = [
    path("staff/patients/<int:pk>/report.pdf", views.patient_pdf, name="patient_pdf"),
]
