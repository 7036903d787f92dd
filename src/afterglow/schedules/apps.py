from django.apps import AppConfig


class SchedulesConfig(AppConfig):
    name = "afterglow.schedules"
    label = "schedules"
