"""Keeps every open connection of this worker complete when pushes are lost.

Pushes travel through Redis at most once: a Redis outage or hang, a full channel, an expired
message or a restarted Redis (which forgets group memberships) can each lose one. Once per
interval this worker reads, in one statement, the newest notification id of every user
connected to it. A connection that is still behind on the next tick (so the gap is not a
push in flight) replays the gap from the database. That pass never waits on Redis.

Beside it, and bounded, memberships are kept alive: re-added when a Redis server's run id
changes (it restarted and forgot them) and at least three times per group expiry, their
groups marked occupied (`realtime.presence`) three times per presence expiry, and leaves
that failed are retried. A lost push therefore reaches the client within about two
intervals of the row being committed, whether Redis is up, down or hung.

Pushes that are not stored notifications (removals, read-state changes, counts) have no
row to replay. So when the layer comes back after failing (unreachable, hung, or restarted
with a new run id), every connection of this worker catches up and is sent `synced`
again, one after another: the client then refreshes what it shows from the API.
"""

import asyncio
import logging
import time
from typing import cast

from channels.layers import get_channel_layer
from django.conf import settings

from apps.common.dbthreads import database_reader

from ..selectors import notification_latest_ids
from .events import user_group
from .layer import RealtimeLayer
from .memberships import Memberships, local_memberships
from .registry import Connection, Registry, local_registry, per_loop

logger = logging.getLogger(__name__)

_latest_ids = database_reader(notification_latest_ids)


class Reconciler:
    def __init__(self, registry: Registry, memberships: Memberships) -> None:
        self.registry = registry
        self.memberships = memberships
        self._behind: dict[Connection, int] = {}
        self._server_ids: list[str] | None = None
        # The layer failed since it last answered: pushes may have been lost meanwhile.
        self._layer_failed = False
        self._resync: asyncio.Task[None] | None = None
        self._memberships_refreshed_at = 0.0
        self._presence_refreshed_at = 0.0
        self._task: asyncio.Task[None] | None = None
        self._maintenance: asyncio.Task[None] | None = None

    def ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    def forget(self, connection: Connection) -> None:
        self._behind.pop(connection, None)

    def memberships_lost(self) -> None:
        """A join failed: re-add every membership as soon as Redis answers."""
        self._server_ids = None
        self._layer_failed = True

    async def _run(self) -> None:
        while self.registry.connections:
            await asyncio.sleep(settings.RIPPLE_RECONCILE_SECONDS)
            self._start_maintenance()
            try:
                await self.tick()
            except Exception:
                logger.exception("reconcile tick failed")

    async def tick(self) -> None:
        """One database pass over every connection of this worker."""
        connections = list(self.registry.connections)
        if not connections:
            return
        latest = await _latest_ids(user_ids={c.user_id for c in connections})
        for connection in connections:
            await self._check(connection, latest.get(connection.user_id, 0))

    async def _check(self, connection: Connection, newest: int) -> None:
        seen_behind_at = self._behind.pop(connection, None)
        if newest <= connection.last_id or connection not in self.registry.connections:
            return
        if seen_behind_at is not None and connection.last_id < seen_behind_at:
            try:
                await connection.catch_up()
            except Exception:
                logger.warning("catch-up failed for user %s", connection.user_id, exc_info=True)
            return
        self._behind[connection] = newest

    def _start_maintenance(self) -> None:
        # In a task of its own: a hung Redis must not delay the database pass.
        if self._maintenance is None or self._maintenance.done():
            self._maintenance = asyncio.get_running_loop().create_task(self.maintain())

    async def maintain(self) -> None:
        """Refresh memberships when due and retry failed leaves; bounded by the layer."""
        # The settings name one of the layers in layer.py; both have RealtimeLayer's interface.
        layer = cast(RealtimeLayer, get_channel_layer())
        self.memberships.retry_failed()
        try:
            server_ids = await layer.server_ids()
            started = time.monotonic()
            due = started - self._memberships_refreshed_at > layer.group_expiry / 3
            restarted = self._server_ids is not None and server_ids != self._server_ids
            if server_ids != self._server_ids or due:
                await layer.group_change_many(
                    add=[(user_group(c.user_id), c.channel_name) for c in self.registry.connections]
                )
                self._server_ids = server_ids
                # Adding members marks their groups too.
                self._memberships_refreshed_at = self._presence_refreshed_at = started
            elif started - self._presence_refreshed_at > layer.presence_expiry / 3:
                await layer.touch_groups({user_group(c.user_id) for c in self.registry.connections})
                self._presence_refreshed_at = started
            if self._layer_failed or restarted:
                self._layer_failed = False
                self._start_resync()
        except Exception as error:
            self._server_ids = None
            self._layer_failed = True
            logger.warning(
                "channel layer unreachable, delivering from the database: %s",
                type(error).__name__,
            )

    def _start_resync(self) -> None:
        if self._resync is None or self._resync.done():
            self._resync = asyncio.get_running_loop().create_task(self.resync_all())

    async def resync_all(self) -> None:
        """Resync every open connection, one after another: a replay is a query each, and
        the clients' refreshes that follow come spread out rather than all at once. Each is
        bounded, so a socket that does not drain holds up the others no longer than that."""
        for connection in list(self.registry.connections):
            if connection not in self.registry.connections:
                continue
            try:
                async with asyncio.timeout(settings.RIPPLE_PUSH_TIMEOUT_SECONDS):
                    await connection.resync()
            except Exception:
                logger.warning("resync failed for user %s", connection.user_id, exc_info=True)


local_reconciler = per_loop(lambda: Reconciler(local_registry(), local_memberships()))
