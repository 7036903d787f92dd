from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "afterglow.intake"
    label = "intake"
