"""A small real WebSocket and HTTP client for tests against running workers."""

import asyncio
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect


async def ws_connect(base_url: str, token: str, query: str = "") -> ClientConnection:
    url = f"{base_url}/ws/notifications/{'?' + query if query else ''}"
    return await connect(url, additional_headers={"Authorization": f"Token {token}"})


async def recv_json(ws: ClientConnection, timeout: float = 5) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def recv_nothing(ws: ClientConnection, timeout: float = 0.5) -> bool:
    try:
        await asyncio.wait_for(ws.recv(), timeout)
    except TimeoutError:
        return True
    return False


async def recv_no_notification(ws: ClientConnection, timeout: float) -> bool:
    """Whether no notification frame (one with an `id`) arrives within `timeout`; control
    frames, such as the `synced` a worker sends every socket once its Redis is back, may."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            frame = await recv_json(ws, timeout=left)
        except TimeoutError:
            return True
        if "id" in frame:
            return False
    return True


async def recv_nothing_on_each(sockets: Iterable[ClientConnection], timeout: float) -> list[bool]:
    """`recv_nothing` on every socket over one shared window: each socket is watched for the
    whole `timeout`, and the test waits it out once rather than once per socket."""
    return list(await asyncio.gather(*(recv_nothing(ws, timeout) for ws in sockets)))


def http_json(
    method: str, url: str, token: str, body: dict | None = None
) -> tuple[int, dict[str, Any]]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(  # noqa: S310 - tests only call local workers
        url,
        data=data,
        method=method,
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


async def ahttp_json(method: str, url: str, token: str, body: dict | None = None):
    return await asyncio.to_thread(http_json, method, url, token, body)


async def collect(ws: ClientConnection, count: int, timeout: float) -> list[int]:
    """Ids of notification frames read until `count` arrived or `timeout` passed; control
    frames (synced, unread_count, ...) carry no id and are skipped."""
    ids: list[int] = []
    deadline = time.monotonic() + timeout
    while len(ids) < count and time.monotonic() < deadline:
        try:
            frame = await recv_json(ws, timeout=max(0.01, deadline - time.monotonic()))
        except TimeoutError:
            break
        if "id" in frame:
            ids.append(frame["id"])
    return ids
