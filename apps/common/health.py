"""Readiness checks: can this worker reach its database and its channel layer right now.

Each check gets its own timeout and they run concurrently, so a hung dependency costs a
probe at most one timeout and the answer names every part that is down.
"""

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from channels import DEFAULT_CHANNEL_LAYER
from channels.layers import get_channel_layer
from django.db import DEFAULT_DB_ALIAS, connections

# A hung database connect keeps its thread busy until the driver gives up. A pool of our
# own keeps such threads from filling the event loop's default executor, which DNS lookups
# and other libraries share; when both are busy the next probe times out, which is the
# right answer.
_database_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="readyz-db")

PROBE_EVENT = "readiness.probe"


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    duration_ms: float
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"status": "ok" if self.ok else "error"}
        body["duration_ms"] = round(self.duration_ms, 1)
        if self.error:
            body["error"] = self.error
        return body


@dataclass(frozen=True)
class Readiness:
    checks: dict[str, CheckResult] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.checks.values())

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "status": "ok" if self.ok else "error",
            "checks": {name: result.as_dict() for name, result in self.checks.items()},
        }
        if not self.ok:
            body["failing"] = [name for name, result in self.checks.items() if not result.ok]
        return body


async def check_database(alias: str = DEFAULT_DB_ALIAS) -> None:
    """Open a new connection and run `SELECT 1`; raises if the database is unreachable."""
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(_database_executor, _select_one, alias)


def _select_one(alias: str) -> None:
    # A connection of its own, closed at once: it neither reuses nor disturbs the
    # request thread's connection, and proves a new one can still be made.
    connection = connections.create_connection(alias)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()


async def check_channel_layer(alias: str = DEFAULT_CHANNEL_LAYER) -> None:
    """Send a message to a fresh channel of the layer and receive it back."""
    layer = get_channel_layer(alias)
    if layer is None:
        raise RuntimeError(f"no channel layer {alias!r} is configured")
    channel = await layer.new_channel()
    token = secrets.token_hex(8)
    await layer.send(channel, {"type": PROBE_EVENT, "token": token})
    message = await layer.receive(channel)
    if message.get("token") != token:
        raise RuntimeError("the channel layer returned a different message")


CHECKS: dict[str, Callable[[], Awaitable[None]]] = {
    "database": check_database,
    "channel_layer": check_channel_layer,
}


async def readiness(*, seconds: float) -> Readiness:
    """Run every check concurrently, each bounded by `seconds`."""
    names = list(CHECKS)
    results = await asyncio.gather(*(_timed(CHECKS[name], seconds) for name in names))
    return Readiness(checks=dict(zip(names, results, strict=True)))


async def _timed(check: Callable[[], Awaitable[None]], seconds: float) -> CheckResult:
    started = time.perf_counter()
    error = None
    try:
        async with asyncio.timeout(seconds):
            await check()
    except TimeoutError:
        error = f"timed out after {seconds:g}s"
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
    return CheckResult(
        ok=error is None, duration_ms=(time.perf_counter() - started) * 1000, error=error
    )
