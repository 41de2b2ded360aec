"""A Redis channel layer with bulk sends, bounded calls and a receive that outlives outages.

`RedisChannelLayer.group_send` costs several round trips per group, about 1,900 groups a
second; a post to 10,000 friends needs one message per friend's group. `group_send_many`
finds the members of every group with one script call per Redis shard and writes every
message with one script call per shard (in chunks), keeping the layer's storage format so
the stock receive path and Channels' consumers are unchanged.

Most groups of a large fan-out have no member: their users are offline. Beside the groups,
each shard keeps an index of its occupied groups (a sorted set: group -> when a worker last
confirmed a member), and the script reads the members of occupied groups only, so a push to
10,000 offline users costs Redis ten ZMSCOREs. Adding a member marks its group;
removing the last live member unmarks it, in one script, so two workers changing one group
at once cannot leave it unmarked while it has a member; a mark nobody refreshes (its worker
died) stops counting after `presence_expiry`. `realtime.presence` reads the same index.
The scripts name group keys from their arguments, which a standalone Redis allows (Redis
Cluster would not; channels-redis shards on the client side instead).

The connections have no read timeout, so the blocking receive can wait on an idle server;
every other call is bounded here by `command_timeout`, so a Redis that hangs (rather than
refusing) costs a handshake or a reconcile tick a fraction of a second, not the hang.
"""

import asyncio
import logging
import math
import re
import time
import weakref
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from channels.layers import InMemoryChannelLayer
from channels_redis.core import RedisChannelLayer
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

_REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)

# Writes a batch of messages onto channel keys, honouring each key's capacity.
# KEYS: channel keys. ARGV: now, expiry, then per key: count, capacity, messages...
_SEND_MANY_LUA = """
local now = tonumber(ARGV[1])
local expiry = tonumber(ARGV[2])
local pos = 3
local dropped = 0
local seq = 0
for i = 1, #KEYS do
    local key = KEYS[i]
    local count = tonumber(ARGV[pos])
    local capacity = tonumber(ARGV[pos + 1])
    pos = pos + 2
    redis.call('ZREMRANGEBYSCORE', key, 0, now - expiry)
    local size = redis.call('ZCARD', key)
    for j = 1, count do
        if size < capacity then
            seq = seq + 1
            redis.call('ZADD', key, now + seq * 0.000001, ARGV[pos])
            size = size + 1
        else
            dropped = dropped + 1
        end
        pos = pos + 1
    end
    redis.call('EXPIRE', key, math.ceil(expiry))
end
return dropped
"""

# Removes a member; unmarks the group when no live member is left (KEYS: group, index;
# ARGV: channel, oldest live member score, group name). One script, so a member another
# worker adds meanwhile is either counted here or marks the group again after.
_LEAVE_LUA = """
redis.call('ZREM', KEYS[1], ARGV[1])
if redis.call('ZCOUNT', KEYS[1], ARGV[2], '+inf') == 0 then
    redis.call('ZREM', KEYS[2], ARGV[3])
end
"""

# Which of the groups named in ARGV[4] (newline-separated) are occupied: one line per
# occupied group, or with ARGV[5] = 1 one "group<TAB>member" line per live member, joined
# into one string (one bulk reply parses far faster than thousands of elements). KEYS[1]:
# the index. ARGV[1]: the oldest live mark; ARGV[2]: the oldest live member; ARGV[3]: the
# group key prefix. Scores are read by ZMSCORE in chunks (Lua's unpack has a stack limit).
_OCCUPIED_LUA = """
local names = {}
for name in string.gmatch(ARGV[4], '[^\\n]+') do names[#names + 1] = name end
local oldest = tonumber(ARGV[1])
local lines = {}
for start = 1, #names, 1000 do
    local chunk = {unpack(names, start, math.min(start + 999, #names))}
    local scores = redis.call('ZMSCORE', KEYS[1], unpack(chunk))
    for i = 1, #chunk do
        local score = scores[i]
        if score and tonumber(score) >= oldest then
            if ARGV[5] == '1' then
                local key = ARGV[3] .. chunk[i]
                for _, member in ipairs(redis.call('ZRANGEBYSCORE', key, ARGV[2], '+inf')) do
                    lines[#lines + 1] = chunk[i] .. '\\t' .. member
                end
            else
                lines[#lines + 1] = chunk[i]
            end
        end
    end
end
return table.concat(lines, '\\n')
"""

