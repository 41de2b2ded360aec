"""Channel-layer groups and pushes for notifications. Nothing else touches the channel layer.

Pushes are at most once: the stored rows are the source of truth, and a consumer that
misses a push catches up from the database (see `consumers.py`).
"""

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer, get_channel_layer
from django.conf import settings

from . import metrics

logger = logging.getLogger(__name__)

CREATED_EVENT = "notification.created"
UNREAD_EVENT = "unread.changed"
REMOVED_EVENT = "notification.removed"
TERMINATED_EVENT = "session.terminated"

# (recipient id, channel-layer event)
Push = tuple[int, dict[str, Any]]


def user_group(user_id: int) -> str:
    return f"notifications.user.{user_id}"


def created_event(*, frame: dict[str, Any], prev_id: int | None) -> dict[str, Any]:
    """A layer event carrying one stored notification.

    `prev_id` is the recipient's newest notification id before this one; a consumer whose
    last delivered id is older knows it missed something and reads the gap from the
    database before sending this frame.
    """
    return {"type": CREATED_EVENT, "frame": frame, "prev_id": prev_id}


def unread_event(*, count: int) -> dict[str, Any]:
    return {"type": UNREAD_EVENT, "count": count}


def removed_event(*, ids: list[int]) -> dict[str, Any]:
    return {"type": REMOVED_EVENT, "ids": ids}


def terminated_event(*, reason: str) -> dict[str, Any]:
    """Tells every open connection of a user to close (the account was suspended)."""
    return {"type": TERMINATED_EVENT, "reason": reason}


def push(pushes: Sequence[Push]) -> None:
    """Send events to their users' groups. Never raises; call it from `on_commit`.

    A failing or slow channel layer costs the caller at most RIPPLE_PUSH_TIMEOUT_SECONDS.
    """
    if not pushes:
        return
    try:
        async_to_sync(_send_all)(get_channel_layer(), pushes)
    except Exception:
        # The rows are committed; consumers reconcile from the database.
        metrics.incr("notifications_push_failed", len(pushes))
        logger.warning("push of %d events failed", len(pushes), exc_info=True)
    else:
        metrics.incr("notifications_pushed", len(pushes))


async def _send_all(layer: BaseChannelLayer, pushes: Sequence[Push]) -> None:
    messages = [(user_group(user_id), event) for user_id, event in pushes]
    send_many = getattr(layer, "group_send_many", None) if settings.RIPPLE_PUSH_BULK else None
    if send_many is None:
        await asyncio.wait_for(_send_each(layer, messages), settings.RIPPLE_PUSH_TIMEOUT_SECONDS)
        return
    dropped = await asyncio.wait_for(send_many(messages), settings.RIPPLE_PUSH_TIMEOUT_SECONDS)
    if dropped:
        metrics.incr("notifications_push_dropped", dropped)
        logger.warning("%d deliveries dropped: channels over capacity", dropped)


async def _send_each(layer: BaseChannelLayer, messages: list[tuple[str, dict]]) -> None:
    for group, message in messages:
        await layer.group_send(group, message)
