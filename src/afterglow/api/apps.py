from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The REST API under /api/v1/ (django-ninja) and the tokens that open it."""

    name = "afterglow.api"
    label = "api"
    verbose_name = "REST API"