# Valid group names (Channels allows letters, digits, "-", "_" and ".", under 100
# characters), joined on newlines: checked with one regex rather than one per group.
_GROUP_NAMES = re.compile(r"[a-zA-Z\d\-_.]{1,99}(?:\n[a-zA-Z\d\-_.]{1,99})*")

# Messages per script call: large enough to amortise the round trip, small enough to keep
# Redis responsive to other clients while it runs.
_CHUNK = 2000

# Messages taken off this worker's own channel per round trip.
_RECEIVE_BATCH = 500


class RealtimeLayer(Protocol):
    """What realtime delivery needs of a channel layer beyond Channels' own interface."""

    group_expiry: int
    # Seconds an occupied-group mark counts without being refreshed (touch_groups).
    presence_expiry: float

    async def group_send(self, group: str, message: dict[str, Any]) -> None: ...

    async def group_send_many(self, messages: Sequence[tuple[str, dict[str, Any]]]) -> int: ...

    async def group_change_many(
        self,
        *,
        add: Iterable[tuple[str, str]] = (),
        discard: Iterable[tuple[str, str]] = (),
        chunk_timeout: float | None = None,
    ) -> None: ...

    async def server_ids(self) -> list[str]: ...

    async def occupied_groups(self, groups: Iterable[str]) -> set[str]: ...

    async def occupied_groups_all(self, *, limit: int) -> set[str] | None: ...

    async def touch_groups(self, groups: Iterable[str]) -> None: ...


class RippleInMemoryChannelLayer(InMemoryChannelLayer):
    """Channels' in-memory layer (one process: a first run, the unit tests) with the same
    bulk interface as the Redis layer, so delivery code has one path."""

    # Occupancy here is the group table itself, which never goes stale.
    presence_expiry = math.inf

    async def group_send_many(self, messages: Sequence[tuple[str, dict[str, Any]]]) -> int:
        for group, message in messages:
            await self.group_send(group, message)
        return 0

    async def group_change_many(
        self,
        *,
        add: Iterable[tuple[str, str]] = (),
        discard: Iterable[tuple[str, str]] = (),
        chunk_timeout: float | None = None,
    ) -> None:
        for group, channel in add:
            await self.group_add(group, channel)
        for group, channel in discard:
            await self.group_discard(group, channel)

    async def server_ids(self) -> list[str]:
        # The groups live and die with this process: they are never lost behind its back.
        return ["in-memory"]

    async def occupied_groups(self, groups: Iterable[str]) -> set[str]:
        return {group for group in groups if self.groups.get(group)}

    async def occupied_groups_all(self, *, limit: int) -> set[str] | None:
        occupied = {group for group, members in self.groups.items() if members}
        return occupied if len(occupied) <= limit else None

    async def touch_groups(self, groups: Iterable[str]) -> None:
        return


@dataclass
class _LocalReader:
    """The task reading this process's channel on one event loop, and its waiting consumers."""

    waiting: int = 0
    task: "asyncio.Task[None] | None" = None


