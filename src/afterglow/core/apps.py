from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "afterglow.core"
    label = "core"
