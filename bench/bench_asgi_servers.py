"""ASGI server choice: uvicorn vs daphne.

One worker of each server (`scripts/workers.py`) runs against the benchmark database and
Redis, and is loaded from this process over 127.0.0.1 with a bounded load: keep-alive HTTP
clients calling `GET /api/me/` with a token, then WebSocket connections to
`/ws/notifications/` (token header) that are opened, pinged and closed.
"""

import asyncio
import contextlib
import json
import os
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, WebSocketException

from bench.db import bench_database_url, seed_tokens, seed_users, use_bench_database
from bench.report import Table
from scripts.workers import Worker, running_workers

SERVERS = ("uvicorn", "daphne")
HTTP_CONCURRENCY = 20
HTTP_WARMUP_SECONDS = 0.5
HTTP_SECONDS = 4.0
WS_CONNECTIONS = 200
WS_CONNECT_CONCURRENCY = 10
PINGS_PER_SOCKET = 5
BURST_ROUNDS = 5
TIMEOUT = 10.0


@dataclass
class ServerResult:
    http_requests: int = 0
    http_seconds: float = 0.0
    http_latencies: list[float] = field(default_factory=list)
    http_errors: int = 0
    connect_times: list[float] = field(default_factory=list)
    connect_errors: int = 0
    rtts: list[float] = field(default_factory=list)
    burst_rtts: list[float] = field(default_factory=list)
    ws_errors: int = 0
    rss_per_socket_kb: float = 0.0
    sessions_per_request: float = 0.0
    sessions_per_socket: float = 0.0


def run() -> list[Table]:
    use_bench_database()
    # One user per socket: the consumer allows a few sockets per user and worker.
    keys = seed_tokens(user_ids=seed_users(prefix="bench-asgi-", count=WS_CONNECTIONS))
    env = {"DATABASE_URL": bench_database_url(), "REDIS_URL": os.environ["REDIS_URL"]}
    results = {}
    for server in SERVERS:
        with running_workers(1, server=server, env=env) as pool:
            results[server] = asyncio.run(_measure(pool.workers[0], keys))
    return [_table(results)]


async def _measure(worker: Worker, keys: list[str]) -> ServerResult:
    async with await psycopg.AsyncConnection.connect(
        bench_database_url(), autocommit=True
    ) as stats:
        result = await _measure_with(worker, keys, stats)
    failures = result.http_errors + result.connect_errors + result.ws_errors
    if failures:
        raise RuntimeError(
            f"{worker.http_url}: {result.http_errors} non-200 responses, "
            f"{result.connect_errors} refused handshakes, {result.ws_errors} failed pings\n"
            f"{worker.log()[-4000:]}"
        )
    return result


async def _measure_with(
    worker: Worker, keys: list[str], stats: psycopg.AsyncConnection
) -> ServerResult:
    result = ServerResult()
    await _http_load(worker.port, keys[0], HTTP_WARMUP_SECONDS, ServerResult())
    sessions = await _pg_sessions(stats)
    await _http_load(worker.port, keys[0], HTTP_SECONDS, result)
    result.sessions_per_request = (await _pg_sessions(stats) - sessions) / result.http_requests
    rss_before = _rss_kb(worker.process.pid)
    sessions = await _pg_sessions(stats)
    sockets = await _open_sockets(f"{worker.ws_url}/ws/notifications/", keys, result)
    try:
        if not sockets:
            raise RuntimeError(f"no WebSocket connected to {worker.ws_url}:\n{worker.log()}")
        result.sessions_per_socket = (await _pg_sessions(stats) - sessions) / len(sockets)
        result.rss_per_socket_kb = (_rss_kb(worker.process.pid) - rss_before) / len(sockets)
        for _ in range(PINGS_PER_SOCKET):
            for ws in sockets:
                result.rtts += await _ping(ws, result)
        for _ in range(BURST_ROUNDS):
            rounds = await asyncio.gather(*(_ping(ws, result) for ws in sockets))
            result.burst_rtts += [rtt for rtt_list in rounds for rtt in rtt_list]
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    return result


# --- HTTP ---------------------------------------------------------------------------------


async def _http_load(port: int, key: str, seconds: float, result: ServerResult) -> None:
    """HTTP_CONCURRENCY keep-alive connections sending requests back to back for `seconds`."""
    request = (
        f"GET /api/me/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Token {key}\r\nAccept: application/json\r\n\r\n"
    ).encode()
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(_http_client(port, request, deadline, result) for _ in range(HTTP_CONCURRENCY))
    )
    result.http_seconds = time.perf_counter() - started
    result.http_requests = len(result.http_latencies)


async def _http_client(port: int, request: bytes, deadline: float, result: ServerResult) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while (sent := time.perf_counter()) < deadline:
            writer.write(request)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
            await reader.readexactly(_content_length(head))
            result.http_latencies.append(time.perf_counter() - sent)
            if not head.startswith(b"HTTP/1.1 200 "):
                result.http_errors += 1
            if b"\r\nconnection: close" in head.lower():
                break
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def _content_length(head: bytes) -> int:
    for line in head.lower().split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name == b"content-length":
            return int(value)
    raise RuntimeError(f"response without Content-Length: {head!r}")


# --- WebSocket ----------------------------------------------------------------------------


