"""DeliveryCursor without a WebSocket: exactly once, in order, gaps replayed from the DB."""

import pytest
from channels.db import database_sync_to_async

from apps.notifications.realtime import cursor as cursor_module
from apps.notifications.realtime.cursor import DeliveryCursor
from apps.notifications.serializers import frame_for
from tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

create_user = database_sync_to_async(UserFactory.create)
create_notification = database_sync_to_async(NotificationFactory.create)


def sent_to_list():
    sent: list[dict] = []

    async def send(frame: dict) -> None:
        sent.append(frame)

    return sent, send


async def test_start_without_after_begins_at_the_newest_id_and_replays_nothing():
    alice = await create_user()
    newest = await create_notification(recipient=alice)
    sent, send = sent_to_list()
    cursor = DeliveryCursor(user_id=alice.id, send=send)

    await cursor.open(after=None)

    assert cursor.last_id == newest.id
    assert sent == []


async def test_live_frames_are_sent_once_and_older_ones_dropped():
    alice = await create_user()
    first = await create_notification(recipient=alice)
    sent, send = sent_to_list()
    cursor = DeliveryCursor(user_id=alice.id, send=send)
    await cursor.open(after=first.id)
    second = await create_notification(recipient=alice)

    await cursor.live(frame_for(second), prev_id=first.id)
    await cursor.live(frame_for(second), prev_id=first.id)
    await cursor.live(frame_for(first), prev_id=None)

    assert sent == [{"type": "synced", "last_id": first.id}, frame_for(second)]


async def test_a_live_frame_after_a_missed_one_replays_the_gap_in_chunks(monkeypatch):
    monkeypatch.setattr(cursor_module, "REPLAY_CHUNK", 2)
    alice = await create_user()
    start = await create_notification(recipient=alice)
    sent, send = sent_to_list()
    cursor = DeliveryCursor(user_id=alice.id, send=send)
    await cursor.open(after=start.id)
    missed = [await create_notification(recipient=alice) for _ in range(4)]

    await cursor.live(frame_for(missed[-1]), prev_id=missed[-2].id)

    assert sent[1:] == [frame_for(n) for n in missed]
    assert cursor.last_id == missed[-1].id


async def test_open_replays_more_than_a_chunk_then_announces(monkeypatch):
    monkeypatch.setattr(cursor_module, "REPLAY_CHUNK", 2)
    alice = await create_user()
    start = await create_notification(recipient=alice)
    missed = [await create_notification(recipient=alice) for _ in range(4)]
    sent, send = sent_to_list()
    cursor = DeliveryCursor(user_id=alice.id, send=send)

    await cursor.open(after=start.id)

    assert sent == [
        *(frame_for(n) for n in missed),
        {"type": "synced", "last_id": missed[-1].id},
    ]


async def test_rows_not_pushed_move_the_cursor_without_a_frame():
    alice = await create_user()
    start = await create_notification(recipient=alice)
    silent = await create_notification(recipient=alice, pushed=False)
    loud = await create_notification(recipient=alice)
    sent, send = sent_to_list()
    cursor = DeliveryCursor(user_id=alice.id, send=send)

    await cursor.open(after=start.id)

    assert sent == [frame_for(loud), {"type": "synced", "last_id": loud.id}]
    assert silent.id < cursor.last_id


async def test_a_cursor_beyond_the_newest_id_is_clamped_once():
    alice = await create_user()
    newest = await create_notification(recipient=alice)
    sent, send = sent_to_list()
    cursor = DeliveryCursor(user_id=alice.id, send=send)

    await cursor.open(after=newest.id + 50)
    await cursor.replay(announce=True)

    assert sent == [
        {"type": "synced", "last_id": newest.id, "clamped": True},
        {"type": "synced", "last_id": newest.id},
    ]
