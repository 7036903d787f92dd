from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "afterglow.analytics"
    label = "analytics"
