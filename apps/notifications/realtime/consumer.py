"""The notification WebSocket: replays what a client missed, then streams, in id order, once.

Close codes: 1008 the client sent frames faster than RIPPLE_WS_FRAMES_PER_SECOND allows;
1009 frame too large; 4400 bad `after` query parameter (empty, negative, not a number);
4403 the account was suspended; 4429 the user already has RIPPLE_WS_MAX_CONNECTIONS_PER_USER
sockets open on this worker process (the new one is refused, the open ones keep working).
An unauthenticated or suspended handshake is refused with HTTP 403.
"""

import json
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from asgiref.typing import ASGIReceiveCallable, ASGISendCallable, WebSocketDisconnectEvent
from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from .. import metrics
from .cursor import DeliveryCursor
from .events import (
    NotificationCreated,
    NotificationRemoved,
    NotificationUpdated,
    PostCounts,
    SessionTerminated,
    UnreadCount,
    user_group,
    wire_frame,
)
from .memberships import local_memberships
from .ratelimit import TokenBucket
from .reconciler import local_reconciler
from .registry import local_registry

if TYPE_CHECKING:  # the stubs' name for a Channels scope; it exists only for type checkers
    from channels.consumer import _ChannelScope

logger = logging.getLogger(__name__)

MAX_FRAME_BYTES = 64 * 1024
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


def parse_after(value: Any) -> int | None:
    """A notification id from the query string or a `sync` frame; None if malformed."""
    if isinstance(value, bool):
        return None
    # isascii: str.isdigit() is also true for digits such as "²" that int() refuses.
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
        value = int(value)
    if isinstance(value, int) and 0 <= value < 2**63:
        return value
    return None


class NotificationConsumer(AsyncWebsocketConsumer):
    """Push-only socket: joins the user's group, and hands every notification to its cursor."""

    user_id: int
    cursor: DeliveryCursor | None = None
    # In the user's group: left on the way out, accepted or not.
    joined = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._frames = TokenBucket(
            rate=settings.RIPPLE_WS_FRAMES_PER_SECOND, burst=settings.RIPPLE_WS_FRAME_BURST
        )

    @property
    def last_id(self) -> int:
        return self.cursor.last_id if self.cursor else 0

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
        self.user_id = user.pk
        if local_registry().open_for(self.user_id) >= settings.RIPPLE_WS_MAX_CONNECTIONS_PER_USER:
            await self._refuse(ERROR_TOO_MANY, CLOSE_TOO_MANY)
            return
        query = parse_qs(
            self.scope.get("query_string", b"").decode("latin1"), keep_blank_values=True
        )
        raw_after = query.get("after")
        after = parse_after(raw_after[-1]) if raw_after else None
        if raw_after and after is None:
            await self._refuse(ERROR_AFTER, CLOSE_BAD_REQUEST)
            return
        self.cursor = DeliveryCursor(user_id=self.user_id, send=self._send_json)
        self.joined = True
        if not await local_memberships().join(user_group(self.user_id), self.channel_name):
            # Redis is down or hung: serve from the database until the reconciler re-adds it.
            local_reconciler().memberships_lost()
        # The start point is read after joining (a row committed later is pushed to the
        # group, which now includes this socket; one committed earlier is in the read) and
        # before accepting (a row committed once the client sees the socket open is newer
        # than the start point). Pushes received meanwhile wait until connect returns
        # (Channels dispatches one event at a time), and the cursor drops what the read
        # already covered.
        await self.cursor.open(after=after, accept=self._accept)

    async def _accept(self) -> None:
        await self.accept()
        local_registry().register(self)
        local_reconciler().ensure_running()
        metrics.gauge_add("websocket_connections", 1)
        logger.info("websocket connected", extra={"event": "ws.connect", "user_id": self.user_id})

    async def __call__(
        self, scope: "_ChannelScope", receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # Also when a handler raised and disconnect() never ran: a forgotten connection
            # would keep costing reconcile queries, count against the per-user limit and
            # keep receiving pushes nobody reads.
            self._leave(code=None)

    async def websocket_disconnect(self, message: "WebSocketDisconnectEvent") -> None:
        """Channels' handler without its thread hop to close stale DB connections, for the
        reason given in `dispatch`; this consumer keeps no groups of Channels' own."""
        await self.disconnect(message["code"])
        raise StopConsumer()

    async def disconnect(self, code: int) -> None:
        self._leave(code=code)

    def _leave(self, *, code: int | None) -> None:
        if self.joined:
            # Also a handshake that failed after joining: its start point could not be read.
            self.joined = False
            local_memberships().leave(user_group(self.user_id), self.channel_name)
        # Refused handshakes never registered, so they never counted.
        if not local_registry().unregister(self):
            return
        local_reconciler().forget(self)
        metrics.gauge_add("websocket_connections", -1)
        logger.info(
            "websocket disconnected",
            extra={"event": "ws.disconnect", "user_id": self.user_id, "code": code},
        )

    async def catch_up(self) -> None:
        """Send whatever is stored beyond `last_id` (called by the reconciler)."""
        if self.cursor:
            await self.cursor.replay(announce=False)

    async def resync(self) -> None:
        """Catch up, then say `synced`: pushes that are not notifications (removals, read
        state) may have been lost, and the client refreshes what it shows (the reconciler
        calls this once the channel layer is back)."""
        if self.cursor:
            await self.cursor.replay(announce=True)

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

    async def _handle_sync(self, raw_after: Any) -> None:
        after = parse_after(raw_after)
        if after is None or self.cursor is None:
            await self._send_error(ERROR_AFTER)
            return
        await self.cursor.sync(after=after)

    # Channel-layer events, one handler each (see events.py for the names).

    async def notification_created(self, event: NotificationCreated) -> None:
        if self.cursor:
            await self.cursor.live(event["frame"], prev_id=event.get("prev_id"))

    async def notification_removed(self, event: NotificationRemoved) -> None:
        await self._send_json(dict(wire_frame(event)))

    async def unread_count(self, event: UnreadCount) -> None:
        await self._send_json(dict(wire_frame(event)))

    async def notification_updated(self, event: NotificationUpdated) -> None:
        await self._send_json(dict(wire_frame(event)))

    async def post_counts(self, event: PostCounts) -> None:
        # Straight to the socket, not through the cursor: it is not a stored notification.
        await self._send_json(dict(wire_frame(event)))

    async def session_terminated(self, event: SessionTerminated) -> None:
        await self._send_json(dict(wire_frame(event)))
        await self.close(code=CLOSE_SUSPENDED)

    async def _refuse(self, error: str, code: int) -> None:
        await self.accept()
        await self._send_error(error)
        await self.close(code=code)

    async def _send_error(self, message: str) -> None:
        await self._send_json({"type": "error", "error": message})

    async def _send_json(self, content: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(content, separators=(",", ":")))
