"""App config for digests: the email summary for friends who have been away."""

from django.apps import AppConfig


class DigestsConfig(AppConfig):
    name = "apps.digests"
    label = "digests"