async def _open_sockets(url: str, keys: list[str], result: ServerResult) -> list[ClientConnection]:
    """Open one socket per key, WS_CONNECT_CONCURRENCY handshakes at a time."""
    gate = asyncio.Semaphore(WS_CONNECT_CONCURRENCY)

    async def open_one(key: str) -> ClientConnection | None:
        headers = {"Authorization": f"Token {key}"}
        async with gate:
            started = time.perf_counter()
            try:
                ws = await connect(
                    url,
                    additional_headers=headers,
                    compression=None,  # neither server is asked to compress
                    proxy=None,
                    open_timeout=TIMEOUT,
                    ping_interval=None,
                )
            except (OSError, TimeoutError, InvalidHandshake):
                result.connect_errors += 1
                return None
            result.connect_times.append(time.perf_counter() - started)
            return ws

    opened = await asyncio.gather(*(open_one(key) for key in keys))
    return [ws for ws in opened if ws is not None]


async def _ping(ws: ClientConnection, result: ServerResult) -> list[float]:
    """[seconds from sending {"type": "ping"} to receiving {"type": "pong"}], or [] if failed."""
    started = time.perf_counter()
    try:
        await ws.send('{"type":"ping"}')
        while True:
            reply = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
            if reply == {"type": "pong"}:
                break
            if reply.get("type") == "error":
                raise RuntimeError(f"ping answered with {reply}")
            # Otherwise a replayed or pushed frame; the pong follows.
    except (TimeoutError, WebSocketException, RuntimeError):
        result.ws_errors += 1
        return []
    return [time.perf_counter() - started]


async def _pg_sessions(stats: psycopg.AsyncConnection) -> int:
    """Sessions ever opened on the benchmark database (PostgreSQL 14+)."""
    cursor = await stats.execute(
        "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
    )
    row = await cursor.fetchone()
    assert row is not None, "pg_stat_database has a row for every database"
    count: int = row[0]
    return count


# --- Report -------------------------------------------------------------------------------


def _rss_kb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return float(line.split()[1])
    return 0.0


def _ms(values: Sequence[float], quantile: int) -> float:
    """The `quantile`-th percentile of `values` (seconds), in milliseconds."""
    if quantile == 50:
        return statistics.median(values) * 1000
    return statistics.quantiles(values, n=100, method="inclusive")[quantile - 1] * 1000


def _table(results: dict[str, ServerResult]) -> Table:
    uvicorn, daphne = results["uvicorn"], results["daphne"]
    rows: list[tuple[str, float, float]] = [
        (
            f"HTTP GET /api/me/ req/s (concurrency {HTTP_CONCURRENCY})",
            uvicorn.http_requests / uvicorn.http_seconds,
            daphne.http_requests / daphne.http_seconds,
        ),
        ("HTTP latency p50 ms", _ms(uvicorn.http_latencies, 50), _ms(daphne.http_latencies, 50)),
        ("HTTP latency p99 ms", _ms(uvicorn.http_latencies, 99), _ms(daphne.http_latencies, 99)),
        ("WS connect p50 ms", _ms(uvicorn.connect_times, 50), _ms(daphne.connect_times, 50)),
        ("WS connect p99 ms", _ms(uvicorn.connect_times, 99), _ms(daphne.connect_times, 99)),
        ("ping->pong p50 ms, one at a time", _ms(uvicorn.rtts, 50), _ms(daphne.rtts, 50)),
        ("ping->pong p99 ms, one at a time", _ms(uvicorn.rtts, 99), _ms(daphne.rtts, 99)),
        (
            f"ping->pong p50 ms, {WS_CONNECTIONS} at once",
            _ms(uvicorn.burst_rtts, 50),
            _ms(daphne.burst_rtts, 50),
        ),
        (
            f"ping->pong p99 ms, {WS_CONNECTIONS} at once",
            _ms(uvicorn.burst_rtts, 99),
            _ms(daphne.burst_rtts, 99),
        ),
        ("worker RSS per open socket KB", uvicorn.rss_per_socket_kb, daphne.rss_per_socket_kb),
    ]
    table = Table(
        title="uvicorn vs daphne, one worker each",
        columns=["measure", "uvicorn", "daphne", "uvicorn / daphne"],
    )
    for name, left, right in rows:
        table.add(name, left, right, f"{left / right:.2f}" if right else "-")
    table.notes += _notes(results)
    return table


def _notes(results: dict[str, ServerResult]) -> list[str]:
    sessions = ", ".join(
        f"{server}: {r.sessions_per_request:.1f} per HTTP request, "
        f"{r.sessions_per_socket:.1f} per WebSocket handshake"
        for server, r in results.items()
    )
    counts = ", ".join(
        f"{server}: {r.http_requests:,} requests ({r.http_errors} non-200), "
        f"{len(r.connect_times)} sockets ({r.connect_errors} refused), {r.ws_errors} ping errors"
        for server, r in results.items()
    )
    return [
        "uvicorn / daphne above 1 favours uvicorn for req/s; below 1 favours it for times "
        "and memory.",
        f"HTTP: {HTTP_CONCURRENCY} keep-alive connections for {HTTP_SECONDS:.0f} s after a "
        f"{HTTP_WARMUP_SECONDS} s warm-up; latency is send to last body byte.",
        f"WS: {WS_CONNECTIONS} sockets with an `Authorization: Token` header, "
        f"{WS_CONNECT_CONCURRENCY} handshakes at a time, no compression; "
        f"{PINGS_PER_SOCKET} sequential pings per socket, then {BURST_ROUNDS} rounds of all "
        "sockets pinging at once.",
        "The client runs in this process on the same 2-core machine as the worker, PostgreSQL "
        "and Redis; both servers see the same load. Settings: project.settings.dev, "
        "CONN_MAX_AGE=0 and no pool (the defaults), so the worker opens a PostgreSQL "
        f"connection for each request and each database call: sessions opened {sessions}.",
        counts,
    ]
