"""Posting encrypted pushes to push services (RFC 8030, 8291, 8292).

Every push of a task runs on this process's event loop (eventloop.py): one aiohttp session
per process keeps connections to each push service alive, and RIPPLE_WEBPUSH_CONCURRENCY
requests are in flight at once, each bounded by RIPPLE_WEBPUSH_TIMEOUT_SECONDS. One loop
rather than a pool of threads: the threads spent more time handing the GIL to each other
and in urllib3's per-request machinery than in the requests (bench_webpush: 1,415 pushes/s
with 16 threads and urllib3). Encryption is pywebpush's RFC 8291 aes128gcm, with a fresh
ephemeral ECDH key and salt for every message; only the decoded subscription keys are kept
for the batch. The VAPID header comes from the per-origin token cache. The caller decides
what to do with each outcome.
"""

import asyncio
import atexit
import contextlib
import enum
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp
from django.conf import settings
from pywebpush import WebPusher

from . import eventloop
from .addresses import NotPublic, PublicResolver
from .keys import VapidKeys, tokens


class Outcome(enum.Enum):
    SENT = "sent"
    GONE = "gone"  # 404/410: the subscription expired or was revoked; delete it
    RETRY = "retry"  # 429/5xx or no answer: try again later
    FAILED = "failed"  # any other answer (400, 413...): trying again would not help


@dataclass(frozen=True)
class Target:
    subscription_id: int
    endpoint: str
    p256dh: str
    auth: str


@dataclass(frozen=True)
class Message:
    target: Target
    payload: bytes
    ttl: int
    urgency: str  # RFC 8030 §5.3: very-low, low, normal, high
    topic: str | None = None
    notification_id: int | None = None


@dataclass(frozen=True)
class Result:
    message: Message
    outcome: Outcome
    status: int | None = None
    retry_after: float | None = None


_session: tuple[tuple[int, bool], aiohttp.ClientSession] | None = None


def _http_session() -> aiohttp.ClientSession:
    """This process's session; called on the event loop only, so it needs no lock. A forked
    child makes its own (sockets don't fork), and so does a change of address policy."""
    global _session
    key = (os.getpid(), settings.RIPPLE_WEBPUSH_ALLOW_HTTP)
    if _session is None or _session[0] != key or _session[1].closed:
        if _session is not None and _session[0][0] == key[0]:
            # The policy changed (tests): close the old connections on this loop.
            asyncio.ensure_future(_session[1].close())
        concurrency = max(1, settings.RIPPLE_WEBPUSH_CONCURRENCY)
        connector = aiohttp.TCPConnector(
            limit=max(100, concurrency),
            limit_per_host=concurrency,
            ttl_dns_cache=300,
            # Development and tests push to a service on loopback.
            resolver=None if settings.RIPPLE_WEBPUSH_ALLOW_HTTP else PublicResolver(),
        )
        # Push services answer with an empty or tiny body: nothing to decompress.
        session = aiohttp.ClientSession(connector=connector, auto_decompress=False)
        _session = (key, session)
        atexit.register(_close, session)
    return _session[1]


def _close(session: aiohttp.ClientSession) -> None:
    """At exit, while the loop's daemon thread still runs: close the kept-alive
    connections rather than leave them to the garbage collector's warnings."""
    with contextlib.suppress(Exception):
        eventloop.run(session.close(), 2.0)


def send_all(messages: Sequence[Message], keys: VapidKeys) -> list[Result]:
    """Send every message, RIPPLE_WEBPUSH_CONCURRENCY at a time; results in input order.

    Each request is bounded by RIPPLE_WEBPUSH_TIMEOUT_SECONDS, so the whole batch is too;
    the wait here is bounded again in case the loop itself is stuck, and what has no answer
    by then comes back as RETRY.
    """
    if not messages:
        return []
    results: list[Result | None] = [None] * len(messages)
    concurrency = max(1, min(settings.RIPPLE_WEBPUSH_CONCURRENCY, len(messages)))
    rounds = math.ceil(len(messages) / concurrency)
    # Every request may use its whole timeout, and encryption takes well under 10 ms.
    bound = rounds * settings.RIPPLE_WEBPUSH_TIMEOUT_SECONDS + len(messages) * 0.01 + 5.0
    with contextlib.suppress(TimeoutError):
        eventloop.run(_send_batch(messages, keys, concurrency, results), bound)
    return [
        result if result is not None else Result(message, Outcome.RETRY)
        for message, result in zip(messages, results, strict=True)
    ]


async def _send_batch(
    messages: Sequence[Message], keys: VapidKeys, concurrency: int, results: list[Result | None]
) -> None:
    session = _http_session()
    limit = aiohttp.ClientTimeout(total=settings.RIPPLE_WEBPUSH_TIMEOUT_SECONDS)
    pending = iter(enumerate(messages))
    # A subscription's keys are decoded once per batch (one browser gets every message of
    # a burst); WebPusher.encode still makes a new ephemeral key and salt every call.
    pushers: dict[Target, WebPusher | None] = {}

    async def lane() -> None:
        for index, message in pending:
            results[index] = await _send_one(session, limit, message, keys, pushers)

    await asyncio.gather(*(lane() for _ in range(concurrency)))


async def _send_one(
    session: aiohttp.ClientSession,
    limit: aiohttp.ClientTimeout,
    message: Message,
    keys: VapidKeys,
    pushers: dict[Target, WebPusher | None],
) -> Result:
    target = message.target
    body = _encrypt(message, pushers)
    if body is None:
        # Keys that pass validation but are not a curve point: the browser cannot be reached.
        return Result(message, Outcome.GONE)
    parts = urlsplit(target.endpoint)
    headers = {
        "Authorization": tokens.header(keys, f"{parts.scheme}://{parts.netloc}"),
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        "TTL": str(message.ttl),
        "Urgency": message.urgency,
    }
    if message.topic:
        headers["Topic"] = message.topic
    try:
        async with session.post(
            target.endpoint, data=body, headers=headers, timeout=limit, allow_redirects=False
        ) as response:
            await response.read()
            status = response.status
            retry_after = response.headers.get("Retry-After", "")
    except aiohttp.ClientConnectorError as error:
        if isinstance(error.os_error, NotPublic):
            # Not a push service: retrying would knock on the same private door.
            return Result(message, Outcome.GONE)
        return Result(message, Outcome.RETRY)
    except (aiohttp.ClientError, TimeoutError, OSError):
        return Result(message, Outcome.RETRY)
    if 200 <= status < 300:
        return Result(message, Outcome.SENT, status)
    if status in (404, 410):
        return Result(message, Outcome.GONE, status)
    if status == 429 or status >= 500:
        return Result(message, Outcome.RETRY, status, _retry_after(retry_after))
    return Result(message, Outcome.FAILED, status)


def _encrypt(message: Message, pushers: dict[Target, WebPusher | None]) -> bytes | None:
    target = message.target
    if target not in pushers:
        info = {"endpoint": target.endpoint, "keys": {"p256dh": target.p256dh, "auth": target.auth}}
        try:
            pushers[target] = WebPusher(info)
        except Exception:
            pushers[target] = None
    pusher = pushers[target]
    if pusher is None:
        return None
    try:
        body: bytes = pusher.encode(message.payload, "aes128gcm")["body"]
    except Exception:
        return None
    return body


def _retry_after(value: str) -> float | None:
    """Retry-After in seconds (the HTTP-date form is rare from push services: ignored)."""
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
