from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running Afterglow: the web server, health, request logs, backups and restore.

    On the bottom floor with ``core``: it knows no clinical app, so the worker
    (``schedules``) can record its heartbeat here.
    """

    name = "afterglow.ops"
    label = "ops"
    verbose_name = "Operations"
