from django.urls import path

from afterglow.fhir import views

app_name = "fhir"

urlpatterns = [
    path("fhir/r4/metadata", views.metadata, name="metadata"),
    path(
        "fhir/r4/Patient/<str:resource_id>/$everything",
        views.patient_everything,
        name="everything",
    ),
    path("fhir/r4/<str:resource_type>", views.resource_type, name="type"),
    path("fhir/r4/<str:resource_type>/<str:resource_id>", views.resource_read, name="read"),
]
