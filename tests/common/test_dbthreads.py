"""Database reads from async code: side by side with a pool, on one thread without."""

import threading

import pytest

from apps.common import dbthreads
from apps.common.dbthreads import database_reader


def meet(barrier: threading.Barrier) -> str:
    barrier.wait()
    return threading.current_thread().name


async def test_pooled_reads_run_side_by_side(monkeypatch):
    import asyncio

    monkeypatch.setattr(dbthreads, "pooled", lambda: True)
    barrier = threading.Barrier(2, timeout=5)
    read = database_reader(meet)

    names = await asyncio.gather(read(barrier), read(barrier))

    assert len(set(names)) == 2
    assert all(name.startswith("db-reader") for name in names)


# Channels' database thread closes stale connections before each call: database access.
@pytest.mark.django_db(transaction=True)
async def test_without_a_pool_reads_share_channels_one_thread(monkeypatch):
    monkeypatch.setattr(dbthreads, "pooled", lambda: False)
    read = database_reader(threading.current_thread)

    first, second = await read(), await read()

    assert first is second
    assert first is not threading.current_thread()
