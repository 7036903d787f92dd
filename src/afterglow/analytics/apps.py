from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AnalyticsConfig(AppConfig):
    name = "afterglow.analytics"
    label = "analytics"

    def ready(self) -> None:
        # Infrastructure, not domain logic: the dashboard cache's version triggers are
        # (re)installed after every migrate, because SQLite drops a table's triggers
        # when a migration rebuilds it (analytics.versioning).
        from afterglow.analytics.versioning import install_after_migrate

        post_migrate.connect(
            install_after_migrate, sender=self, dispatch_uid="analytics-cohort-version"
        )
