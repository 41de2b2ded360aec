"""Exactly-once, in-order delivery of one user's notifications to one connection.

`last_id` is the newest notification id this connection has sent. A live notification is
sent only if it is newer; if its `prev_id` shows that an earlier push was missed, the gap
is read from the database first, so the client never sees a hole or a duplicate. Live
events, client syncs and the reconciler all move `last_id`, one at a time.

Opening costs one query unless the client missed more than a chunk: the start point and
the first chunk of the replay are read together (`notification_stream_from`).
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from apps.common.dbthreads import database_reader

from ..selectors import (
    StreamRow,
    notification_latest_id,
    notification_stream_after,
    notification_stream_from,
)
from .events import NotificationFrame

REPLAY_CHUNK = 500

Send = Callable[[dict[str, Any]], Awaitable[None]]

_stream_after = database_reader(notification_stream_after)
_stream_from = database_reader(notification_stream_from)
_latest_id = database_reader(notification_latest_id)


class DeliveryCursor:
    def __init__(self, *, user_id: int, send: Send) -> None:
        self.user_id = user_id
        self.last_id = 0
        self._send = send
        self._lock = asyncio.Lock()
        self._clamped = False

    async def open(
        self, *, after: int | None, accept: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        """Set the starting point, then `accept` the handshake, then send what the client
        missed.

        Without `after` the client has nothing yet and starts at the newest stored id. With
        it, everything stored beyond `after` is sent, then `synced`. The start point is read
        before `accept`: a row committed once the client sees its socket open is newer than
        it, so it is pushed, never taken for one the client already had.
        """
        async with self._lock:
            if after is None:
                self.last_id = await _latest_id(user_id=self.user_id)
                first = None
            else:
                first = await self._start_from(after)
            if accept is not None:
                await accept()
            if first is not None:
                await self._replay(announce=True, first=first)

    async def replay(self, *, announce: bool) -> None:
        """Send everything stored beyond `last_id`, then `synced` if `announce`."""
        async with self._lock:
            await self._replay(announce=announce)

    async def sync(self, *, after: int) -> None:
        """The client's `sync` frame: start again from `after` and replay."""
        async with self._lock:
            await self._replay_from(after)

    async def live(self, frame: NotificationFrame, *, prev_id: int | None) -> None:
        async with self._lock:
            if frame["id"] <= self.last_id:
                return
            if prev_id is not None and prev_id > self.last_id:
                await self._replay(announce=False)
                return
            await self._send(frame)
            self.last_id = frame["id"]

    async def _replay_from(self, after: int) -> None:
        await self._replay(announce=True, first=await self._start_from(after))

    async def _start_from(self, after: int) -> list[StreamRow]:
        """Start after `after`; the first chunk of what follows it.

        A client cannot hold an id beyond the newest one unless it came from elsewhere (a
        database restored from a backup, a crafted URL). Trusting it would drop every live
        frame until the ids caught up, so it is clamped and `synced` says so."""
        newest, rows = await _stream_from(user_id=self.user_id, after_id=after, limit=REPLAY_CHUNK)
        self._clamped = newest is not None and after > newest
        self.last_id = after if newest is None else newest
        return rows

    async def _replay(self, *, announce: bool, first: list[StreamRow] | None = None) -> None:
        if first is None:
            first = await self._next_chunk()
        rows = first
        while True:
            for notification_id, frame in rows:
                if frame is not None:
                    await self._send(frame)
                self.last_id = notification_id
            if len(rows) < REPLAY_CHUNK:
                break
            rows = await self._next_chunk()
        if announce:
            synced: dict[str, Any] = {"type": "synced", "last_id": self.last_id}
            if self._clamped:
                # The client's cursor was ahead of everything stored: reset it to last_id.
                synced["clamped"] = True
                self._clamped = False
            await self._send(synced)

    async def _next_chunk(self) -> list[StreamRow]:
        return await _stream_after(user_id=self.user_id, after_id=self.last_id, limit=REPLAY_CHUNK)
