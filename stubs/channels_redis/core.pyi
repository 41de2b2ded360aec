import asyncio
from collections import defaultdict
from typing import Any

from channels.layers import BaseChannelLayer, _ChannelCapacityDict
from redis.asyncio import Redis

class RedisChannelLayer(BaseChannelLayer):
    brpop_timeout: int
    group_expiry: int
    prefix: str
    hosts: list[dict[str, Any]]
    ring_size: int
    client_prefix: str
    receive_buffer: defaultdict[str, asyncio.Queue[dict[str, Any]]]

    def __init__(
        self,
        hosts: Any = None,
        prefix: str = "asgi",
        expiry: int = 60,
        group_expiry: int = 86400,
        capacity: int = 100,
        channel_capacity: _ChannelCapacityDict | None = None,
        symmetric_encryption_keys: Any = None,
        random_prefix_length: int = 12,
        serializer_format: str = "msgpack",
    ) -> None: ...
    async def receive_single(self, channel: str) -> tuple[Any, dict[str, Any]]: ...
    def _group_key(self, group: str) -> bytes: ...
    def serialize(self, message: dict[str, Any]) -> bytes: ...
    def deserialize(self, message: bytes) -> dict[str, Any]: ...
    def consistent_hash(self, value: str) -> int: ...
    def connection(self, index: int) -> Redis: ...
    async def close_pools(self) -> None: ...
