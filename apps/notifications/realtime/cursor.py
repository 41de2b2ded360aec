"""Exactly-once, in-order delivery of one user's notifications to one connection.

`last_id` is the newest notification id this connection has sent. A live notification is
sent only if it is newer; if its `prev_id` shows that an earlier push was missed, the gap
is read from the database first, so the client never sees a hole or a duplicate. Live
events, client syncs and the reconciler all move `last_id`, one at a time.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from channels.db import database_sync_to_async

from ..selectors import notification_latest_id, notification_stream_after
from .events import NotificationFrame

REPLAY_CHUNK = 500

Send = Callable[[dict[str, Any]], Awaitable[None]]

_stream_after = database_sync_to_async(notification_stream_after)
_latest_id = database_sync_to_async(notification_latest_id)


class DeliveryCursor:
    def __init__(self, *, user_id: int, send: Send) -> None:
        self.user_id = user_id
        self.last_id = 0
        self._send = send
        self._lock = asyncio.Lock()
        self._clamped = False

    async def start(self, *, after: int | None) -> None:
        """Set the starting point: `after`, or the newest stored id when the client has none.

        A client cannot hold an id beyond the newest one unless it came from elsewhere (a
        database restored from a backup, a crafted URL). Trusting it would drop every live
        frame until the ids caught up, so it is clamped and `synced` says so.
        """
        newest = await _latest_id(user_id=self.user_id)
        self._clamped = after is not None and after > newest
        self.last_id = newest if after is None else min(after, newest)

    async def replay(self, *, announce: bool) -> None:
        """Send everything stored beyond `last_id`, then `synced` if `announce`."""
        async with self._lock:
            await self._replay(announce=announce)

    async def sync(self, *, after: int) -> None:
        """The client's `sync` frame: start again from `after` and replay."""
        async with self._lock:
            await self.start(after=after)
            await self._replay(announce=True)

    async def live(self, frame: NotificationFrame, *, prev_id: int | None) -> None:
        async with self._lock:
            if frame["id"] <= self.last_id:
                return
            if prev_id is not None and prev_id > self.last_id:
                await self._replay(announce=False)
                return
            await self._send(frame)
            self.last_id = frame["id"]

    async def _replay(self, *, announce: bool) -> None:
        while True:
            rows = await _stream_after(
                user_id=self.user_id, after_id=self.last_id, limit=REPLAY_CHUNK
            )
            for notification_id, frame in rows:
                if frame is not None:
                    await self._send(frame)
                self.last_id = notification_id
            if len(rows) < REPLAY_CHUNK:
                break
        if announce:
            synced: dict[str, Any] = {"type": "synced", "last_id": self.last_id}
            if self._clamped:
                # The client's cursor was ahead of everything stored: reset it to last_id.
                synced["clamped"] = True
                self._clamped = False
            await self._send(synced)
