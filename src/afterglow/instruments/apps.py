from django.apps import AppConfig


class InstrumentsConfig(AppConfig):
    name = "afterglow.instruments"
    label = "instruments"
