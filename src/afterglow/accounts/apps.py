from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "afterglow.accounts"
    label = "accounts"
