from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "afterglow.patients"
    label = "patients"
