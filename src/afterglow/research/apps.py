from django.apps import AppConfig


class ResearchConfig(AppConfig):
    name = "afterglow.research"
    label = "research"
