"""Contract of RippleRedisChannelLayer against a real Redis, in the manner of channels-redis'
own tests/test_core.py: what is sent is received, groups fan out, capacity drops are
counted, memberships change in bulk, and every call but the receive is bounded."""

import asyncio
import os
import time
import uuid

import pytest
import redis

from apps.notifications.realtime.layer import RippleInMemoryChannelLayer, RippleRedisChannelLayer

pytestmark = [pytest.mark.services]


def make_layer(url: str | None = None, **config) -> RippleRedisChannelLayer:
    return RippleRedisChannelLayer(
        hosts=[{"address": url or os.environ["REDIS_URL"], "socket_timeout": None}],
        prefix=f"test-layer-{uuid.uuid4().hex[:8]}",
        **config,
    )


@pytest.fixture
async def layer():
    layer = make_layer(capacity=5)
    yield layer
    await layer.flush()
    await layer.close_pools()


async def test_send_then_receive_on_a_process_channel(layer):
    channel = await layer.new_channel()

    await layer.send(channel, {"type": "test.message", "text": "hi"})

    assert await layer.receive(channel) == {"type": "test.message", "text": "hi"}


async def test_group_send_many_reaches_every_member_of_each_group_once(layer):
    one, two, three = [await layer.new_channel() for _ in range(3)]
    await layer.group_change_many(add=[("a", one), ("a", two), ("b", three)])

    dropped = await layer.group_send_many(
        [("a", {"type": "m", "n": 1}), ("b", {"type": "m", "n": 2}), ("empty", {"type": "m"})]
    )

    assert dropped == 0
    assert await layer.receive(one) == {"type": "m", "n": 1}
    assert await layer.receive(two) == {"type": "m", "n": 1}
    assert await layer.receive(three) == {"type": "m", "n": 2}
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3):
            await layer.receive(one)


async def test_group_send_many_counts_what_it_drops_over_capacity(layer):
    channel = await layer.new_channel()
    await layer.group_change_many(add=[("full", channel)])

    dropped = await layer.group_send_many([("full", {"type": "m", "n": n}) for n in range(8)])

    assert dropped == 3  # capacity 5
    assert [(await layer.receive(channel))["n"] for _ in range(5)] == [0, 1, 2, 3, 4]


async def test_a_batch_received_at_once_keeps_each_channels_order():
    layer = make_layer(capacity=100)
    try:
        channels = [await layer.new_channel() for _ in range(3)]
        await layer.group_change_many(add=[("all", channel) for channel in channels])
        await layer.group_send_many([("all", {"type": "m", "n": n}) for n in range(4)])
        for n in range(4):
            await layer.send(channels[1], {"type": "direct", "n": n})

        async with asyncio.timeout(5):
            received = [[(await layer.receive(c))["n"] for _ in range(4)] for c in channels]
            direct = [(await layer.receive(channels[1]))["n"] for _ in range(4)]
    finally:
        await layer.flush()
        await layer.close_pools()

    assert received == [[0, 1, 2, 3]] * 3
    assert direct == [0, 1, 2, 3]


async def test_many_consumers_waiting_at_once_each_get_their_own_messages_in_order():
    # The process's channels share one Redis key, and its capacity: room for both rounds.
    layer = make_layer(capacity=1000)
    try:
        channels = [await layer.new_channel() for _ in range(300)]
        await layer.group_change_many(add=[(f"user.{n}", c) for n, c in enumerate(channels)])

        async def two(channel: str) -> list[int]:
            return [(await layer.receive(channel))["n"] for _ in range(2)]

        async with asyncio.timeout(20):
            waiting = [asyncio.ensure_future(two(channel)) for channel in channels]
            await asyncio.sleep(0.1)  # every consumer waits before anything is sent
            for round_ in range(2):
                await layer.group_send_many(
                    [(f"user.{n}", {"type": "m", "n": n * 10 + round_}) for n in range(300)]
                )
            received = await asyncio.gather(*waiting)
    finally:
        await layer.flush()
        await layer.close_pools()

    assert received == [[n * 10, n * 10 + 1] for n in range(300)]


async def test_when_the_last_waiting_consumer_goes_nobody_reads_for_it(layer):
    channel = await layer.new_channel()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3):
            await layer.receive(channel)
    await asyncio.sleep(0)  # the cancelled reader finishes

    reader = layer._local_readers[asyncio.get_running_loop()]
    assert reader.waiting == 0
    assert reader.task is not None
    assert reader.task.done()
    # A message sent while nobody waited is read by the next receive.
    await layer.send(channel, {"type": "m"})
    async with asyncio.timeout(5):
        assert await layer.receive(channel) == {"type": "m"}


async def test_group_change_many_adds_then_discards_in_one_call(layer):
    kept, gone = await layer.new_channel(), await layer.new_channel()
    await layer.group_change_many(add=[("g", kept), ("g", gone)])

    await layer.group_change_many(add=[("h", gone)], discard=[("g", gone)])
    await layer.group_send_many([("g", {"type": "m", "to": "g"})])

    assert await layer.receive(kept) == {"type": "m", "to": "g"}
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3):
            await layer.receive(gone)


async def test_members_older_than_the_group_expiry_receive_nothing():
    layer = make_layer(group_expiry=1)
    try:
        channel = await layer.new_channel()
        await layer.group_change_many(add=[("old", channel)])
        await asyncio.sleep(2.1)

        await layer.group_send_many([("old", {"type": "m"})])

        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await layer.receive(channel)
    finally:
        await layer.flush()
        await layer.close_pools()


