from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "afterglow.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Sign-in, sign-out, failed sign-in and lockout are reported through one
        # function (accounts.events.security_event), the audit trail's future entry point.
        from afterglow.accounts import signals  # noqa: F401
