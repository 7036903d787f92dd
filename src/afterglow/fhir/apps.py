from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "afterglow.fhir"
    label = "fhir"
    verbose_name = "FHIR R4"
