"""The worker's garbage-collection policy: sweeps free request cycles and freeze a pile of
survivors, compactions reclaim what died frozen; a real worker's memory stays flat."""

import asyncio
import gc
import http.client
import logging
import os
import subprocess
import sys
import weakref

import pytest
from rest_framework.authtoken.models import Token

from apps.notifications.models import Notification
from project.gc_policy import GcPolicy
from tests.factories import UserFactory


class Node:
    """A container in a reference cycle with itself."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def collector():
    """A policy on this process's collector, set back as it was afterwards."""
    thresholds = gc.get_threshold()
    was_frozen = gc.get_freeze_count()
    callbacks = list(gc.callbacks)
    gc.collect()
    yield GcPolicy(freeze_at=0, compact_interval=0)
    gc.callbacks[:] = callbacks
    if not was_frozen:
        gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_a_sweep_frees_dead_cycles_and_freezes_what_survives(collector):
    collector.install()
    frozen = gc.get_freeze_count()
    dead, alive = Node(), Node()
    dead_ref = weakref.ref(dead)
    del dead

    collector.sweep()

    assert dead_ref() is None
    assert gc.get_freeze_count() > frozen
    assert not any(obj is alive for obj in gc.get_objects())
    assert collector.sweeps == 1
    assert collector.compactions == 0


def test_survivors_stay_unfrozen_until_they_are_many_so_the_next_sweep_frees_them(collector):
    collector.freeze_at = 1_000_000
    collector.install()
    frozen = gc.get_freeze_count()
    node = Node()  # in use during the first sweep, garbage at the second
    node_ref = weakref.ref(node)
    collector.sweep()
    del node

    collector.sweep()

    assert node_ref() is None
    assert gc.get_freeze_count() == frozen


def test_a_cycle_that_dies_frozen_waits_for_a_compaction_once_the_frozen_set_grew(collector):
    collector.install()
    node = Node()
    node_ref = weakref.ref(node)
    collector.sweep()  # freezes it
    del node
    collector.sweep()
    survived_a_sweep = node_ref() is not None
    growth = [Node() for _ in range(int(gc.get_freeze_count() * collector.compact_growth) + 100)]
    collector.sweep()  # freezes the growth
    collector.compact_interval = 3600
    waits_for_the_interval = not collector.compaction_due()
    collector.compact_interval = 0

    collector.sweep()

    assert survived_a_sweep
    assert waits_for_the_interval
    assert node_ref() is None
    assert collector.compactions == 1
    assert all(node.me is node for node in growth)


def test_sweeps_count_what_they_freeze_without_walking_the_frozen_set(collector, monkeypatch):
    # gc.get_freeze_count() walks every frozen object: at 5,000 sockets, a million objects
    # cold in memory, and its two calls per sweep stalled the worker's loop far longer than
    # the collection did. Only start-up may ask it.
    collector.install()
    walks: list[int] = []
    count_frozen = gc.get_freeze_count

    def counted() -> int:
        walks.append(1)
        return count_frozen()

    monkeypatch.setattr(gc, "get_freeze_count", counted)
    kept = [Node() for _ in range(100)]
    counts = []
    collector.sweep()
    counts.append((collector.frozen, count_frozen()))
    growth = [Node() for _ in range(int(collector.frozen * collector.compact_growth) + 100)]
    collector.sweep()
    counts.append((collector.frozen, count_frozen()))
    compaction_due = collector.compaction_due()
    collector.sweep()  # a compaction: unfreezes, walks everything, freezes again
    counts.append((collector.frozen, count_frozen()))

    assert walks == []
    assert [ours == actual for ours, actual in counts] == [True, True, True], counts
    assert compaction_due
    assert collector.compactions == 1
    assert all(node.me is node for node in kept + growth)


def test_full_collections_of_cpython_itself_are_timed_and_sweeps_are_not_counted_twice(
    collector, caplog
):
    collector.slow_ms = 0
    collector.install()
    caplog.set_level(logging.DEBUG, logger="project.gc_policy")

    gc.collect()
    collector.sweep()

    assert [record.getMessage().split(":")[0] for record in caplog.records] == [
        "gc automatic",
        "gc sweep",
    ]


def test_a_sweep_is_due_after_as_many_young_collections_as_configured(collector):
    collector.sweep_after = 3
    collector.install()

    before = collector.due()
    for _ in range(2):
        gc.collect(1)
    after_two = collector.due()
    gc.collect(1)

    assert (before, after_two, collector.due()) == (False, False, True)


async def test_the_loop_sweeps_when_due_once_no_request_is_in_flight(collector):
    collector.sweep_after, collector.check_every, collector.idle_wait = 1, 0.01, 30
    collector.install()
    collector.attach(asyncio.get_running_loop())

    with collector.request():
        gc.collect(1)
        await asyncio.sleep(0.2)
        swept_in_flight = collector.sweeps
    for _ in range(100):
        if collector.sweeps:
            break
        await asyncio.sleep(0.02)
    collector._task.cancel()

    assert swept_in_flight == 0
    assert collector.sweeps == 1


async def test_under_constant_traffic_the_loop_sweeps_after_the_idle_wait(collector):
    collector.sweep_after, collector.check_every, collector.idle_wait = 1, 0.01, 0.1
    collector.install()
    collector.attach(asyncio.get_running_loop())

    with collector.request():
        gc.collect(1)
        for _ in range(100):
            if collector.sweeps:
                break
            await asyncio.sleep(0.02)
    collector._task.cancel()

    assert collector.sweeps == 1


def test_the_worker_freezes_its_urlconf_with_the_rest_of_start_up():
    # Left to the first request, importing every view module stalled the event loop, and
    # what it built was left to the sweeps. gc.get_objects() does not list frozen objects.
    code = (
        "import gc, project.asgi, project.urls; "
        "print(any(obj is project.urls.urlpatterns for obj in gc.get_objects()))"
    )
    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed snippet
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "project.settings.test"},
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


# --- A real worker -------------------------------------------------------------------------

WARMUP = 100
REQUESTS = 800
PAGE = 100
# Over these 800 GETs the old settings (`gc.set_threshold(700, 10, 1000)`) grew a worker by
# 43.6 MiB, the policy by 0.7 MiB.
MAX_GROWTH_MIB = 10


def _rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _get_inbox(port: int, key: str, count: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        for _ in range(count):
            connection.request(
                "GET",
                f"/api/notifications/?page_size={PAGE}",
                headers={"Authorization": f"Token {key}"},
            )
            response = connection.getresponse()
            response.read()
            assert response.status == 200
    finally:
        connection.close()


@pytest.mark.services
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_serving_inbox_pages_keeps_its_memory(asgi_workers):
    reader, actor = UserFactory(), UserFactory()
    Notification.objects.bulk_create(
        Notification(
            recipient=reader,
            actor=actor,
            type=Notification.Type.NEW_MESSAGE,
            data={"message_id": n, "text": "hello " * 20},
        )
        for n in range(PAGE)
    )
    key = Token.objects.create(user=reader).key

    with asgi_workers(1) as pool:
        worker = pool.workers[0]
        _get_inbox(worker.port, key, WARMUP)
        before = _rss_mib(worker.process.pid)
        _get_inbox(worker.port, key, REQUESTS)
        growth = _rss_mib(worker.process.pid) - before

    assert growth < MAX_GROWTH_MIB, f"the worker grew by {growth:.1f} MiB"