async def test_occupied_groups_are_those_with_a_member(layer):
    one, two = await layer.new_channel(), await layer.new_channel()
    await layer.group_change_many(add=[("both", one), ("both", two), ("single", one)])

    await layer.group_change_many(discard=[("both", one), ("single", one)])

    assert await layer.occupied_groups(["both", "single", "never"]) == {"both"}


async def test_occupied_groups_all_lists_every_occupied_group_up_to_the_limit(layer):
    channel = await layer.new_channel()
    await layer.group_change_many(add=[("a", channel), ("b", channel), ("gone", channel)])
    await layer.group_change_many(discard=[("gone", channel)])

    assert await layer.occupied_groups_all(limit=2) == {"a", "b"}
    assert await layer.occupied_groups_all(limit=1) is None


async def test_a_group_whose_last_member_left_is_marked_again_by_a_new_member(layer):
    channel, later = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("g", channel)
    await layer.group_discard("g", channel)
    emptied = await layer.occupied_groups(["g"])

    await layer.group_change_many(add=[("g", later)])

    assert emptied == set()
    assert await layer.occupied_groups(["g"]) == {"g"}


async def test_a_mark_nobody_refreshes_lapses_and_touch_groups_refreshes_it():
    layer = make_layer(presence_expiry=1)
    try:
        channel = await layer.new_channel()
        await layer.group_change_many(add=[("kept", channel), ("dead", channel)])
        await asyncio.sleep(0.6)
        await layer.touch_groups(["kept"])
        await asyncio.sleep(0.6)

        occupied = await layer.occupied_groups(["kept", "dead"])
    finally:
        await layer.flush()
        await layer.close_pools()

    assert occupied == {"kept"}


async def test_group_send_many_reads_members_of_occupied_groups_only(private_redis):
    layer = make_layer(private_redis.url)
    stats = redis.Redis.from_url(private_redis.url)
    try:
        channel = await layer.new_channel()
        await layer.group_change_many(add=[("online", channel)])
        stats.config_resetstat()

        await layer.group_send_many(
            [(f"offline-{n}", {"type": "m"}) for n in range(999)]
            + [("online", {"type": "m", "to": "online"})]
        )
        commands = stats.info("commandstats")

        assert await layer.receive(channel) == {"type": "m", "to": "online"}
    finally:
        stats.close()
        await layer.close_pools()

    # One script call reads the index and the one occupied group's members.
    assert commands["cmdstat_zmscore"]["calls"] == 1
    assert commands["cmdstat_zrangebyscore"]["calls"] == 1
    assert "cmdstat_zscore" not in commands


async def test_server_ids_change_when_redis_restarts(private_redis):
    layer = make_layer(private_redis.url)
    before = await layer.server_ids()
    private_redis.stop()
    private_redis.start()
    await layer.close_pools()

    after = await layer.server_ids()

    assert before != after
    assert all(before)
    assert all(after)
    await layer.close_pools()


async def test_every_call_but_receive_gives_up_on_a_hung_redis(private_redis):
    layer = make_layer(private_redis.url, command_timeout=0.3)
    channel = await layer.new_channel()
    await layer.group_add("g", channel)  # a connection exists before the hang
    private_redis.freeze()
    calls = {
        "group_add": lambda: layer.group_add("g", channel),
        "group_discard": lambda: layer.group_discard("g", channel),
        "group_change_many": lambda: layer.group_change_many(add=[("g", channel)]),
        "group_send": lambda: layer.group_send("g", {"type": "m"}),
        "send": lambda: layer.send(channel, {"type": "m"}),
        "server_ids": layer.server_ids,
        "occupied_groups": lambda: layer.occupied_groups(["g"]),
        "touch_groups": lambda: layer.touch_groups(["g"]),
    }
    took = {}
    try:
        for name, call in calls.items():
            started = time.monotonic()
            with pytest.raises(TimeoutError):
                await call()
            took[name] = time.monotonic() - started
    finally:
        private_redis.thaw()
        await layer.close_pools()

    assert all(seconds < 1.0 for seconds in took.values()), took


async def test_receive_outlives_a_redis_restart(private_redis):
    layer = make_layer(private_redis.url)
    channel = await layer.new_channel()
    receiving = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(0.2)
    private_redis.stop()
    await asyncio.sleep(0.5)
    private_redis.start()
    sender = make_layer(private_redis.url)
    sender.prefix = layer.prefix

    deadline = time.monotonic() + 10
    while not receiving.done() and time.monotonic() < deadline:
        await sender.send(channel, {"type": "m", "after": "restart"})
        await asyncio.sleep(0.3)

    assert (await receiving) == {"type": "m", "after": "restart"}
    await layer.close_pools()
    await sender.close_pools()


async def test_in_memory_layer_offers_the_same_bulk_interface():
    layer = RippleInMemoryChannelLayer()
    channel = await layer.new_channel()

    await layer.group_change_many(add=[("g", channel)])
    dropped = await layer.group_send_many([("g", {"type": "m"})])
    await layer.group_change_many(discard=[("g", channel)])
    await layer.group_send_many([("g", {"type": "m", "late": True})])

    assert dropped == 0
    assert await layer.receive(channel) == {"type": "m"}
    assert await layer.server_ids() == ["in-memory"]
    assert await layer.occupied_groups(["g"]) == set()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await layer.receive(channel)
