"""App config for moderation: removal, suspension and the audit log."""

from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "apps.moderation"
    label = "moderation"
