"""`push_after_commit`: the one way to send realtime events.

Pushes are at most once: the stored rows are the source of truth, and a connection that
misses a push catches up from the database (`cursor`, `reconciler`). So a push is sent only
once its rows are committed, never raises, and never holds an HTTP response: inside an ASGI
worker the events, or the callable that builds them, are handed to the worker's event loop
once the response has gone out (`after_response`, entered by project.asgi for every HTTP
request), and the loop builds them on a database thread and sends them in order.
Elsewhere (a management command, a shell, the test process) the caller builds and sends
them itself and waits at most RIPPLE_PUSH_TIMEOUT_SECONDS.
"""

import asyncio
import contextvars
import logging
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from functools import partial
from typing import cast

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from apps.common.dbthreads import database_reader

from .. import metrics
from .events import Push, user_group
from .layer import RealtimeLayer

logger = logging.getLogger(__name__)

Pushes = Sequence[Push] | Callable[[], Sequence[Push]]

# Batches waiting on the worker's loop; past this (Redis hung for long) new ones are
# dropped and counted, and connections catch up from the database.
MAX_QUEUED_BATCHES = 1000


def push_after_commit(pushes: Pushes) -> None:
    """Send these events once the current transaction commits (at once in autocommit).

    `pushes` may be a callable that builds the events after commit: work that only the
    push needs (formatting thousands of frames, reading unread counts as committed) then
    stays out of the transaction and its locks.
    """
    if isinstance(pushes, Sequence) and not pushes:
        return
    transaction.on_commit(partial(_deliver, pushes))


class _Sender:
    """Sends batches one after another on the ASGI worker's event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[Pushes] = asyncio.Queue(MAX_QUEUED_BATCHES)
        self.task: asyncio.Task[None] | None = None

    def submit(self, pushes: Pushes) -> None:
        """Thread-safe; returns at once."""
        # An empty context: the caller's (a request's thread-sensitive context that is about
        # to end, asgiref's marker of a busy sync thread) must not follow the sender.
        self.loop.call_soon_threadsafe(self._put, pushes, context=contextvars.Context())

    def _put(self, pushes: Pushes) -> None:
        try:
            self.queue.put_nowait(pushes)
        except asyncio.QueueFull:
            # A batch still to be built has no size yet; it counts as one.
            size = 1 if callable(pushes) else len(pushes)
            metrics.incr("notifications_push_failed", size)
            logger.warning("push of %d events dropped: the send queue is full", size)
            return
        if self.task is None or self.task.done():
            self.task = self.loop.create_task(self._run())

    async def _run(self) -> None:
        while not self.queue.empty():
            pushes = self.queue.get_nowait()
            if callable(pushes):
                try:
                    # A thread of its own: building may read the database (unread counts).
                    pushes = await database_reader(pushes)()
                except Exception:
                    # The rows are committed; connections reconcile from the database.
                    logger.exception("building a push failed")
                    continue
            if pushes:
                await send_now(pushes)

    async def idle(self) -> None:
        while self.task is not None and not self.task.done():
            await asyncio.shield(self.task)


_sender: _Sender | None = None
_sender_lock = threading.Lock()

# The pushes of the HTTP request being served, held until its response has been sent.
_held: contextvars.ContextVar[list[Pushes] | None] = contextvars.ContextVar(
    "ripple_held_pushes", default=None
)


# Other work the request leaves for after its response (`after_this_response`).
_later: contextvars.ContextVar[list[Callable[[], object]] | None] = contextvars.ContextVar(
    "ripple_after_response", default=None
)


@asynccontextmanager
async def after_response() -> AsyncIterator[None]:
    """Hold the pushes made inside until the block ends (project.asgi wraps each HTTP
    request in it): building and sending them then never delays the response on the loop
    they share, nor competes with it for the CPU. Then start what the request left for
    later (`after_this_response`)."""
    held: list[Pushes] = []
    later: list[Callable[[], object]] = []
    token, later_token = _held.set(held), _later.set(later)
    try:
        yield
    finally:
        _held.reset(token)
        _later.reset(later_token)
        sender = _sender
        for pushes in held:
            if sender is not None:
                sender.submit(pushes)
        for callback in later:
            try:
                callback()
            except Exception:
                logger.exception("work left for after the response failed to start")


def after_this_response(callback: Callable[[], object]) -> None:
    """Call `callback` once the current HTTP response has gone out, after its pushes were
    handed to the sender; at once outside a request. It runs on the event loop, so it must
    only hand work on (to a thread), never do it."""
    later = _later.get()
    if later is None:
        callback()
    else:
        later.append(callback)


def serve_from_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Send pushes on this (the ASGI server's) loop from now on; called by project.asgi."""
    global _sender
    if _sender is not None and _sender.loop is loop:
        return
    with _sender_lock:
        if _sender is None or _sender.loop is not loop:
            _sender = _Sender(loop)


def _deliver(pushes: Pushes) -> None:
    sender = _sender
    if sender is not None and sender.loop.is_running():
        held = _held.get()
        if held is not None:
            held.append(pushes)
        else:
            sender.submit(pushes)
        return
    batch = pushes() if callable(pushes) else pushes
    if batch:
        async_to_sync(send_now)(batch)


async def send_now(batch: Sequence[Push]) -> None:
    """Send one batch; a failing or slow layer costs at most RIPPLE_PUSH_TIMEOUT_SECONDS."""
    try:
        # The settings name one of the layers in layer.py; both have RealtimeLayer's interface.
        await _send_all(cast(RealtimeLayer, get_channel_layer()), batch)
    except Exception as error:
        # The rows are committed; connections reconcile from the database.
        metrics.incr("notifications_push_failed", len(batch))
        detail = f": {error}" if str(error) else ""
        logger.warning("push of %d events failed: %s%s", len(batch), type(error).__name__, detail)
    else:
        metrics.incr("notifications_pushed", len(batch))


async def _send_all(layer: RealtimeLayer, pushes: Sequence[Push]) -> None:
    messages = [(user_group(user_id), dict(event)) for user_id, event in pushes]
    async with asyncio.timeout(settings.RIPPLE_PUSH_TIMEOUT_SECONDS):
        if not settings.RIPPLE_PUSH_BULK:  # Channels' own group_send, for the benchmark
            for group, message in messages:
                await layer.group_send(group, message)
            return
        dropped = await layer.group_send_many(messages)
    if dropped:
        metrics.incr("notifications_push_dropped", dropped)
        logger.warning("%d deliveries dropped: channels over capacity", dropped)
