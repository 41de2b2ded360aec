"""This process's event loop for Web Push: a daemon thread started on first use.

The presence lookups (delivery) and the pushes themselves (sender) run on it, so the
channel layer's Redis connections and the push services' kept-alive HTTP connections
outlive each task (a new loop per call would open new ones every time). A forked worker
process does not inherit the thread: it starts its own.
"""

import asyncio
import os
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

_T = TypeVar("_T")
_loop: tuple[int, asyncio.AbstractEventLoop] | None = None
_lock = threading.Lock()


def loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None or _loop[0] != os.getpid():
            new_loop = asyncio.new_event_loop()
            threading.Thread(target=new_loop.run_forever, name="webpush-loop", daemon=True).start()
            _loop = (os.getpid(), new_loop)
        return _loop[1]


def submit(coroutine: Coroutine[Any, Any, _T]) -> "Future[_T]":
    return asyncio.run_coroutine_threadsafe(coroutine, loop())


def run(coroutine: Coroutine[Any, Any, _T], timeout: float) -> _T:
    """The coroutine's result, waited for at most `timeout` seconds (then cancelled, and
    TimeoutError raised)."""
    future = submit(coroutine)
    try:
        return future.result(timeout)
    except TimeoutError:
        future.cancel()
        raise
