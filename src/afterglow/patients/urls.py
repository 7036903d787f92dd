from django.urls import path

from afterglow.patients import views

app_name = "patients"

urlpatterns = [
    path("staff/patients/", views.patient_index, name="list"),
    path("staff/patients/new/", views.patient_new, name="new"),
    path("staff/patients/<int:pk>/", views.patient_chart, name="chart"),
    path("staff/patients/<int:pk>/edit/", views.patient_edit, name="edit"),
]
