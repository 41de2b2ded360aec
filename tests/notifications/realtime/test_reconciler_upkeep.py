"""The reconciler's Redis upkeep: memberships re-added, presence marks refreshed in time."""

import asyncio
from dataclasses import dataclass

import pytest

from apps.notifications.realtime import reconciler as reconciler_module
from apps.notifications.realtime.events import user_group
from apps.notifications.realtime.memberships import Memberships
from apps.notifications.realtime.reconciler import Reconciler
from apps.notifications.realtime.registry import Registry


@dataclass(eq=False)
class FakeConnection:
    user_id: int
    channel_name: str
    last_id: int = 0

    resyncs: int = 0

    async def catch_up(self) -> None:
        return

    async def resync(self) -> None:
        self.resyncs += 1


class RecordingLayer:
    group_expiry = 300
    presence_expiry = 60.0

    def __init__(self) -> None:
        self.added: list[list[tuple[str, str]]] = []
        self.touched: list[set[str]] = []
        self.run_id = "run-1"
        self.down = False

    async def server_ids(self) -> list[str]:
        if self.down:
            raise ConnectionError("Redis is down")
        return [self.run_id]

    async def group_change_many(self, *, add=(), discard=(), chunk_timeout=None) -> None:
        self.added.append(list(add))

    async def touch_groups(self, groups) -> None:
        self.touched.append(set(groups))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def layer(monkeypatch) -> RecordingLayer:
    layer = RecordingLayer()
    monkeypatch.setattr(reconciler_module, "get_channel_layer", lambda: layer)
    return layer


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr("apps.notifications.realtime.reconciler.time.monotonic", clock.monotonic)
    return clock


async def test_presence_marks_are_refreshed_three_times_per_expiry(layer, clock):
    registry = Registry()
    for user_id in (1, 2):
        registry.register(FakeConnection(user_id=user_id, channel_name=f"c{user_id}"))
    reconciler = Reconciler(registry, Memberships())

    await reconciler.maintain()  # first pass: every membership added, which marks too
    clock.now += 19
    await reconciler.maintain()
    clock.now += 2
    await reconciler.maintain()

    assert [set(added) for added in layer.added] == [{(user_group(1), "c1"), (user_group(2), "c2")}]
    assert layer.touched == [{user_group(1), user_group(2)}]


def _two_connections() -> tuple[Registry, list[FakeConnection]]:
    registry = Registry()
    connections = [FakeConnection(user_id=i, channel_name=f"c{i}") for i in (1, 2)]
    for connection in connections:
        registry.register(connection)
    return registry, connections


async def _maintain_and_resync(reconciler: Reconciler) -> None:
    await reconciler.maintain()
    if reconciler._resync is not None:
        await reconciler._resync


async def test_connections_resync_once_the_layer_answers_again_after_failing(layer):
    registry, connections = _two_connections()
    reconciler = Reconciler(registry, Memberships())
    await _maintain_and_resync(reconciler)
    assert [c.resyncs for c in connections] == [0, 0]  # the first answer: nothing was lost

    layer.down = True
    await _maintain_and_resync(reconciler)
    await _maintain_and_resync(reconciler)
    assert [c.resyncs for c in connections] == [0, 0]  # nothing to resync through yet

    layer.down = False
    await _maintain_and_resync(reconciler)
    await _maintain_and_resync(reconciler)
    assert [c.resyncs for c in connections] == [1, 1]


async def test_a_restarted_redis_resyncs_connections_and_a_steady_one_does_not(layer, clock):
    registry, connections = _two_connections()
    reconciler = Reconciler(registry, Memberships())
    await _maintain_and_resync(reconciler)
    clock.now += 30
    await _maintain_and_resync(reconciler)
    assert [c.resyncs for c in connections] == [0, 0]

    layer.run_id = "run-2"  # restarted between two passes: its memberships are gone
    await _maintain_and_resync(reconciler)
    assert [c.resyncs for c in connections] == [1, 1]


async def test_a_failed_join_resyncs_connections_when_the_layer_answers(layer):
    registry, connections = _two_connections()
    reconciler = Reconciler(registry, Memberships())
    await _maintain_and_resync(reconciler)

    reconciler.memberships_lost()
    await _maintain_and_resync(reconciler)

    assert [c.resyncs for c in connections] == [1, 1]


async def test_a_resync_that_hangs_holds_up_the_others_no_longer_than_its_bound(layer, settings):
    settings.RIPPLE_PUSH_TIMEOUT_SECONDS = 0.05
    registry, connections = _two_connections()
    stuck = connections[0]

    async def never_drains() -> None:
        await asyncio.sleep(60)

    stuck.resync = never_drains  # type: ignore[method-assign]
    reconciler = Reconciler(registry, Memberships())

    await asyncio.wait_for(reconciler.resync_all(), 1)

    assert connections[1].resyncs == 1
