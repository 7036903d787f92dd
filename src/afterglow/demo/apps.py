from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "afterglow.demo"
    label = "demo"
