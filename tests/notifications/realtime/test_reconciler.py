import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from apps.notifications.realtime.consumer import NotificationConsumer
from apps.notifications.realtime.reconciler import local_reconciler
from apps.notifications.realtime.registry import local_registry
from apps.notifications.serializers import frame_for
from tests.conftest import with_user
from tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

create_user = database_sync_to_async(UserFactory.create)
create_notification = database_sync_to_async(NotificationFactory.create)


@pytest.fixture(autouse=True)
def _slow_ticks(settings):
    # The test drives ticks by hand; the background loop must not interfere.
    settings.RIPPLE_RECONCILE_SECONDS = 3600


async def connect(user):
    communicator = WebsocketCommunicator(
        with_user(NotificationConsumer.as_asgi(), user), "/ws/notifications/"
    )
    assert (await communicator.connect())[0]
    return communicator


async def test_lost_push_is_delivered_on_the_second_tick_not_the_first():
    alice = await create_user()
    ws = await connect(alice)
    lost = await create_notification(recipient=alice)

    await local_reconciler().tick()
    first_tick_quiet = await ws.receive_nothing()
    await local_reconciler().tick()

    assert first_tick_quiet
    assert await ws.receive_json_from() == frame_for(lost)
    await local_reconciler().tick()
    assert await ws.receive_nothing()
    await ws.disconnect()


async def test_push_arriving_between_ticks_is_not_replayed():
    from channels.layers import get_channel_layer

    from apps.notifications.realtime.events import notification_created, user_group

    alice = await create_user()
    ws = await connect(alice)
    late = await create_notification(recipient=alice)

    await local_reconciler().tick()
    await get_channel_layer().group_send(
        user_group(alice.id), notification_created(frame=frame_for(late), prev_id=None)
    )
    assert await ws.receive_json_from() == frame_for(late)
    await local_reconciler().tick()

    assert await ws.receive_nothing()
    await ws.disconnect()


async def test_disconnected_connection_is_forgotten():
    alice = await create_user()
    ws = await connect(alice)

    await ws.disconnect()

    assert not local_registry().connections


async def test_connection_whose_handler_crashed_is_forgotten(monkeypatch):
    async def broken(self, raw_after):
        raise RuntimeError("handler bug")

    monkeypatch.setattr(NotificationConsumer, "_handle_sync", broken)
    ws = await connect(await create_user())
    assert len(local_registry().connections) == 1

    await ws.send_json_to({"type": "sync", "after": 0})
    with pytest.raises(RuntimeError):
        await ws.wait(timeout=2)

    assert not local_registry().connections


async def test_reconciler_counts_each_users_open_connections():
    alice, bob = await create_user(), await create_user()
    first, second, other = await connect(alice), await connect(alice), await connect(bob)

    counts = (local_registry().open_for(alice.id), local_registry().open_for(bob.id))
    await first.disconnect()

    assert counts == (2, 1)
    assert local_registry().open_for(alice.id) == 1
    await second.disconnect()
    await other.disconnect()
    assert local_registry().open_for(alice.id) == 0
