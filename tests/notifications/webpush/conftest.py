import pytest

from tests.notifications.webpush.pushservice import PushService, start_push_service


@pytest.fixture
def push_service():
    service = start_push_service()
    yield service
    service.server.shutdown()
    service.server.server_close()


@pytest.fixture(autouse=True)
def _quick_retries(settings) -> None:
    # Eager tasks ignore countdowns; the delays themselves are tested on their own.
    settings.RIPPLE_WEBPUSH_BACKOFF_SECONDS = 0.01


__all__ = ["PushService"]
