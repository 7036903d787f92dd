from django.apps import AppConfig


class AuditConfig(AppConfig):
    """Sign-in events reach the trail through ``accounts.events.security_event``."""

    name = "afterglow.audit"
    verbose_name = "Audit trail"
