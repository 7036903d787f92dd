from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "afterglow.outcomes"
    label = "outcomes"
