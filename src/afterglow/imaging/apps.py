from django.apps import AppConfig


class ImagingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "afterglow.imaging"
    verbose_name = "Research imaging"
