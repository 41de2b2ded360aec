"""Posting encrypted pushes to push services (RFC 8030, 8291, 8292).

One urllib3 pool manager per worker process (created after the fork), shared by a task's
sender threads, keeps connections to each push service alive; every request has a timeout.
(requests, which pywebpush uses, costs about 2.5 times as much per request: bench_webpush.)
Encryption is pywebpush's RFC 8291 aes128gcm; the VAPID header comes from the per-origin
token cache. The caller decides what to do with each outcome.
"""

import enum
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from pywebpush import WebPusher

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


_pool: tuple[int, urllib3.PoolManager] | None = None
_pool_lock = threading.Lock()


def http_pool() -> urllib3.PoolManager:
    """This process's connection pools; a forked child makes its own (sockets don't fork)."""
    global _pool
    pid = os.getpid()
    current = _pool
    if current is not None and current[0] == pid:
        return current[1]
    with _pool_lock:
        if _pool is None or _pool[0] != pid:
            timeout = settings.RIPPLE_WEBPUSH_TIMEOUT_SECONDS
            pool = urllib3.PoolManager(
                num_pools=32,
                maxsize=max(10, settings.RIPPLE_WEBPUSH_CONCURRENCY),
                retries=False,
                timeout=urllib3.Timeout(connect=timeout, read=timeout),
            )
            _pool = (pid, pool)
        return _pool[1]


def send_all(messages: Sequence[Message], keys: VapidKeys) -> list[Result]:
    """Send every message, RIPPLE_WEBPUSH_CONCURRENCY at a time; results in input order."""
    if not messages:
        return []
    workers = min(settings.RIPPLE_WEBPUSH_CONCURRENCY, len(messages))
    if workers <= 1:
        return [send_one(message, keys) for message in messages]
    with ThreadPoolExecutor(workers, thread_name_prefix="webpush") as pool:
        return list(pool.map(lambda message: send_one(message, keys), messages))


def send_one(message: Message, keys: VapidKeys) -> Result:
    target = message.target
    info = {"endpoint": target.endpoint, "keys": {"p256dh": target.p256dh, "auth": target.auth}}
    try:
        body = WebPusher(info).encode(message.payload, "aes128gcm")["body"]
    except Exception:
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
        response = http_pool().request("POST", target.endpoint, body=body, headers=headers)
    except urllib3.exceptions.HTTPError:
        return Result(message, Outcome.RETRY)
    status = response.status
    if 200 <= status < 300:
        return Result(message, Outcome.SENT, status)
    if status in (404, 410):
        return Result(message, Outcome.GONE, status)
    if status == 429 or status >= 500:
        return Result(message, Outcome.RETRY, status, _retry_after(response))
    return Result(message, Outcome.FAILED, status)


def _retry_after(response: urllib3.BaseHTTPResponse) -> float | None:
    """Retry-After in seconds (the HTTP-date form is rare from push services: ignored)."""
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
