from django.urls import path

from afterglow.patients import views

app_name = "patients"

# The chart (name "chart") is added to this namespace from ``charts.urls`` in afterglow/urls.py.

urlpatterns = [
    path("staff/patients/", views.patient_index, name="list"),
    path("staff/patients/new/", views.patient_new, name="new"),
    path("staff/patients/<int:pk>/edit/", views.patient_edit, name="edit"),
]
