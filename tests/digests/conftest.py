"""A real SMTP server on loopback (aiosmtpd) and Django's SMTP backend pointed at it."""

import re
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.utils import timezone

from apps.accounts.models import User
from apps.notifications.models import Notification
from tests.factories import NotificationFactory


class Inbox:
    """What the SMTP server received, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(parsed)
            self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [
            m for m, rcpt in zip(self.messages, self.recipients, strict=True) if address in rcpt
        ]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp(settings) -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.RIPPLE_SITE_URL = "https://ripple.example"
    try:
        yield inbox
    finally:
        controller.stop()


# 18:00 UTC: the default digest hour of a user who never chose one.
SIX_PM_UTC = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)


@pytest.fixture
def at_six_pm() -> Iterator[datetime]:
    with time_machine.travel(SIX_PM_UTC, tick=False):
        yield SIX_PM_UTC


def pending(recipient: User, hours: float = 5, **fields: Any) -> Notification:
    """A notification old enough for the digest (the quiet period is 4 hours)."""
    created = timezone.now() - timedelta(hours=hours)
    return NotificationFactory(recipient=recipient, created_at=created, **fields)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def unsubscribe_link(message: EmailMessage) -> str:
    """The URL of the List-Unsubscribe header (folded headers keep a leading space)."""
    found = re.fullmatch(r"<(.+)>", str(message["List-Unsubscribe"]).strip())
    assert found is not None
    return found.group(1)
