from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "afterglow.audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        # Sign-in, sign-out and failed sign-in come from django.contrib.auth's signals:
        # the login view is Django's own, so a receiver is the one place to hear them.
        from afterglow.audit import signals  # noqa: F401
