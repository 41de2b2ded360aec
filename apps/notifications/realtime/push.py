"""`push_after_commit`: the one way to send realtime events.

Pushes are at most once: the stored rows are the source of truth, and a connection that
misses a push catches up from the database (`cursor`, `reconciler`). So a push is sent only
once its rows are committed, never holds the caller for long, and never raises.
"""

import asyncio
import logging
from collections.abc import Callable, Sequence
from functools import partial

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from .. import metrics
from .events import Push, user_group
from .layer import RealtimeLayer

logger = logging.getLogger(__name__)

Pushes = Sequence[Push] | Callable[[], Sequence[Push]]


def push_after_commit(pushes: Pushes) -> None:
    """Send these events once the current transaction commits (at once in autocommit).

    `pushes` may be a callable that builds the events after commit: work that only the
    push needs (formatting thousands of frames, reading unread counts as committed) then
    stays out of the transaction and its locks.
    """
    if isinstance(pushes, Sequence) and not pushes:
        return
    transaction.on_commit(partial(_deliver, pushes))


def _deliver(pushes: Pushes) -> None:
    """Build and send; a failing or slow layer costs at most RIPPLE_PUSH_TIMEOUT_SECONDS."""
    batch = pushes() if callable(pushes) else pushes
    if not batch:
        return
    try:
        async_to_sync(_send_all)(get_channel_layer(), batch)
    except Exception as error:
        # The rows are committed; connections reconcile from the database.
        metrics.incr("notifications_push_failed", len(batch))
        logger.warning(
            "push of %d events failed: %s", len(batch), type(error).__name__ + _detail(error)
        )
    else:
        metrics.incr("notifications_pushed", len(batch))


def _detail(error: BaseException) -> str:
    return f": {error}" if str(error) else ""


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