class RippleRedisChannelLayer(RedisChannelLayer):
    """channels-redis with bulk group sends and a receive that outlives Redis outages.

    The stock `receive` raises when Redis goes away, which ends every consumer of the
    worker and drops its WebSocket connections. Here it waits and retries instead; what
    was missed meanwhile is recovered from the database by the reconciler.
    """

    receive_retry_max_delay = 2.0

    def __init__(
        self,
        *args: Any,
        command_timeout: float = 0.5,
        presence_expiry: float = 60,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.command_timeout = command_timeout
        self.presence_expiry = presence_expiry
        # One per event loop: a worker runs one, the tests many.
        self._local_readers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LocalReader] = (
            weakref.WeakKeyDictionary()
        )

    def _presence_key(self) -> str:
        # A channel name cannot contain ":", so this never names a channel's key (as with
        # channels-redis' "<prefix>:group:<name>").
        return f"{self.prefix}:presence"

    async def group_add(self, group: str, channel: str) -> None:
        # Through the bulk path, which keeps the occupied-groups index.
        await self.group_change_many(add=[(group, channel)])

    async def group_discard(self, group: str, channel: str) -> None:
        await self.group_change_many(discard=[(group, channel)])

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        async with asyncio.timeout(self.command_timeout):
            await super().send(channel, message)

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        async with asyncio.timeout(self.command_timeout):
            await super().group_send(group, message)

    async def receive(self, channel: str) -> dict[str, Any]:
        if "!" in channel:
            return await self._receive_local(channel)
        delay = 0.05
        while True:
            try:
                return await super().receive(channel)
            except _REDIS_DOWN as error:
                logger.warning("channel layer receive failed, retrying: %s", error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.receive_retry_max_delay)

    async def _receive_local(self, channel: str) -> dict[str, Any]:
        """The next message of one of this process's channels (every consumer's).

        The stock receive makes every waiting consumer race for a lock on the process's
        channel: per message, two new tasks and an `asyncio.wait` in each consumer, and the
        cancelled lock waiter taken out of a queue of a thousand. Here one reader task per
        event loop takes the messages off Redis and puts each in its channel's buffer, and a
        consumer only waits on its own buffer.
        """
        assert self.require_valid_channel_name(channel)
        reader = self._local_reader(self.non_local_name(channel))
        buffer = self.receive_buffer[channel]
        reader.waiting += 1
        try:
            message: dict[str, Any] = await buffer.get()
            return message
        except asyncio.CancelledError:
            # The consumer is gone: so are its pending messages, as with the stock receive.
            self.receive_buffer.pop(channel, None)
            if reader.waiting == 1 and reader.task is not None:
                # Nobody else waits; as the stock receive would, stop reading for them.
                reader.task.cancel()
            raise
        finally:
            reader.waiting -= 1

    def _local_reader(self, real_channel: str) -> "_LocalReader":
        loop = asyncio.get_running_loop()
        reader = self._local_readers.get(loop)
        if reader is None:
            reader = self._local_readers[loop] = _LocalReader()
        if reader.task is None or reader.task.done():
            reader.task = loop.create_task(self._read_local(real_channel, reader))
        return reader

    async def _read_local(self, real_channel: str, reader: "_LocalReader") -> None:
        """Move messages from Redis into the channels' buffers while anybody waits; retries
        (backing off) while Redis is away, like `receive`."""
        delay = 0.05
        while reader.waiting:
            try:
                target, message = await self.receive_single(real_channel)
            except _REDIS_DOWN as error:
                logger.warning("channel layer receive failed, retrying: %s", error)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.receive_retry_max_delay)
                continue
            except Exception:
                # A message that cannot be read must not stop every consumer's delivery.
                logger.exception("channel layer receive failed")
                await asyncio.sleep(delay)
                continue
            delay = 0.05
            for name in target if isinstance(target, list) else [target]:
                self.receive_buffer[name].put_nowait(message)

    async def receive_single(self, channel: str) -> tuple[Any, dict[str, Any]]:
        """For this process's channel, take up to _RECEIVE_BATCH messages per round trip.

        The stock path costs four sequential round trips per message (backup-queue script,
        BZPOPMIN, ZADD to the backup, ZPOPMIN), which caps a worker at a few thousand
        messages a second. Pushes are at most once anyway: a batch lost with a dying worker
        is recovered from the database by the reconciler, like any lost push.
        """
        if "!" not in channel:
            return await super().receive_single(channel)
        assert self.require_valid_channel_name(channel, receive=True)
        key = self.prefix + channel
        connection = self.connection(self.consistent_hash(channel))
        # channels-redis connections speak RESP2 and do not decode: (member, score) pairs.
        popped = cast(list[tuple[bytes, float]], await connection.zpopmin(key, _RECEIVE_BATCH))
        while not popped:
            result = cast(
                tuple[bytes, bytes, float] | None,
                await connection.bzpopmin(key, timeout=self.brpop_timeout),
            )
            popped = [(result[1], result[2])] if result else []
        messages = []
        for member, _score in popped:
            message = self.deserialize(member)
            messages.append((message.pop("__asgi_channel__", channel), message))
        # The caller buffers the message returned after these, so the last one is returned:
        # each local channel then reads its messages in the order they were sent.
        for target, message in messages[:-1]:
            for name in target if isinstance(target, list) else [target]:
                self.receive_buffer[name].put_nowait(message)
        return messages[-1]

    async def server_ids(self) -> list[str]:
        """Each shard's Redis run id; a change means the server restarted and lost its groups."""
        ids = []
        async with asyncio.timeout(self.command_timeout):
            for index in range(self.ring_size):
                info = await self.connection(index).info("server")
                ids.append(str(info.get("run_id", "")))
        return ids

    async def group_change_many(
        self,
        *,
        add: Iterable[tuple[str, str]] = (),
        discard: Iterable[tuple[str, str]] = (),
        chunk_timeout: float | None = None,
    ) -> None:
        """Add and remove (group, channel) pairs in one pipeline per shard and chunk, adds
        first, keeping the occupied-groups index. Each chunk is bounded by `chunk_timeout`
        (default `command_timeout`); raises if any chunk fails."""
        by_shard: dict[int, list[tuple[bool, str, str]]] = defaultdict(list)
        for group, channel in add:
            by_shard[self.consistent_hash(group)].append((True, group, channel))
        for group, channel in discard:
            by_shard[self.consistent_hash(group)].append((False, group, channel))
        now = time.time()
        index = self._presence_key()
        for shard, changes in by_shard.items():
            for start in range(0, len(changes), _CHUNK):
                pipe = self.connection(shard).pipeline(transaction=False)
                occupied: dict[str, float] = {}
                for adding, group, channel in changes[start : start + _CHUNK]:
                    key = self._group_key(group)
                    if adding:
                        pipe.zadd(key, {channel: now})
                        pipe.expire(key, self.group_expiry)
                        occupied[group] = now
                    else:
                        pipe.eval(
                            _LEAVE_LUA, 2, key, index, channel, now - self.group_expiry, group
                        )
                if occupied:
                    # After the members: a reader that sees the mark finds the member.
                    self._mark_occupied(pipe, occupied, now)
                async with asyncio.timeout(chunk_timeout or self.command_timeout):
                    await pipe.execute()

    def _mark_occupied(self, pipe: Any, groups: dict[str, float], now: float) -> None:
        index = self._presence_key()
        pipe.zadd(index, groups)
        # Marks nobody refreshed are dead weight; the whole index goes with its last worker.
        pipe.zremrangebyscore(index, "-inf", now - self.presence_expiry)
        pipe.expire(index, math.ceil(self.presence_expiry))

    async def touch_groups(self, groups: Iterable[str]) -> None:
        """Mark these groups occupied now: each worker does so for the groups of its open
        connections more often than `presence_expiry`, so the marks of a dead worker lapse."""
        by_shard: dict[int, dict[str, float]] = defaultdict(dict)
        now = time.time()
        for group in groups:
            by_shard[self.consistent_hash(group)][group] = now
        async with asyncio.timeout(self.command_timeout):
            for shard, marks in by_shard.items():
                pipe = self.connection(shard).pipeline(transaction=False)
                self._mark_occupied(pipe, marks, now)
                await pipe.execute()

    async def occupied_groups(self, groups: Iterable[str]) -> set[str]:
        """Which of these groups some worker holds a member of, one script call per shard;
        bounded by `command_timeout`."""
        async with asyncio.timeout(self.command_timeout):
            return set(await self._occupied_members(list(dict.fromkeys(groups)), members=False))

    async def occupied_groups_all(self, *, limit: int) -> set[str] | None:
        """Every group some worker holds a member of, or None when there are more than
        `limit` (then ask about the groups of interest with `occupied_groups`); one command
        per shard, bounded by `command_timeout`."""
        oldest = time.time() - self.presence_expiry
        found: set[str] = set()
        async with asyncio.timeout(self.command_timeout):
            for index in range(self.ring_size):
                # One past the limit tells "too many" without reading them all.
                # channels-redis connections do not decode: member names are bytes.
                names = cast(
                    list[bytes],
                    await self.connection(index).zrangebyscore(
                        self._presence_key(), oldest, "+inf", start=0, num=limit + 1 - len(found)
                    ),
                )
                found.update(name.decode() for name in names)
                if len(found) > limit:
                    return None
        return found

    async def _occupied_members(self, groups: list[str], *, members: bool) -> dict[str, list[str]]:
        """The occupied groups among `groups`, with their live members if `members`.

        The names travel as one newline-separated argument and only occupied groups come
        back: a push to 10,000 offline users packs one argument and parses an empty reply.
        """
        by_shard: dict[int, list[str]] = defaultdict(list)
        for group in groups:
            by_shard[self.consistent_hash(group)].append(group)
        now = time.time()
        found: dict[str, list[str]] = {}
        for shard, names in by_shard.items():
            joined = "\n".join(names)
            # The names are joined on newlines, which a valid group name cannot contain.
            assert _GROUP_NAMES.fullmatch(joined), "Group name not valid"
            reply = await self.connection(shard).eval(
                _OCCUPIED_LUA,
                1,
                self._presence_key(),
                now - self.presence_expiry,
                now - self.group_expiry,
                f"{self.prefix}:group:",
                joined,
                1 if members else 0,
            )
            for line in reply.decode().split("\n") if reply else ():
                name, _, channel = line.partition("\t")
                channels = found.setdefault(name, [])
                if channel:
                    channels.append(channel)
        return found

    async def group_send_many(self, messages: Sequence[tuple[str, dict[str, Any]]]) -> int:
        """Send each `(group, message)`; returns the deliveries dropped as over capacity."""
        # Only occupied groups have members: a user nobody has a socket for costs nothing.
        members = await self._occupied_members(
            list(dict.fromkeys(group for group, _ in messages)), members=True
        )
        per_key = self._payloads_by_channel_key(
            [(message, members[group]) for group, message in messages if group in members]
        )
        dropped = 0
        by_shard: dict[int, list[str]] = defaultdict(list)
        for key in per_key:
            by_shard[self.consistent_hash(self._key_name(key))].append(key)
        for shard, keys in by_shard.items():
            dropped += await self._write(shard, keys, per_key)
        return dropped

    def _key_name(self, key: str) -> str:
        return key[len(self.prefix) :]

    def _payloads_by_channel_key(
        self, deliveries: list[tuple[dict[str, Any], list[str]]]
    ) -> dict[str, list[bytes]]:
        """(message, its group's channels) -> serialized payloads per channel key."""
        per_key: dict[str, list[bytes]] = defaultdict(list)
        for message, channels in deliveries:
            # Channels of one worker process share a Redis key; one copy per key carries
            # the list of its local channels, as the stock group_send does.
            local: dict[str, list[str]] = defaultdict(list)
            for channel in channels:
                name = self.non_local_name(channel) if "!" in channel else channel
                local[self.prefix + name].append(channel)
            for key, channel_names in local.items():
                per_key[key].append(self.serialize({**message, "__asgi_channel__": channel_names}))
        return per_key

    async def _write(self, shard: int, keys: list[str], per_key: dict[str, list[bytes]]) -> int:
        connection = self.connection(shard)
        dropped = 0
        for chunk in _chunks(keys, per_key):
            chunk_keys = [key for key, _ in chunk]
            args: list[Any] = [time.time(), self.expiry]
            for key, payloads in chunk:
                args += [len(payloads), self.get_capacity(self._key_name(key)), *payloads]
            dropped += int(
                await connection.eval(_SEND_MANY_LUA, len(chunk_keys), *chunk_keys, *args)
            )
        return dropped


def _chunks(
    keys: list[str], per_key: dict[str, list[bytes]]
) -> list[list[tuple[str, list[bytes]]]]:
    """Split the payloads into script calls of about _CHUNK messages, keeping key order."""
    chunks: list[list[tuple[str, list[bytes]]]] = [[]]
    size = 0
    for key in keys:
        payloads = per_key[key]
        for start in range(0, len(payloads), _CHUNK):
            part = payloads[start : start + _CHUNK]
            if size + len(part) > _CHUNK and chunks[-1]:
                chunks.append([])
                size = 0
            chunks[-1].append((key, part))
            size += len(part)
    return chunks
