from django.apps import AppConfig


class ChartsConfig(AppConfig):
    name = "afterglow.charts"
    verbose_name = "Patient chart"
