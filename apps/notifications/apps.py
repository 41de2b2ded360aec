"""App config for notifications."""

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "apps.notifications"
    label = "notifications"

    def ready(self) -> None:
        # Registers the notification metrics with prometheus_client, so `/metrics` lists
        # them from a worker's start, before anything has been counted.
        from . import metrics  # noqa: F401
