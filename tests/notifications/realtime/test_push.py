"""push_after_commit: after commit only, never raising, one log line per failed batch, and
never holding the caller when a worker's event loop is there to send."""

import asyncio
import logging
import threading
import time

import pytest

from apps.notifications.realtime import push as push_module
from apps.notifications.realtime.events import unread_count
from apps.notifications.realtime.push import push_after_commit, serve_from_loop

pytestmark = pytest.mark.django_db


class Layer:
    def __init__(self, *, fail: bool = False, delay: float = 0) -> None:
        self.fail = fail
        self.delay = delay
        self.sent: list[tuple[str, dict]] = []

    async def group_send_many(self, messages):
        await asyncio.sleep(self.delay)
        if self.fail:
            raise ConnectionError("redis is down")
        self.sent += messages
        return 0


def test_a_failed_batch_logs_one_warning_with_its_size_and_no_traceback(
    monkeypatch, caplog, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(push_module, "get_channel_layer", lambda: Layer(fail=True))

    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        push_after_commit([(user_id, unread_count(count=1)) for user_id in range(40)])

    records = [r for r in caplog.records if r.name == push_module.__name__]
    assert len(records) == 1
    assert records[0].getMessage() == "push of 40 events failed: ConnectionError: redis is down"
    assert records[0].exc_info is None


def test_nothing_is_sent_before_commit_or_after_a_rollback(
    monkeypatch, django_capture_on_commit_callbacks
):
    layer = Layer()
    monkeypatch.setattr(push_module, "get_channel_layer", lambda: layer)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        push_after_commit([(1, unread_count(count=3))])
        assert layer.sent == []

    assert len(callbacks) == 1
    assert layer.sent == []


def test_in_a_worker_the_caller_returns_before_a_slow_layer_has_sent(monkeypatch):
    layer = Layer(delay=0.5)
    monkeypatch.setattr(push_module, "get_channel_layer", lambda: layer)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(_bind(), loop).result(5)

        started = time.monotonic()
        push_module._deliver([(7, unread_count(count=2)), (8, unread_count(count=0))])
        returned_after = time.monotonic() - started
        deadline = time.monotonic() + 5
        while len(layer.sent) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
        monkeypatch.setattr(push_module, "_sender", None)

    assert returned_after < 0.1
    assert [group for group, _ in layer.sent] == ["notifications.user.7", "notifications.user.8"]


async def _bind() -> None:
    serve_from_loop(asyncio.get_running_loop())


def test_in_a_worker_the_events_are_built_off_the_callers_thread(monkeypatch, caplog):
    layer = Layer()
    monkeypatch.setattr(push_module, "get_channel_layer", lambda: layer)
    built_on: list[threading.Thread] = []

    def build():
        built_on.append(threading.current_thread())
        time.sleep(0.5)  # thousands of frames, or unread counts read from the database
        return [(9, unread_count(count=1))]

    def broken():
        raise RuntimeError("frame bug")

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(_bind(), loop).result(5)

        started = time.monotonic()
        with caplog.at_level(logging.ERROR):
            push_module._deliver(broken)
            push_module._deliver(build)
            returned_after = time.monotonic() - started
            deadline = time.monotonic() + 5
            while not layer.sent and time.monotonic() < deadline:
                time.sleep(0.02)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
        monkeypatch.setattr(push_module, "_sender", None)

    assert returned_after < 0.1
    assert built_on
    assert built_on[0] not in (threading.current_thread(), thread)
    assert [group for group, _ in layer.sent] == ["notifications.user.9"]
    assert [r.getMessage() for r in caplog.records if r.name == push_module.__name__] == [
        "building a push failed"
    ]


def test_a_requests_pushes_wait_until_its_response_has_gone_out(monkeypatch):
    layer = Layer()
    monkeypatch.setattr(push_module, "get_channel_layer", lambda: layer)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def request() -> list:
        async with push_module.after_response():
            # The view's thread commits and its on-commit callback runs there.
            await asyncio.to_thread(push_module._deliver, [(5, unread_count(count=1))])
            await asyncio.sleep(0.2)
            return list(layer.sent)

    try:
        asyncio.run_coroutine_threadsafe(_bind(), loop).result(5)
        during = asyncio.run_coroutine_threadsafe(request(), loop).result(5)
        deadline = time.monotonic() + 5
        while not layer.sent and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
        monkeypatch.setattr(push_module, "_sender", None)

    assert during == []
    assert [group for group, _ in layer.sent] == ["notifications.user.5"]


async def test_work_left_for_after_the_response_starts_when_the_response_block_ends():
    started: list[str] = []

    async with push_module.after_response():
        await asyncio.to_thread(push_module.after_this_response, lambda: started.append("x"))
        during = list(started)

    assert during == []
    assert started == ["x"]


def test_work_left_for_after_the_response_starts_at_once_outside_a_request():
    started: list[str] = []

    push_module.after_this_response(lambda: started.append("x"))

    assert started == ["x"]


def test_events_built_for_a_caller_on_the_database_thread_are_sent(monkeypatch, caplog):
    from channels.db import database_sync_to_async

    layer = Layer()
    monkeypatch.setattr(push_module, "get_channel_layer", lambda: layer)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def service_call() -> None:
        # As a consumer or a test calls a service: on Channels' one database thread, whose
        # context says that thread is busy until the call returns.
        await database_sync_to_async(push_module._deliver)(lambda: [(6, unread_count(count=1))])

    try:
        asyncio.run_coroutine_threadsafe(_bind(), loop).result(5)
        with caplog.at_level(logging.ERROR):
            asyncio.run_coroutine_threadsafe(service_call(), loop).result(5)
            deadline = time.monotonic() + 5
            while not layer.sent and time.monotonic() < deadline:
                time.sleep(0.02)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
        monkeypatch.setattr(push_module, "_sender", None)

    assert [r.getMessage() for r in caplog.records if r.name == push_module.__name__] == []
    assert [group for group, _ in layer.sent] == ["notifications.user.6"]
