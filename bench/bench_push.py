"""Realtime push: latency of a post to F friends across two workers; memory per idle socket.

Two uvicorn workers share PostgreSQL and Redis. Every friend of an author holds a WebSocket
(`/ws/notifications/`, token header) to one of the two workers, split evenly; the author posts
over HTTP to worker A, and each socket's `new_post` frame is timed against the moment the
POST was sent and the moment its response returned. Each push mode gets its own pair of
workers: `RIPPLE_PUSH_BULK=true` (`group_send_many`) and `false` (one stock `group_send` per
recipient). The sockets of each worker live in their own client process (one asyncio loop
each, spreading the client over both cores); timestamps are `time.time()`, comparable across
processes.

Idle memory per connection is a worker's VmRSS after its sockets connected minus before,
divided by their number.
"""

import asyncio
import http.client
import json
import multiprocessing
import os
import resource
import statistics
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import redis
import uvloop
from django.db import connection
from websockets.asyncio.client import connect as ws_connect

from bench.db import bench_database_url, seed_friendships, seed_users, use_bench_database
from bench.report import Table
from scripts.workers import Worker, running_workers

FANOUTS = (1_000, 10_000)
CONNECT_CONCURRENCY = 200
REDIS_POOL = 1_000
OPEN_FILES = 20_000
COLLECT_TIMEOUT = 60.0
PREFIX = "bench-push"

# (user id, token key)
Account = tuple[int, str]


# --- Seed data ---------------------------------------------------------------------------


def _seed() -> tuple[dict[int, Account], list[Account]]:
    """Authors {F: account} and the friends in order; the author of F has the first F."""
    friend_ids = _users(prefix=f"{PREFIX}-friend-", count=max(FANOUTS))
    author_ids = _users(prefix=f"{PREFIX}-author-", count=len(FANOUTS))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT user_id, count(*) FROM friends_friendship WHERE user_id = ANY(%s) "
            "GROUP BY user_id",
            [author_ids],
        )
        seeded = dict(cursor.fetchall())
    for author_id, fanout in zip(author_ids, FANOUTS, strict=True):
        if seeded.get(author_id) != fanout:
            seed_friendships(user_id=author_id, friend_ids=friend_ids[:fanout])
    keys = _seed_tokens([*author_ids, *friend_ids])
    with connection.cursor() as cursor:
        # Earlier runs' posts and their notifications.
        cursor.execute(
            "DELETE FROM notifications_notification WHERE actor_id = ANY(%s)", [author_ids]
        )
        cursor.execute("DELETE FROM posts_post WHERE author_id = ANY(%s)", [author_ids])
    authors = {f: (a, keys[a]) for a, f in zip(author_ids, FANOUTS, strict=True)}
    return authors, [(f, keys[f]) for f in friend_ids]


def _users(*, prefix: str, count: int) -> list[int]:
    """The ids of users `<prefix>1` .. `<prefix><count>`, seeded only if any is missing."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT u.id FROM generate_series(1, %s) g "
            "JOIN accounts_user u ON u.username = %s || g ORDER BY g",
            [count, prefix],
        )
        ids = [row[0] for row in cursor.fetchall()]
    return ids if len(ids) == count else seed_users(prefix=prefix, count=count)


def _seed_tokens(user_ids: list[int]) -> dict[int, str]:
    """DRF token rows (40 hex characters) for the users, one statement; {user id: key}."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO authtoken_token (key, user_id, created) "
            "SELECT md5(%s || u.id) || left(md5(u.id || %s), 8), u.id, now() "
            "FROM unnest(%s::bigint[]) AS u(id) ON CONFLICT DO NOTHING",
            [PREFIX, PREFIX, user_ids],
        )
        cursor.execute(
            "SELECT user_id, key FROM authtoken_token WHERE user_id = ANY(%s)", [user_ids]
        )
        return dict(cursor.fetchall())


# --- Client processes --------------------------------------------------------------------


