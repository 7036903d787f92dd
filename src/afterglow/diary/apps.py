from django.apps import AppConfig


class DiaryConfig(AppConfig):
    name = "afterglow.diary"
    label = "diary"
