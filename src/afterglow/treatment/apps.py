from django.apps import AppConfig


class TreatmentConfig(AppConfig):
    name = "afterglow.treatment"
    label = "treatment"