class _Client:
    """WebSockets to one worker; records when each `new_post` frame arrives, per post id."""

    def __init__(self) -> None:
        self.sockets: list[Any] = []
        self.arrivals: dict[int, list[float]] = defaultdict(list)

    async def connect(self, url: str, tokens: Sequence[str]) -> dict[str, Any]:
        gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        failures: list[str] = []

        async def one(token: str) -> None:
            async with gate:
                try:
                    socket = await ws_connect(
                        url,
                        additional_headers={"Authorization": f"Token {token}"},
                        max_size=2**20,
                        ping_interval=None,
                        open_timeout=60,
                        proxy=None,
                    )
                except Exception as exc:  # counted and reported
                    failures.append(f"{type(exc).__name__}: {str(exc)[:80]}")
                    return
                self.sockets.append(socket)
                asyncio.get_running_loop().create_task(self._read(socket))

        started = time.perf_counter()
        await asyncio.gather(*(one(token) for token in tokens))
        return {
            "connected": len(tokens) - len(failures),
            "seconds": time.perf_counter() - started,
            "failures": sorted(set(failures))[:3],
            "failed": len(failures),
        }

    async def _read(self, socket: Any) -> None:
        try:
            async for raw in socket:
                now = time.time()
                frame = json.loads(raw)
                if frame.get("type") == "new_post":
                    self.arrivals[frame["data"]["id"]].append(now)
        except Exception:  # noqa: S110 - a dropped socket shows up as a missing frame
            pass

    async def collect(self, post_id: int, expected: int, timeout: float) -> list[float]:
        deadline = time.monotonic() + timeout
        while len(self.arrivals[post_id]) < expected and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        # A moment longer, to catch duplicates.
        await asyncio.sleep(0.2)
        return self.arrivals.pop(post_id)

    async def close(self) -> None:
        await asyncio.gather(*(s.close() for s in self.sockets), return_exceptions=True)


async def _serve_client(pipe: Connection) -> None:
    client = _Client()
    loop = asyncio.get_running_loop()
    while True:
        command, args = await loop.run_in_executor(None, pipe.recv)
        if command == "connect":
            pipe.send(await client.connect(*args))
        elif command == "collect":
            pipe.send(await client.collect(*args))
        else:
            await client.close()
            pipe.send(None)
            return


def _client_main(pipe: Connection, fast_loop: bool = False) -> None:
    if fast_loop:
        uvloop.run(_serve_client(pipe))
    else:
        asyncio.run(_serve_client(pipe))


@contextmanager
def _clients(count: int, *, fast_loop: bool = False) -> Iterator[list[Connection]]:
    """`count` client processes; with `fast_loop` on uvloop, as the workers run."""
    context = multiprocessing.get_context("fork")
    pipes, processes = [], []
    try:
        for _ in range(count):
            ours, theirs = context.Pipe()
            process = context.Process(target=_client_main, args=(theirs, fast_loop), daemon=True)
            process.start()
            pipes.append(ours)
            processes.append(process)
        yield pipes
    finally:
        for pipe, process in zip(pipes, processes, strict=True):
            if process.is_alive():
                try:
                    pipe.send(("close", ()))
                    if pipe.poll(30):
                        pipe.recv()
                except OSError:
                    pass
            process.join(10)
            if process.is_alive():
                process.kill()
                process.join(5)


def _ask_all(pipes: list[Connection], command: str, args: list[tuple[Any, ...]]) -> list[Any]:
    for pipe, arg in zip(pipes, args, strict=True):
        pipe.send((command, arg))
    return [pipe.recv() for pipe in pipes]


# --- One push mode -----------------------------------------------------------------------


@dataclass
class _Delivery:
    fanout: int
    post_seconds: float
    sent_at: float
    returned_at: float
    arrivals: list[float]
    # CPU seconds both workers spent from just before the POST until the last frame.
    worker_cpu: float

    def percentiles(self, since: float) -> tuple[float, float, float]:
        latencies = sorted((t - since) * 1000 for t in self.arrivals)
        if not latencies:
            return (float("nan"),) * 3
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        return statistics.median(latencies), p99, latencies[-1]


@dataclass
class _ModeResult:
    bulk: bool
    deliveries: list[_Delivery] = field(default_factory=list)
    connect_seconds: list[float] = field(default_factory=list)
    # (worker, connections, RSS before KiB, RSS after KiB)
    memory: list[tuple[str, int, int, int]] = field(default_factory=list)


def _with_query(url: str, query: str) -> str:
    return ",".join(
        urlunparse(parsed._replace(query="&".join(filter(None, [parsed.query, query]))))
        for parsed in map(urlparse, url.split(","))
    )


