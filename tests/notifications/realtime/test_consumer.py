import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import OperationalError

from apps.notifications.realtime import cursor as cursor_module
from apps.notifications.realtime.consumer import (
    CLOSE_BAD_REQUEST,
    CLOSE_TOO_BIG,
    ERROR_AFTER,
    ERROR_BINARY,
    ERROR_JSON,
    ERROR_UNKNOWN_TYPE,
    NotificationConsumer,
)
from apps.notifications.realtime.events import notification_created, user_group
from apps.notifications.serializers import frame_for
from tests.conftest import with_user
from tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

create_user = database_sync_to_async(UserFactory.create)
create_notification = database_sync_to_async(NotificationFactory.create)


async def connect(user, path="/ws/notifications/"):
    communicator = WebsocketCommunicator(with_user(NotificationConsumer.as_asgi(), user), path)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def send_created(notification, prev_id=None):
    event = notification_created(frame=frame_for(notification), prev_id=prev_id)
    await get_channel_layer().group_send(user_group(notification.recipient_id), event)


async def test_connect_anonymous_is_refused():
    from django.contrib.auth.models import AnonymousUser

    communicator = WebsocketCommunicator(
        with_user(NotificationConsumer.as_asgi(), AnonymousUser()), "/ws/notifications/"
    )

    connected, _ = await communicator.connect()

    assert not connected


async def test_created_event_reaches_every_connection_of_its_user_only():
    alice, bob = await create_user(), await create_user()
    alice_tabs = [await connect(alice), await connect(alice)]
    bob_ws = await connect(bob)
    notification = await create_notification(recipient=alice)

    await send_created(notification)

    for tab in alice_tabs:
        assert await tab.receive_json_from() == frame_for(notification)
    assert await bob_ws.receive_nothing()
    for communicator in [*alice_tabs, bob_ws]:
        await communicator.disconnect()


async def test_created_event_already_delivered_is_not_sent_twice():
    alice = await create_user()
    ws = await connect(alice)
    notification = await create_notification(recipient=alice)

    await send_created(notification)
    await send_created(notification)

    assert await ws.receive_json_from() == frame_for(notification)
    assert await ws.receive_nothing()
    await ws.disconnect()


async def test_created_event_after_a_missed_push_sends_the_gap_first_in_order():
    alice = await create_user()
    ws = await connect(alice)
    missed = await create_notification(recipient=alice)
    latest = await create_notification(recipient=alice)

    await send_created(latest, prev_id=missed.id)

    assert await ws.receive_json_from() == frame_for(missed)
    assert await ws.receive_json_from() == frame_for(latest)
    assert await ws.receive_nothing()
    await ws.disconnect()


async def test_connect_with_after_replays_then_announces_synced():
    alice = await create_user()
    old = await create_notification(recipient=alice)
    missed = [await create_notification(recipient=alice) for _ in range(3)]
    await create_notification()  # someone else's

    ws = await connect(alice, f"/ws/notifications/?after={old.id}")

    for notification in missed:
        assert await ws.receive_json_from() == frame_for(notification)
    assert await ws.receive_json_from() == {"type": "synced", "last_id": missed[-1].id}
    await ws.disconnect()


async def test_connect_without_after_starts_from_now():
    alice = await create_user()
    await create_notification(recipient=alice)

    ws = await connect(alice)

    assert await ws.receive_nothing()
    await ws.disconnect()


@pytest.mark.parametrize("after", ["", "-1", "abc", "1.5", "99999999999999999999"])
async def test_connect_with_bad_after_sends_error_and_closes_4400(after):
    alice = await create_user()
    communicator = WebsocketCommunicator(
        with_user(NotificationConsumer.as_asgi(), alice), f"/ws/notifications/?after={after}"
    )
    await communicator.connect()

    assert await communicator.receive_json_from() == {"type": "error", "error": ERROR_AFTER}
    assert await communicator.receive_output() == {
        "type": "websocket.close",
        "code": CLOSE_BAD_REQUEST,
    }
    await communicator.disconnect()


