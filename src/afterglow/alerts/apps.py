from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "afterglow.alerts"
    label = "alerts"