def _cpu_seconds(worker: Worker) -> float:
    """User plus system CPU time of the worker process, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{worker.process.pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_kib(worker: Worker) -> int:
    status = Path(f"/proc/{worker.process.pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1])


def _http(worker: Worker, method: str, path: str, token: str, body: Any = None) -> Any:
    conn = http.client.HTTPConnection("127.0.0.1", worker.port, timeout=120)
    try:
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        conn.request(method, path, body=json.dumps(body) if body else None, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {payload[:300]!r}")
        return json.loads(payload)
    finally:
        conn.close()


def _connect(
    pipes: list[Connection], workers: list[Worker], friends: Sequence[Account]
) -> tuple[int, float]:
    """Connect `friends`, friend i to worker i % 2; returns (connected, seconds)."""
    started = time.perf_counter()
    args = [
        (f"{worker.ws_url}/ws/notifications/", [key for _, key in friends[index :: len(workers)]])
        for index, worker in enumerate(workers)
    ]
    results = _ask_all(pipes, "connect", args)
    for result in results:
        if result["failed"]:
            print(f"  {result['failed']} sockets failed to connect: {result['failures']}")
    return sum(r["connected"] for r in results), time.perf_counter() - started


def _post_and_collect(
    pipes: list[Connection], workers: list[Worker], author: Account, fanout: int
) -> _Delivery:
    """Post to worker A; wait for every friend's frame (or COLLECT_TIMEOUT)."""
    cpu_before = sum(_cpu_seconds(w) for w in workers)
    sent_at = time.time()
    body = {"content": "bench push", "type": "thoughts"}
    post = _http(workers[0], "POST", "/api/posts/", author[1], body)
    returned_at = time.time()
    per_client = [(post["id"], fanout // len(pipes), COLLECT_TIMEOUT)] * len(pipes)
    arrivals = [t for times in _ask_all(pipes, "collect", per_client) for t in times]
    # Includes `collect`'s 0.2 s linger after the last frame, when the workers are idle.
    worker_cpu = sum(_cpu_seconds(w) for w in workers) - cpu_before
    return _Delivery(fanout, returned_at - sent_at, sent_at, returned_at, arrivals, worker_cpu)


def _worker_env(*, bulk: bool, run_id: str) -> dict[str, str]:
    return {
        "DATABASE_URL": bench_database_url(),
        # redis-py's pool allows 100 connections by default and raises beyond that; every
        # handshake in flight holds one for its group_add.
        "REDIS_URL": _with_query(os.environ["REDIS_URL"], f"max_connections={REDIS_POOL}"),
        "RIPPLE_PUSH_BULK": "true" if bulk else "false",
        "CHANNEL_LAYER_PREFIX": f"{PREFIX}-{run_id}-{'bulk' if bulk else 'plain'}",
        # Plain group_send needs seconds for 10,000 groups; the default timeout would cut
        # the push short.
        "RIPPLE_PUSH_TIMEOUT_SECONDS": "60",
        # Persistent connections: otherwise every query of a socket's connect opens one.
        "DATABASE_CONN_MAX_AGE": "60",
        # Production settings, served over plain HTTP on the loopback.
        "DJANGO_SETTINGS_MODULE": "project.settings.prod",
        "DJANGO_SECRET_KEY": "bench-only-not-secret",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
    }


def _delete_layer_keys(prefix: str) -> int:
    """Remove a run's group and channel keys (groups would otherwise live for a day)."""
    deleted = 0
    for url in os.environ["REDIS_URL"].split(","):
        client = redis.Redis.from_url(url)
        try:
            keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
            for start in range(0, len(keys), 1000):
                deleted += client.unlink(*keys[start : start + 1000])
        finally:
            client.close()
    return deleted


def _run_mode(
    *, bulk: bool, authors: dict[int, Account], friends: list[Account], run_id: str
) -> _ModeResult:
    env = _worker_env(bulk=bulk, run_id=run_id)
    result = _ModeResult(bulk=bulk)
    try:
        _measure(result, env, authors, friends)
    finally:
        _delete_layer_keys(env["CHANNEL_LAYER_PREFIX"])
    return result


def _measure(
    result: _ModeResult, env: dict[str, str], authors: dict[int, Account], friends: list[Account]
) -> None:
    with running_workers(2, env=env) as pool, _clients(2) as pipes:
        workers = pool.workers
        # Warm up: load the HTTP and WebSocket code paths before the baseline RSS.
        _http(workers[0], "GET", "/api/posts/", authors[FANOUTS[0]][1])
        _connect(pipes[:1], workers[:1], friends[:1])
        _connect(pipes[1:], workers[1:], friends[1:2])
        before = [_rss_kib(w) for w in workers]
        start, connected = 2, 0
        for fanout in FANOUTS:
            count, seconds = _connect(pipes, workers, friends[start:fanout])
            start, connected = fanout, connected + count
            result.connect_seconds.append(seconds)
            if fanout == FANOUTS[-1]:
                after = [_rss_kib(w) for w in workers]
                for name, b, a in zip("AB", before, after, strict=True):
                    result.memory.append((name, connected // 2, b, a))
            result.deliveries.append(_post_and_collect(pipes, workers, authors[fanout], fanout))


# --- Report ------------------------------------------------------------------------------


def _raise_open_files() -> None:
    """Enough descriptors for 10,000 sockets; the workers and clients inherit the limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = OPEN_FILES if hard == resource.RLIM_INFINITY else min(OPEN_FILES, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _latency_table(results: list[_ModeResult], load: tuple[float, float]) -> Table:
    table = Table(
        "Push latency of one post to F friends on 2 workers (ms)",
        [
            *("push", "F", "received", "POST ms", "worker CPU s", "connect s"),
            *("p50 ret", "p99 ret", "max ret", "p50 sent", "p99 sent", "max sent"),
        ],
    )
    for result in results:
        for delivery, seconds in zip(result.deliveries, result.connect_seconds, strict=True):
            table.add(
                "bulk" if result.bulk else "plain",
                delivery.fanout,
                len(delivery.arrivals),
                delivery.post_seconds * 1000,
                delivery.worker_cpu,
                seconds,
                *delivery.percentiles(delivery.returned_at),
                *delivery.percentiles(delivery.sent_at),
            )
    table.notes += [
        "ret: frame received minus POST response returned; sent: minus POST request sent.",
        "plain pushes inside the request (on_commit), so its frames mostly precede the "
        "response: ret is negative and only sent compares the two modes.",
        "worker CPU s: both workers, from the POST to the last frame. connect s: opening "
        "that row's new sockets (the 10,000 row adds 9,000 to the 1,000 already open).",
        "Targets: bulk max ret <= 300 ms at 1,000 and <= 1,500 ms at 10,000.",
        f"Load average (1 min) {load[0]:.1f} before, {load[1]:.1f} after, on "
        f"{os.cpu_count()} CPUs.",
    ]
    return table


def _ratio_table(bulk: _ModeResult, plain: _ModeResult) -> Table:
    table = Table(
        "Plain group_send per recipient vs bulk group_send_many",
        [
            *("F", "bulk max sent ms", "plain max sent ms", "plain/bulk"),
            *("bulk POST ms", "plain POST ms", "plain/bulk", "CPU plain/bulk"),
        ],
    )
    for b, p in zip(bulk.deliveries, plain.deliveries, strict=True):
        bulk_max, plain_max = b.percentiles(b.sent_at)[2], p.percentiles(p.sent_at)[2]
        table.add(
            b.fanout,
            bulk_max,
            plain_max,
            _ratio(plain_max, bulk_max),
            b.post_seconds * 1000,
            p.post_seconds * 1000,
            _ratio(p.post_seconds, b.post_seconds),
            _ratio(p.worker_cpu, b.worker_cpu),
        )
    table.notes.append("max sent: the last friend's frame, from the moment the POST was sent.")
    return table


def _ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.1f}x" if denominator > 0 else "n/a"


def _memory_table(results: list[_ModeResult]) -> Table:
    table = Table(
        "Worker memory per idle WebSocket (VmRSS)",
        ["push", "worker", "sockets", "RSS before MiB", "RSS after MiB", "KiB / socket"],
    )
    for result in results:
        for name, sockets, before, after in result.memory:
            table.add(
                "bulk" if result.bulk else "plain",
                name,
                sockets,
                before / 1024,
                after / 1024,
                (after - before) / sockets if sockets else float("nan"),
            )
    table.notes += [
        "Before: after one warm-up socket; after: all sockets open, worker A has also "
        "served the 1,000-friend post (worker B only received its pushes).",
        "The client offers permessage-deflate, as browsers do; the workers run with "
        "--ws-per-message-deflate false, so no socket holds zlib state on the server.",
    ]
    return table


def run() -> list[Table]:
    _raise_open_files()
    use_bench_database()
    authors, friends = _seed()
    run_id = uuid.uuid4().hex[:8]
    load_before = os.getloadavg()[0]
    bulk = _run_mode(bulk=True, authors=authors, friends=friends, run_id=run_id)
    plain = _run_mode(bulk=False, authors=authors, friends=friends, run_id=run_id)
    return [
        _latency_table([bulk, plain], (load_before, os.getloadavg()[0])),
        _ratio_table(bulk, plain),
        _memory_table([bulk, plain]),
    ]