async def test_connect_with_after_beyond_the_newest_id_is_clamped_and_live_frames_flow():
    alice = await create_user()
    newest = await create_notification(recipient=alice)

    # A cursor the server cannot have issued (a database restored from an older backup).
    ws = await connect(alice, f"/ws/notifications/?after={newest.id + 1000}")
    synced = await ws.receive_json_from()
    later = await create_notification(recipient=alice)
    await send_created(later, prev_id=newest.id)

    assert synced == {"type": "synced", "last_id": newest.id, "clamped": True}
    assert await ws.receive_json_from() == frame_for(later)
    await ws.disconnect()


async def test_sync_beyond_the_newest_id_is_clamped_and_the_next_push_is_delivered():
    alice = await create_user()
    ws = await connect(alice)

    await ws.send_json_to({"type": "sync", "after": 10**12})
    synced = await ws.receive_json_from()
    first = await create_notification(recipient=alice)
    await send_created(first, prev_id=None)

    assert synced == {"type": "synced", "last_id": 0, "clamped": True}
    assert await ws.receive_json_from() == frame_for(first)
    await ws.disconnect()


async def test_sync_message_replays_from_the_given_id():
    alice = await create_user()
    first = await create_notification(recipient=alice)
    second = await create_notification(recipient=alice)
    ws = await connect(alice)

    await ws.send_json_to({"type": "sync", "after": first.id})

    assert await ws.receive_json_from() == frame_for(second)
    assert await ws.receive_json_from() == {"type": "synced", "last_id": second.id}
    await ws.disconnect()


async def test_ping_gets_pong():
    ws = await connect(await create_user())

    await ws.send_json_to({"type": "ping"})

    assert await ws.receive_json_from() == {"type": "pong"}
    await ws.disconnect()


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        ({"text_data": "not json"}, ERROR_JSON),
        ({"text_data": "[1, 2]"}, ERROR_JSON),
        ({"text_data": '"ping"'}, ERROR_JSON),
        ({"text_data": json.dumps({"type": "shout"})}, ERROR_UNKNOWN_TYPE),
        ({"text_data": json.dumps({"no": "type"})}, ERROR_UNKNOWN_TYPE),
        ({"text_data": json.dumps({"type": "sync", "after": "x"})}, ERROR_AFTER),
        ({"text_data": json.dumps({"type": "sync", "after": True})}, ERROR_AFTER),
        ({"bytes_data": b"\x00\x01"}, ERROR_BINARY),
    ],
)
async def test_bad_frame_gets_error_and_connection_stays_open(frame, error):
    ws = await connect(await create_user())

    await ws.send_to(**frame)

    assert await ws.receive_json_from() == {"type": "error", "error": error}
    await ws.send_json_to({"type": "ping"})
    assert await ws.receive_json_from() == {"type": "pong"}
    await ws.disconnect()


async def test_frame_over_64_kib_closes_with_1009():
    ws = await connect(await create_user())

    await ws.send_to(text_data=json.dumps({"type": "ping", "pad": "x" * 65536}))

    assert await ws.receive_output() == {"type": "websocket.close", "code": CLOSE_TOO_BIG}
    await ws.disconnect()


async def test_read_state_change_pushes_notification_updated_to_every_connection():
    from apps.notifications.services import notification_mark_read

    alice = await create_user()
    first = await create_notification(recipient=alice)
    await create_notification(recipient=alice)
    tabs = [await connect(alice), await connect(alice)]

    await database_sync_to_async(notification_mark_read)(user=alice, notification_id=first.id)

    for tab in tabs:
        frame = await tab.receive_json_from()
        assert frame["type"] == "notification_updated"
        assert frame["data"]["ids"] == [first.id]
        assert frame["data"]["state"] == "read"
        assert frame["data"]["counts"]["unread"] == 1
        await tab.disconnect()


async def test_removed_event_is_forwarded_as_notification_removed():
    from apps.notifications.realtime.events import notification_removed

    alice = await create_user()
    ws = await connect(alice)

    await get_channel_layer().group_send(user_group(alice.id), notification_removed(ids=[3, 4]))

    assert await ws.receive_json_from() == {"type": "notification_removed", "data": {"ids": [3, 4]}}
    await ws.disconnect()


