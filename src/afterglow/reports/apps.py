from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "afterglow.reports"
    label = "reports"
