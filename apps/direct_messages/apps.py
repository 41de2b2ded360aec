"""App config for direct messages (not "messages": django.contrib.messages owns that label)."""

from django.apps import AppConfig


class DirectMessagesConfig(AppConfig):
    name = "apps.direct_messages"
    label = "direct_messages"