async def test_terminated_event_says_why_and_closes_with_4403():
    from apps.notifications.realtime.consumer import CLOSE_SUSPENDED
    from apps.notifications.realtime.events import session_terminated

    alice = await create_user()
    ws = await connect(alice)

    await get_channel_layer().group_send(user_group(alice.id), session_terminated(reason="no"))

    assert await ws.receive_json_from() == {"type": "session_terminated", "reason": "no"}
    assert await ws.receive_output() == {"type": "websocket.close", "code": CLOSE_SUSPENDED}


async def test_suspended_user_is_refused():
    from django.utils import timezone

    alice = await create_user(suspended_at=timezone.now())
    communicator = WebsocketCommunicator(
        with_user(NotificationConsumer.as_asgi(), alice), "/ws/notifications/"
    )

    connected, _ = await communicator.connect()

    assert not connected


async def test_connections_past_the_per_user_limit_are_refused_with_4429(settings):
    from apps.notifications.realtime.consumer import CLOSE_TOO_MANY, ERROR_TOO_MANY

    settings.RIPPLE_WS_MAX_CONNECTIONS_PER_USER = 2
    alice = await create_user()
    first, second = await connect(alice), await connect(alice)
    third = WebsocketCommunicator(
        with_user(NotificationConsumer.as_asgi(), alice), "/ws/notifications/"
    )
    await third.connect()

    assert await third.receive_json_from() == {"type": "error", "error": ERROR_TOO_MANY}
    assert await third.receive_output() == {"type": "websocket.close", "code": CLOSE_TOO_MANY}
    await first.send_json_to({"type": "ping"})
    assert await first.receive_json_from() == {"type": "pong"}
    await first.disconnect()
    await second.disconnect()


async def test_client_flooding_frames_is_closed_with_1008(settings):
    from apps.notifications.realtime.consumer import CLOSE_FLOOD, ERROR_FLOOD

    settings.RIPPLE_WS_FRAME_BURST = 3
    settings.RIPPLE_WS_FRAMES_PER_SECOND = 0.001
    ws = await connect(await create_user())

    for _ in range(3):
        await ws.send_json_to({"type": "ping"})
        assert await ws.receive_json_from() == {"type": "pong"}
    await ws.send_json_to({"type": "ping"})

    assert await ws.receive_json_from() == {"type": "error", "error": ERROR_FLOOD}
    assert await ws.receive_output() == {"type": "websocket.close", "code": CLOSE_FLOOD}


async def test_open_connection_gauge_follows_connects_and_disconnects():
    from django.contrib.auth.models import AnonymousUser

    from apps.notifications import metrics

    before = metrics.gauges()["websocket_connections"]
    ws = await connect(await create_user())
    opened = metrics.gauges()["websocket_connections"]
    refused = WebsocketCommunicator(
        with_user(NotificationConsumer.as_asgi(), AnonymousUser()), "/ws/notifications/"
    )
    await refused.connect()
    await ws.disconnect()

    assert opened == before + 1
    assert metrics.gauges()["websocket_connections"] == before


class QueryLog(list):
    """Every SQL statement run on any thread (the handshake's run on database threads)."""


@pytest.fixture
def query_log(monkeypatch) -> QueryLog:
    from django.db.backends.utils import CursorWrapper

    log = QueryLog()
    execute = CursorWrapper._execute_with_wrappers  # type: ignore[attr-defined]

    def logged(self, sql, *args, **kwargs):
        log.append(sql)
        return execute(self, sql, *args, **kwargs)

    monkeypatch.setattr(CursorWrapper, "_execute_with_wrappers", logged)
    return log


