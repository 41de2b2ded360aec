"""Keeps every open connection of this worker complete when pushes are lost.

Pushes travel through Redis at most once: a Redis outage, a full channel, an expired
message or a restarted Redis (which forgets group memberships) can each lose one. Once per
interval this worker reads, in one statement, the newest notification id of every user
connected to it. A connection that is still behind on the next tick (so the gap is not a
push in flight) replays the gap from the database. Group memberships are re-added when a
Redis server's run id changes. A lost push therefore reaches the client within about two
intervals of the row being committed, whether or not Redis is up.
"""

import asyncio
import logging
import time
import weakref
from typing import Protocol

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from .selectors import notification_latest_ids

logger = logging.getLogger(__name__)

_latest_ids = database_sync_to_async(notification_latest_ids)

# Memberships are refreshed at least this often, well inside channels-redis' group expiry.
_MEMBERSHIP_REFRESH_SECONDS = 3600


class Connection(Protocol):
    user_id: int
    last_id: int
    group_name: str | None
    channel_name: str

    async def catch_up(self) -> None: ...


class Reconciler:
    """One per event loop (that is, per worker process)."""

    def __init__(self) -> None:
        self.connections: set[Connection] = set()
        self._per_user: dict[int, int] = {}
        self._behind: dict[Connection, int] = {}
        self._server_ids: list[str] | None = None
        self._memberships_refreshed_at = 0.0
        self._task: asyncio.Task | None = None

    def register(self, connection: Connection) -> None:
        if connection not in self.connections:
            self._per_user[connection.user_id] = self.open_for(connection.user_id) + 1
        self.connections.add(connection)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    def unregister(self, connection: Connection) -> None:
        if connection in self.connections:
            remaining = self._per_user.pop(connection.user_id, 1) - 1
            if remaining:
                self._per_user[connection.user_id] = remaining
        self.connections.discard(connection)
        self._behind.pop(connection, None)

    def open_for(self, user_id: int) -> int:
        """How many of the user's sockets this worker holds."""
        return self._per_user.get(user_id, 0)

    def memberships_lost(self) -> None:
        """A group_add failed: re-add every membership as soon as Redis answers."""
        self._server_ids = None

    async def _run(self) -> None:
        while self.connections:
            await asyncio.sleep(settings.RIPPLE_RECONCILE_SECONDS)
            try:
                await self.tick()
            except Exception:
                logger.exception("reconcile tick failed")

    async def tick(self) -> None:
        connections = list(self.connections)
        if not connections:
            return
        await self._refresh_memberships(connections)
        latest = await _latest_ids(user_ids={c.user_id for c in connections})
        for connection in connections:
            await self._check(connection, latest.get(connection.user_id, 0))

    async def _check(self, connection: Connection, newest: int) -> None:
        seen_behind_at = self._behind.pop(connection, None)
        if newest <= connection.last_id or connection not in self.connections:
            return
        if seen_behind_at is not None and connection.last_id < seen_behind_at:
            try:
                await connection.catch_up()
            except Exception:
                logger.warning("catch-up failed for user %s", connection.user_id, exc_info=True)
            return
        self._behind[connection] = newest

    async def _refresh_memberships(self, connections: list[Connection]) -> None:
        layer = get_channel_layer()
        if not hasattr(layer, "server_ids"):
            return
        try:
            server_ids = await layer.server_ids()
            due = time.monotonic() - self._memberships_refreshed_at > _MEMBERSHIP_REFRESH_SECONDS
            if server_ids != self._server_ids or due:
                await layer.group_add_many(
                    (c.group_name, c.channel_name) for c in connections if c.group_name
                )
                self._server_ids = server_ids
                self._memberships_refreshed_at = time.monotonic()
        except Exception as error:
            self._server_ids = None
            logger.warning("channel layer unreachable, delivering from the database: %s", error)


_reconcilers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Reconciler] = (
    weakref.WeakKeyDictionary()
)


def reconciler() -> Reconciler:
    loop = asyncio.get_running_loop()
    if loop not in _reconcilers:
        _reconcilers[loop] = Reconciler()
    return _reconcilers[loop]
