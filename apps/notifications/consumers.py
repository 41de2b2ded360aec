"""The notification WebSocket: replays what a client missed, then streams, in id order, once.

Close codes: 1008 the client sent frames faster than RIPPLE_WS_FRAMES_PER_SECOND allows;
1009 frame too large; 4400 bad `after` query parameter; 4403 the account was suspended;
4429 the user already has RIPPLE_WS_MAX_CONNECTIONS_PER_USER sockets open on this worker
process (the new one is refused, the open ones keep working). An unauthenticated or
suspended handshake is refused with HTTP 403.
"""

import asyncio
import json
import logging
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from . import metrics
from .ratelimit import TokenBucket
from .realtime import user_group
from .reconcile import reconciler
from .selectors import notification_latest_id, notification_stream_after

logger = logging.getLogger(__name__)

MAX_FRAME_BYTES = 64 * 1024
REPLAY_CHUNK = 500
CLOSE_TOO_BIG = 1009
CLOSE_BAD_REQUEST = 4400
CLOSE_SUSPENDED = 4403
CLOSE_TOO_MANY = 4429
CLOSE_FLOOD = 1008

ERROR_BINARY = "Binary frames are not supported; send JSON text."
ERROR_JSON = "Frames must be JSON objects."
ERROR_UNKNOWN_TYPE = "Unknown message type; expected 'ping' or 'sync'."
ERROR_AFTER = "'after' must be a non-negative integer notification id."
ERROR_TOO_MANY = "Too many open connections for this user; close one and retry."
ERROR_FLOOD = "Too many frames; slow down."

_stream_after = database_sync_to_async(notification_stream_after)
_latest_id = database_sync_to_async(notification_latest_id)