@pytest.mark.parametrize("query", ["", "after=0"])
async def test_a_token_handshake_costs_two_queries_token_and_start_point(query, query_log):
    from project.asgi import application
    from tests.factories import TokenFactory

    token = await database_sync_to_async(TokenFactory.create)()
    missed = [await create_notification(recipient=token.user) for _ in range(3)]
    communicator = WebsocketCommunicator(
        application,
        f"/ws/notifications/?{query}",
        headers=[(b"authorization", f"Token {token.key}".encode())],
    )
    query_log.clear()

    # Bounds for a busy machine: the test counts queries, not time.
    connected, _ = await communicator.connect(timeout=10)
    # Answered once connect() has returned, so after every query of the handshake.
    await communicator.send_json_to({"type": "ping"})
    frames = [await communicator.receive_json_from(timeout=10) for _ in range(5 if query else 1)]
    queries = list(query_log)
    await communicator.disconnect()

    assert connected
    assert len(queries) == 2, queries
    replayed = [*(frame_for(n) for n in missed), {"type": "synced", "last_id": missed[-1].id}]
    assert frames == [*(replayed if query else []), {"type": "pong"}]


async def test_a_post_over_http_reaches_a_friends_socket_once_the_response_is_out():
    from channels.testing import HttpCommunicator

    from project.asgi import application
    from tests.factories import TokenFactory, make_friends

    author, friend = (
        await database_sync_to_async(TokenFactory.create)(),
        await database_sync_to_async(TokenFactory.create)(),
    )
    await database_sync_to_async(make_friends)(author.user, friend.user)
    socket = WebsocketCommunicator(
        application,
        "/ws/notifications/",
        headers=[(b"authorization", f"Token {friend.key}".encode())],
    )
    assert (await socket.connect())[0]
    body = json.dumps({"content": "over http", "type": "thoughts"}).encode()
    request = HttpCommunicator(
        application,
        "POST",
        "/api/posts/",
        body=body,
        headers=[
            (b"host", b"testserver"),
            (b"authorization", f"Token {author.key}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
    )

    response = await request.get_response(timeout=10)
    frame = await socket.receive_json_from(timeout=5)

    assert response["status"] == 201
    assert (frame["type"], frame["data"]["id"]) == ("new_post", json.loads(response["body"])["id"])
    await socket.disconnect()


async def test_post_counts_event_goes_straight_to_the_socket_and_leaves_the_cursor():
    from apps.notifications.realtime.events import post_counts

    alice = await create_user()
    ws = await connect(alice)
    notification = await create_notification(recipient=alice)

    await get_channel_layer().group_send(
        user_group(alice.id), post_counts(post_id=7, likes_count=3, reply_count=1)
    )
    counts = await ws.receive_json_from()
    await send_created(notification, prev_id=None)

    assert counts == {
        "type": "post_counts",
        "data": {"post_id": 7, "likes_count": 3, "reply_count": 1},
    }
    assert await ws.receive_json_from() == frame_for(notification)
    assert await ws.receive_nothing()
    await ws.disconnect()


async def test_a_notification_stored_as_the_socket_opens_reaches_it(monkeypatch):
    """Once the client sees its socket open, every row stored for it is pushed to it: the
    start point is read before the handshake completes, not after."""
    alice = await create_user()
    stored = []
    accept = NotificationConsumer.accept

    async def accept_then_store(self, *args, **kwargs):
        await accept(self, *args, **kwargs)
        notification = await create_notification(recipient=alice)
        stored.append(notification)
        await send_created(notification)

    monkeypatch.setattr(NotificationConsumer, "accept", accept_then_store)
    ws = await connect(alice)

    assert await ws.receive_json_from() == frame_for(stored[0])
    await ws.disconnect()


async def test_a_handshake_whose_start_point_cannot_be_read_leaves_the_group(monkeypatch):
    alice = await create_user()

    async def database_down(**kwargs):
        raise OperationalError("the database is down")

    monkeypatch.setattr(cursor_module, "_latest_id", database_down)
    communicator = WebsocketCommunicator(
        with_user(NotificationConsumer.as_asgi(), alice), "/ws/notifications/"
    )

    with pytest.raises(OperationalError):
        await communicator.connect()
    for _ in range(50):  # leaves are written in the background, batched
        if not get_channel_layer().groups.get(user_group(alice.id)):
            break
        await asyncio.sleep(0.02)

    assert not get_channel_layer().groups.get(user_group(alice.id))
