"""Size limits: request bodies, page sizes, WebSocket frames, each with a clear error."""

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from rest_framework.pagination import BasePagination

from apps.common.body_limit import TOO_LARGE
from apps.common.pagination import NewestFirstCursorPagination
from apps.notifications.realtime.consumer import (
    CLOSE_TOO_BIG,
    MAX_FRAME_BYTES,
    NotificationConsumer,
)
from apps.posts.models import CONTENT_MAX_LENGTH, Post
from tests.conftest import with_user
from tests.factories import UserFactory
from tests.security.conftest import snapshot, token_client

MAX_PAGE = 100


@pytest.mark.django_db
def test_body_over_the_limit_is_413_json_and_changes_nothing(user):
    client = token_client(user)
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = json.dumps({"content": "x", "type": "thoughts", "pad": "y" * limit})
    before = snapshot()

    response = client.post("/api/posts/", body, content_type="application/json")

    assert response.status_code == 413
    assert response.json() == {"detail": TOO_LARGE.format(limit=limit), "code": "too_large"}
    assert snapshot() == before


@pytest.mark.django_db
def test_largest_valid_post_fits_well_under_the_body_limit(user):
    # Astral characters take 12 bytes each as JSON escapes: the worst case of a full post.
    content = "\U0001f600" * CONTENT_MAX_LENGTH
    body = json.dumps({"content": content, "type": "thoughts"})

    response = token_client(user).post("/api/posts/", body, content_type="application/json")

    assert len(body) < settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 2
    assert response.status_code == 201


@pytest.mark.django_db
def test_text_over_its_max_length_is_400_naming_the_field(user):
    response = token_client(user).post(
        "/api/posts/", {"content": "x" * (CONTENT_MAX_LENGTH + 1), "type": "thoughts"}, "json"
    )

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["content"]


def _paginators(cls: type[BasePagination]) -> set[type[BasePagination]]:
    found = {cls}
    for sub in cls.__subclasses__():
        found |= _paginators(sub)
    return found


def test_every_paginator_caps_page_size_at_100():
    import apps.accounts.api
    import apps.direct_messages.api
    import apps.friends.api
    import apps.notifications.api
    import apps.notifications.api_preferences
    import apps.posts.api  # noqa: F401 - each defines paginators

    paginators = {cls for cls in _paginators(BasePagination) if cls.__module__.startswith("apps.")}

    assert NewestFirstCursorPagination in paginators
    for cls in paginators:
        assert getattr(cls, "max_page_size", None) == MAX_PAGE, cls
        page_size = getattr(cls, "page_size", None)
        assert page_size is not None, cls
        assert page_size <= MAX_PAGE, cls


@pytest.mark.django_db
def test_page_size_asked_above_100_gets_100(user):
    Post.objects.bulk_create(
        [Post(author=user, content=f"{n}", type="thoughts") for n in range(MAX_PAGE + 5)]
    )

    response = token_client(user).get("/api/posts/", {"page_size": 10_000})

    assert response.status_code == 200
    assert len(response.json()["results"]) == MAX_PAGE


# --- WebSocket frames: 64 KiB, counted in bytes -------------------------------------------


async def _connect() -> WebsocketCommunicator:
    user = await database_sync_to_async(UserFactory.create)()
    communicator = WebsocketCommunicator(
        with_user(NotificationConsumer.as_asgi(), user), "/ws/notifications/"
    )
    connected, _ = await communicator.connect()
    assert connected
    return communicator


def _ping_of(size: int) -> str:
    """A ping frame of exactly `size` bytes."""
    empty = json.dumps({"type": "ping", "pad": ""})
    return json.dumps({"type": "ping", "pad": "x" * (size - len(empty))})


@pytest.mark.django_db(transaction=True)
async def test_frame_of_exactly_64_kib_is_served():
    ws = await _connect()

    frame = _ping_of(MAX_FRAME_BYTES)

    await ws.send_to(text_data=frame)

    assert len(frame.encode()) == MAX_FRAME_BYTES == 64 * 1024
    assert await ws.receive_json_from() == {"type": "pong"}
    await ws.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("char", ["x", "é", "\U0001f600"])
async def test_frame_over_64_kib_in_utf8_bytes_closes_with_1009(char):
    ws = await _connect()
    pad = char * (MAX_FRAME_BYTES // len(char.encode()))
    frame = json.dumps({"type": "ping", "pad": pad}, ensure_ascii=False)

    await ws.send_to(text_data=frame)

    assert len(frame.encode()) > MAX_FRAME_BYTES
    assert await ws.receive_output() == {"type": "websocket.close", "code": CLOSE_TOO_BIG}
    await ws.disconnect()
