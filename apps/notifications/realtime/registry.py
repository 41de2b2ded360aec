"""The connections this worker process holds, and per-event-loop state in general."""

import asyncio
import weakref
from collections.abc import Callable
from typing import Protocol, TypeVar

T = TypeVar("T")


class Connection(Protocol):
    """What the registry and the reconciler need of an open socket."""

    user_id: int
    channel_name: str

    @property
    def last_id(self) -> int: ...

    async def catch_up(self) -> None: ...

    async def resync(self) -> None: ...


class Registry:
    """Open connections by user, for the per-user socket limit and the reconciler."""

    def __init__(self) -> None:
        self.connections: set[Connection] = set()
        self._per_user: dict[int, int] = {}

    def register(self, connection: Connection) -> None:
        if connection in self.connections:
            return
        self.connections.add(connection)
        self._per_user[connection.user_id] = self.open_for(connection.user_id) + 1

    def unregister(self, connection: Connection) -> bool:
        """Forget a connection; False if it was never registered (a refused handshake)."""
        if connection not in self.connections:
            return False
        self.connections.discard(connection)
        remaining = self._per_user.pop(connection.user_id, 1) - 1
        if remaining:
            self._per_user[connection.user_id] = remaining
        return True

    def open_for(self, user_id: int) -> int:
        """How many of the user's sockets this worker holds."""
        return self._per_user.get(user_id, 0)


def per_loop(factory: Callable[[], T]) -> Callable[[], T]:
    """One instance of `factory()` per event loop: a worker process runs one loop, and
    tests run many, each of which must start from nothing."""
    instances: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = weakref.WeakKeyDictionary()

    def get() -> T:
        loop = asyncio.get_running_loop()
        if loop not in instances:
            instances[loop] = factory()
        return instances[loop]

    return get


local_registry = per_loop(Registry)
