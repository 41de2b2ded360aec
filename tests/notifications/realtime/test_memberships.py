"""Memberships: joins and leaves batched into few layer calls, failed leaves retried."""

import pytest

from apps.notifications.realtime import memberships as memberships_module
from apps.notifications.realtime.memberships import Memberships


class RecordingLayer:
    def __init__(self) -> None:
        self.calls: list[tuple[list, list]] = []
        self.failing = False

    async def group_change_many(self, *, add=(), discard=(), chunk_timeout=None) -> None:
        if self.failing:
            raise ConnectionError("redis is down")
        self.calls.append((list(add), list(discard)))


@pytest.fixture
def layer(monkeypatch) -> RecordingLayer:
    layer = RecordingLayer()
    monkeypatch.setattr(memberships_module, "get_channel_layer", lambda: layer)
    return layer


async def test_leaves_made_together_are_written_in_one_call(layer):
    memberships = Memberships()

    for n in range(500):
        memberships.leave(f"g{n}", f"c{n}")
    await memberships.idle()

    assert len(layer.calls) == 1
    assert len(layer.calls[0][1]) == 500


async def test_join_reports_whether_redis_confirmed_it(layer):
    memberships = Memberships()

    joined = await memberships.join("g", "c")
    layer.failing = True
    refused = await memberships.join("g", "d")

    assert (joined, refused) == (True, False)


async def test_failed_leaves_are_kept_and_written_on_retry(layer):
    memberships = Memberships()
    layer.failing = True
    memberships.leave("g", "c")
    await memberships.idle()
    layer.failing = False

    pending = memberships.pending_leaves
    retried = memberships.retry_failed()
    await memberships.idle()

    assert (pending, retried) == (1, 1)
    assert layer.calls == [([], [("g", "c")])]
    assert memberships.pending_leaves == 0
