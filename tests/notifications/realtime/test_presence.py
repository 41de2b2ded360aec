"""Presence: a user is online while some worker holds a socket of theirs, and only then."""

import asyncio
import os
import time
import uuid

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers, get_channel_layer
from channels.testing import WebsocketCommunicator

from apps.notifications.realtime.consumer import NotificationConsumer
from apps.notifications.realtime.events import user_group
from apps.notifications.realtime.layer import RippleRedisChannelLayer
from apps.notifications.realtime.memberships import local_memberships
from apps.notifications.realtime.presence import PresenceUnavailable, is_online, online_users
from tests.conftest import with_user
from tests.factories import UserFactory

create_user = database_sync_to_async(UserFactory.create)


def use_redis_layer(settings, url: str, **config: float) -> None:
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "apps.notifications.realtime.layer.RippleRedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": url, "socket_timeout": None}],
                "prefix": f"test-presence-{uuid.uuid4().hex[:8]}",
                **config,
            },
        }
    }
    channel_layers.backends.clear()


def this_layer() -> RippleRedisChannelLayer:
    layer = get_channel_layer()
    assert isinstance(layer, RippleRedisChannelLayer)
    return layer


def worker_layer() -> RippleRedisChannelLayer:
    """Another worker process's layer: the same Redis and prefix as this process's."""
    layer = this_layer()
    return RippleRedisChannelLayer(
        hosts=layer.hosts, prefix=layer.prefix, presence_expiry=layer.presence_expiry
    )


async def test_nobody_is_online_for_no_users():
    assert await online_users([]) == set()


@pytest.mark.django_db(transaction=True)
async def test_a_user_is_online_from_connect_until_their_last_socket_closes():
    alice, bob = await create_user(), await create_user()
    app = with_user(NotificationConsumer.as_asgi(), alice)
    first = WebsocketCommunicator(app, "/ws/notifications/")
    second = WebsocketCommunicator(app, "/ws/notifications/")
    before = await is_online(alice.id)
    assert (await first.connect())[0]
    assert (await second.connect())[0]

    both_open = await online_users([alice.id, bob.id])
    await first.disconnect()
    await local_memberships().idle()
    one_open = await is_online(alice.id)
    await second.disconnect()
    await local_memberships().idle()

    assert before is False
    assert both_open == {alice.id}
    assert one_open is True
    assert await is_online(alice.id) is False


@pytest.mark.services
async def test_a_user_stays_online_while_another_worker_holds_a_socket(settings):
    use_redis_layer(settings, os.environ["REDIS_URL"])
    here, there = this_layer(), worker_layer()
    try:
        channel_here, channel_there = await here.new_channel(), await there.new_channel()
        await here.group_change_many(add=[(user_group(7), channel_here)])
        await there.group_change_many(add=[(user_group(7), channel_there)])

        await here.group_change_many(discard=[(user_group(7), channel_here)])
        still = await online_users([7, 8])
        await there.group_change_many(discard=[(user_group(7), channel_there)])

        assert still == {7}
        assert await online_users([7, 8]) == set()
    finally:
        await here.flush()
        await here.close_pools()
        await there.close_pools()


@pytest.mark.services
async def test_a_dead_workers_users_go_offline_after_the_expiry(settings):
    use_redis_layer(settings, os.environ["REDIS_URL"], presence_expiry=1)
    live, dead = this_layer(), worker_layer()
    try:
        await live.group_change_many(add=[(user_group(1), await live.new_channel())])
        await dead.group_change_many(add=[(user_group(2), await dead.new_channel())])
        at_first = await online_users([1, 2])
        for _ in range(3):  # the live worker's upkeep; the dead one does nothing
            await asyncio.sleep(0.4)
            await live.touch_groups([user_group(1)])

        assert at_first == {1, 2}
        assert await online_users([1, 2]) == {1}
    finally:
        await live.flush()
        await live.close_pools()
        await dead.close_pools()


@pytest.mark.services
@pytest.mark.slow
async def test_a_hung_redis_makes_presence_unavailable_within_the_command_timeout(
    settings, private_redis
):
    use_redis_layer(settings, private_redis.url, command_timeout=0.3)
    await is_online(1)  # a connection exists before the hang
    private_redis.freeze()
    started = time.monotonic()
    try:
        with pytest.raises(PresenceUnavailable):
            await online_users([1, 2])
    finally:
        private_redis.thaw()
        await this_layer().close_pools()

    assert time.monotonic() - started < 1.0
