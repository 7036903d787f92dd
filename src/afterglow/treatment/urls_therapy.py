"""Psychotherapy pages (namespace ``therapy``), mounted under ``staff/`` by ``treatment.urls``."""

from django.urls import path

from afterglow.treatment.views import therapy as views

app_name = "therapy"

urlpatterns = [
    path("patients/<int:patient_pk>/therapy/", views.therapy_list, name="list"),
    path("patients/<int:patient_pk>/therapy/new/", views.therapy_new, name="new"),
    path("therapy/<int:pk>/", views.therapy_detail, name="detail"),
]
