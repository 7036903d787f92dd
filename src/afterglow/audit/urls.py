from django.urls import path

from afterglow.audit import views

app_name = "audit"

urlpatterns = [
    path("staff/audit/", views.audit_log, name="log"),
    path("staff/patients/<int:patient_pk>/access/", views.patient_access, name="patient"),
]