def _parse_after(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    # isascii: str.isdigit() is also true for digits such as "²" that int() refuses.
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
        value = int(value)
    if isinstance(value, int) and 0 <= value < 2**63:
        return value
    return None


class NotificationConsumer(AsyncWebsocketConsumer):
    """Push-only socket with exactly-once, in-order delivery per connection.

    `last_id` is the newest notification id this connection has sent. A live event is sent
    only if it is newer; if its `prev_id` shows an earlier push was missed, the gap is
    read from the database first, so the client never sees a hole or a duplicate.
    """

    group_name: str | None = None
    last_id = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Live events, client syncs and the reconciler all advance `last_id`; one at a time.
        self._delivery = asyncio.Lock()
        self._frames = TokenBucket(
            rate=settings.RIPPLE_WS_FRAMES_PER_SECOND, burst=settings.RIPPLE_WS_FRAME_BURST
        )

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch without its per-event thread hop to close stale DB connections.

        Every database call here goes through database_sync_to_async, which closes stale
        connections itself; the hop would queue each live push behind every other query of
        the worker on the single database thread.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or getattr(user, "is_suspended", False):
            await self.close()
            return
        self.user_id: int = user.pk
        if reconciler().open_for(self.user_id) >= settings.RIPPLE_WS_MAX_CONNECTIONS_PER_USER:
            await self.accept()
            await self._send_error(ERROR_TOO_MANY)
            await self.close(code=CLOSE_TOO_MANY)
            return
        raw_after = parse_qs(self.scope.get("query_string", b"").decode("latin1")).get("after")
        after = _parse_after(raw_after[-1]) if raw_after else None
        if raw_after and after is None:
            await self.accept()
            await self._send_error(ERROR_AFTER)
            await self.close(code=CLOSE_BAD_REQUEST)
            return
        self.last_id = after if after is not None else await _latest_id(user_id=self.user_id)
        self.group_name = user_group(self.user_id)
        try:
            await self.channel_layer.group_add(self.group_name, self.channel_name)
        except Exception:
            # Redis is down: serve from the database until the reconciler re-adds the group.
            logger.warning("group_add failed for user %s", self.user_id, exc_info=True)
            reconciler().memberships_lost()
        await self.accept()
        reconciler().register(self)
        metrics.gauge_add("websocket_connections", 1)
        logger.info("websocket connected", extra={"event": "ws.connect", "user_id": self.user_id})
        # Anything committed between reading the start point and joining the group is in
        # the database, so replaying after joining leaves no gap at the seam.
        async with self._delivery:
            await self._replay(announce=after is not None)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # Also when a handler raised and disconnect() never ran: a forgotten connection
            # would keep costing reconcile queries, count against the per-user limit and
            # keep receiving pushes nobody reads.
            await self._leave(code=None)

    async def disconnect(self, code: int) -> None:
        await self._leave(code=code)

    async def _leave(self, *, code: int | None) -> None:
        self._forget(code=code)
        group, self.group_name = self.group_name, None
        if group:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:
                logger.warning("group_discard failed for user %s", self.user_id, exc_info=True)

    def _forget(self, *, code: int | None) -> None:
        # Refused handshakes never registered, so they never counted.
        if self not in reconciler().connections:
            return
        reconciler().unregister(self)
        metrics.gauge_add("websocket_connections", -1)
        logger.info(
            "websocket disconnected",
            extra={"event": "ws.disconnect", "user_id": self.user_id, "code": code},
        )

    async def catch_up(self) -> None:
        """Send whatever is stored beyond `last_id` (called by the reconciler)."""
        async with self._delivery:
            await self._replay(announce=False)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self._frames.allow():
            await self._send_error(ERROR_FLOOD)
            await self.close(code=CLOSE_FLOOD)
            return
        if text_data is None:
            await self._send_error(ERROR_BINARY)
            return
        if len(text_data) > MAX_FRAME_BYTES or len(text_data.encode()) > MAX_FRAME_BYTES:
            await self.close(code=CLOSE_TOO_BIG)
            return
        try:
            message = json.loads(text_data)
        except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
            message = None
        if not isinstance(message, dict):
            await self._send_error(ERROR_JSON)
            return
        kind = message.get("type")
        if kind == "ping":
            await self._send_json({"type": "pong"})
        elif kind == "sync":
            await self._handle_sync(message.get("after"))
        else:
            await self._send_error(ERROR_UNKNOWN_TYPE)

    async def notification_created(self, event: dict[str, Any]) -> None:
        frame = event["frame"]
        async with self._delivery:
            if frame["id"] <= self.last_id:
                return
            prev_id = event.get("prev_id")
            if prev_id is not None and prev_id > self.last_id:
                await self._replay(announce=False)
                return
            await self._send_json(frame)
            self.last_id = frame["id"]

    async def notification_removed(self, event: dict[str, Any]) -> None:
        await self._send_json({"type": "notification_removed", "data": {"ids": event["ids"]}})

    async def session_terminated(self, event: dict[str, Any]) -> None:
        await self._send_json({"type": "session_terminated", "reason": event["reason"]})
        await self.close(code=CLOSE_SUSPENDED)

    async def unread_changed(self, event: dict[str, Any]) -> None:
        await self._send_json({"type": "unread_count", "data": {"count": event["count"]}})

    async def _handle_sync(self, raw_after: Any) -> None:
        after = _parse_after(raw_after)
        if after is None:
            await self._send_error(ERROR_AFTER)
            return
        async with self._delivery:
            self.last_id = after
            await self._replay(announce=True)

    async def _replay(self, *, announce: bool) -> None:
        while True:
            rows = await _stream_after(
                user_id=self.user_id, after_id=self.last_id, limit=REPLAY_CHUNK
            )
            for notification_id, frame in rows:
                if frame is not None:
                    await self._send_json(frame)
                self.last_id = notification_id
            if len(rows) < REPLAY_CHUNK:
                break
        if announce:
            await self._send_json({"type": "synced", "last_id": self.last_id})

    async def _send_error(self, message: str) -> None:
        await self._send_json({"type": "error", "error": message})

    async def _send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, separators=(",", ":")))
