"""Database reads from async code, side by side when the connections are pooled.

Channels' `database_sync_to_async` runs every call of a worker process on one thread, one at
a time, so a thousand WebSocket handshakes queue behind each other. With a connection pool
(`DATABASES["default"]["OPTIONS"]["pool"]`, see project/settings/env.py) a call borrows a
connection and returns it when it ends (CONN_MAX_AGE=0), so nothing ties it to a thread:
`database_reader` then runs calls on DATABASE_ASYNC_THREADS threads at once. Without a
pool (SQLite, persistent connections, the test process) each thread would keep a connection
of its own, so calls stay on Channels' single thread.

Only for reads in autocommit: a transaction must begin and end within one call anyway.

On the pooled path a call is a plain `run_in_executor`: asgiref's SyncToAsync copies and
restores the context, shields the future and looks up a thread-sensitive executor on every
call, a share of a worker's CPU that shows in a reconnect storm (two reads per handshake), for
nothing these reads use (Django's connections are per thread, not per context). Like
SyncToAsync, a cancelled caller stops waiting while the thread finishes the query.
"""

import asyncio
import functools
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from channels.db import DatabaseSyncToAsync
from django.conf import settings
from django.db import close_old_connections, connections

P = ParamSpec("P")
R = TypeVar("R")

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def pooled() -> bool:
    """Whether the default database hands out connections from a pool."""
    # The settings dict, not connections["default"]: that is a per-thread lookup.
    return bool(connections.settings["default"].get("OPTIONS", {}).get("pool"))


def _shared_executor() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                max_workers=settings.DATABASE_ASYNC_THREADS, thread_name_prefix="db-reader"
            )
        return _executor


def database_reader(function: Callable[P, R]) -> Callable[P, Coroutine[Any, Any, R]]:
    """`function` as a coroutine function that runs it on a database thread, closing stale
    connections around it as Channels does."""

    async def call(*args: P.args, **kwargs: P.kwargs) -> R:
        if not pooled():
            return await DatabaseSyncToAsync(function)(*args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(
            _shared_executor(), functools.partial(_closing_connections, function, args, kwargs)
        )

    return call


def _closing_connections(function: Callable[..., R], args: Any, kwargs: Any) -> R:
    """`function(*args, **kwargs)` between two `close_old_connections()`, as Channels'
    DatabaseSyncToAsync does: a pooled connection goes back to the pool when it ends."""
    close_old_connections()
    try:
        return function(*args, **kwargs)
    finally:
        close_old_connections()
