"""Group joins and leaves of this worker's connections, written to Redis in batches.

A thousand sockets that open or close at once would otherwise be a thousand concurrent
commands, more than the connection pool holds (redis-py then refuses them with "Too many
connections") and far more round trips than needed. Pending changes are written together,
one pipeline per shard; a leave that fails is kept and retried, and a member that is never
removed still expires after the layer's `group_expiry`.
"""

import asyncio
import logging
from typing import cast

from channels.layers import get_channel_layer

from .layer import RealtimeLayer
from .registry import per_loop

logger = logging.getLogger(__name__)

Membership = tuple[str, str]  # (group, channel)

# Nobody waits for a batch of leaves, so it may take longer than a handshake's join: a
# worker busy closing thousands of sockets is slow to read the reply, not Redis to send it.
LEAVE_TIMEOUT_SECONDS = 5.0


class Memberships:
    def __init__(self) -> None:
        self._joins: dict[Membership, asyncio.Future[bool]] = {}
        self._leaves: set[Membership] = set()
        self._failed_leaves: set[Membership] = set()
        self._writer: asyncio.Task[None] | None = None

    async def join(self, group: str, channel: str) -> bool:
        """Add the channel to the group; False if Redis did not confirm it in time."""
        future = self._joins.get((group, channel))
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._joins[(group, channel)] = future
        self._wake()
        return await asyncio.shield(future)

    def leave(self, group: str, channel: str) -> None:
        """Remove the channel from the group soon; never waits."""
        self._leaves.add((group, channel))
        self._wake()

    def retry_failed(self) -> int:
        """Queue the leaves that failed again (the reconciler calls this); returns how many."""
        failed, self._failed_leaves = self._failed_leaves, set()
        self._leaves |= failed
        if failed:
            self._wake()
        return len(failed)

    @property
    def pending_leaves(self) -> int:
        return len(self._leaves) + len(self._failed_leaves)

    async def idle(self) -> None:
        """Wait until everything queued so far has been written or has failed."""
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)

    def _wake(self) -> None:
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write())

    async def _write(self) -> None:
        # The settings name one of the layers in layer.py; both have RealtimeLayer's interface.
        layer = cast(RealtimeLayer, get_channel_layer())
        while self._joins or self._leaves:
            # Yield once so that changes made in the same moment share a round trip.
            await asyncio.sleep(0)
            joins, self._joins = self._joins, {}
            leaves, self._leaves = self._leaves, set()
            try:
                await layer.group_change_many(
                    add=list(joins),
                    discard=list(leaves),
                    chunk_timeout=None if joins else LEAVE_TIMEOUT_SECONDS,
                )
            except Exception as error:
                self._failed_leaves |= leaves
                logger.warning(
                    "channel layer membership write failed (%d joins, %d leaves): %s",
                    len(joins),
                    len(leaves),
                    type(error).__name__,
                )
                ok = False
            else:
                ok = True
            for future in joins.values():
                if not future.done():
                    future.set_result(ok)


local_memberships = per_loop(Memberships)
