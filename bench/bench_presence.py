"""Push and reconnect paths: POST latency with pushes, offline friends, a reconnect storm.

Two uvicorn workers (production settings, pooled database connections) share PostgreSQL
and Redis; every figure has a baseline measured in the same run:

- a post to 1,000 friends, all connected (their sockets split over both workers), against
  the same post by an author whose 1,000 friends have realtime off (rows stored, no push),
  the two posted in turns; and when each post's last frame arrived after its response;
- a direct message to a connected friend against one to a friend with realtime off;
- a post to 10,000 friends of whom none is connected, against 10,000 with realtime off;
  and, in this process, the Redis work of a push to 10,000 offline users (the presence
  check) against reading the 10,000 groups' members, which the push did before presence;
- a reconnect storm: 1,000 sockets, each with one notification missed, reconnect at once
  with `?after=` (500 a worker); each socket's `synced` is timed from the storm's start,
  failed handshakes are counted, and pg_stat_activity is read every 20 ms. The baseline is
  the same storm on workers without the pool (a connection opened per query).
"""

import asyncio
import json
import multiprocessing
import os
import statistics
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import psycopg
import uvloop
from django.conf import settings
from django.db import connection
from websockets.asyncio.client import connect as ws_connect

from apps.notifications.models import NotificationPreference
from apps.notifications.realtime.layer import RippleRedisChannelLayer
from bench.bench_push import (
    Account,
    _ask_all,
    _clients,
    _connect,
    _cpu_seconds,
    _delete_layer_keys,
    _http,
    _raise_open_files,
    _seed_tokens,
    _users,
    _with_query,
)
from bench.db import bench_database_url, seed_friendships, use_bench_database
from bench.report import Table
from scripts.workers import Worker, running_workers

CONNECTED = 1_000
OFFLINE = 10_000
ROUNDS_CONNECTED = 15
ROUNDS_OFFLINE = 7
ROUNDS_MESSAGES = 30
WARMUP_ROUNDS = 2
STORM = 1_000
POOL_MAX_SIZE = 8
SAMPLE_SECONDS = 0.02
PREFIX = "bench-presence"

# Targets from the issue: the ratio of the pushed POST to the realtime-off one, the last
# frame after the response, and the storm.
TARGET_POST_RATIO = 1.2
TARGET_LAST_FRAME_MS = 150
TARGET_STORM_SECONDS = 2.0


@dataclass
class _Authors:
    connected: Account  # 1,000 friends, connected, realtime on
    connected_off: Account  # 1,000 other friends, realtime off
    offline: Account  # 10,000 friends, none connected, realtime on
    offline_off: Account  # 10,000 friends, realtime off
    # The connected author's friends, who also storm.
    friends: list[Account] = field(default_factory=list)
    # A connected friend of `connected`, and a friend of `connected_off` with realtime off.
    dm_to: int = 0
    dm_to_off: int = 0


# --- Seed data ---------------------------------------------------------------------------


def _seed() -> _Authors:
    on = _users(prefix=f"{PREFIX}-on-", count=CONNECTED + OFFLINE)
    off = _users(prefix=f"{PREFIX}-off-", count=OFFLINE)
    authors = _users(prefix=f"{PREFIX}-author-", count=4)
    friends_of = [on[:CONNECTED], off[:CONNECTED], on[CONNECTED:], off]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT user_id, count(*) FROM friends_friendship WHERE user_id = ANY(%s) "
            "GROUP BY user_id",
            [authors],
        )
        seeded = dict(cursor.fetchall())
    for author_id, friend_ids in zip(authors, friends_of, strict=True):
        if seeded.get(author_id) != len(friend_ids):
            seed_friendships(user_id=author_id, friend_ids=friend_ids)
    NotificationPreference.objects.bulk_create(
        [
            NotificationPreference(
                user_id=user_id, new_post_realtime=False, new_message_realtime=False
            )
            for user_id in off
        ],
        update_conflicts=True,
        unique_fields=["user"],
        update_fields=["new_post_realtime", "new_message_realtime"],
    )
    keys = _seed_tokens([*authors, *on[:CONNECTED]])
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM notifications_notification WHERE actor_id = ANY(%s)", [authors])
        # A fan-out in chunks leaves its cursor row until its last chunk, which no worker
        # runs here (the tasks go to a queue nobody reads).
        cursor.execute(
            "DELETE FROM notifications_postfanout WHERE post_id IN "
            "(SELECT id FROM posts_post WHERE author_id = ANY(%s))",
            [authors],
        )
        cursor.execute("DELETE FROM posts_post WHERE author_id = ANY(%s)", [authors])
    connected, connected_off, offline, offline_off = [(a, keys[a]) for a in authors]
    return _Authors(
        connected,
        connected_off,
        offline,
        offline_off,
        [(f, keys[f]) for f in on[:CONNECTED]],
        dm_to=on[0],
        dm_to_off=off[0],
    )


def _worker_env(*, pooled: bool, run_id: str) -> dict[str, str]:
    return {
        "DATABASE_URL": bench_database_url(),
        "REDIS_URL": _with_query(os.environ["REDIS_URL"], "max_connections=1000"),
        "CHANNEL_LAYER_PREFIX": f"{PREFIX}-{run_id}-{'pool' if pooled else 'nopool'}",
        "DATABASE_POOL": "true" if pooled else "false",
        "DATABASE_POOL_MAX_SIZE": str(POOL_MAX_SIZE),
        "DATABASE_CONN_MAX_AGE": "0",
        "RIPPLE_THROTTLE_POSTS": "100000/min",
        "RIPPLE_THROTTLE_MESSAGES": "100000/min",
        "DJANGO_SETTINGS_MODULE": "project.settings.prod",
        "DJANGO_SECRET_KEY": "bench-only-not-secret",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
    }


# --- POST latency ------------------------------------------------------------------------


@dataclass
class _Posts:
    pushed_ms: list[float] = field(default_factory=list)
    off_ms: list[float] = field(default_factory=list)
    # Last frame received minus response returned, per pushed post.
    last_frame_ms: list[float] = field(default_factory=list)
    missing_frames: int = 0


def _post(worker: Worker, author: Account) -> tuple[int, float, float, float]:
    """(post id, sent at, returned at, milliseconds)."""
    sent_at = time.time()
    started = time.perf_counter()
    post = _http(worker, "POST", "/api/posts/", author[1], {"content": "b", "type": "thoughts"})
    took = (time.perf_counter() - started) * 1000
    return post["id"], sent_at, time.time(), took


def _post_rounds(
    workers: list[Worker],
    pipes: list[Connection] | None,
    pushed: Account,
    off: Account,
    *,
    rounds: int,
    expected: int,
) -> _Posts:
    """Post as `pushed` then as `off`, `rounds` times after a warm-up; with `pipes`, wait
    for every connected friend's frame of each pushed post."""
    result = _Posts()
    for index in range(WARMUP_ROUNDS + rounds):
        post_id, _, returned_at, took = _post(workers[0], pushed)
        if pipes:
            per_client = [(post_id, expected // len(pipes), 30.0)] * len(pipes)
            arrivals = [t for times in _ask_all(pipes, "collect", per_client) for t in times]
        off_took = _post(workers[0], off)[3]
        if index < WARMUP_ROUNDS:
            continue
        result.pushed_ms.append(took)
        result.off_ms.append(off_took)
        if pipes:
            result.missing_frames += expected - len(arrivals)
            if arrivals:
                result.last_frame_ms.append((max(arrivals) - returned_at) * 1000)
    return result


def _dm_rounds(workers: list[Worker], authors: _Authors, *, rounds: int) -> _Posts:
    """A direct message to a connected friend, then one to a friend with realtime off."""
    result = _Posts()
    for index in range(WARMUP_ROUNDS + rounds):
        took = []
        for sender, to in (
            (authors.connected, authors.dm_to),
            (authors.connected_off, authors.dm_to_off),
        ):
            started = time.perf_counter()
            _http(workers[0], "POST", "/api/messages/", sender[1], {"to": to, "text": "b"})
            took.append((time.perf_counter() - started) * 1000)
        if index >= WARMUP_ROUNDS:
            result.pushed_ms.append(took[0])
            result.off_ms.append(took[1])
    return result


def _redis_work(count: int) -> tuple[float, float]:
    """Median ms of a push to `count` offline users, and of reading their groups' members
    (the push's first step before presence), on this process's own layer."""
    layer = RippleRedisChannelLayer(
        hosts=[{"address": os.environ["REDIS_URL"].split(",")[0], "socket_timeout": None}],
        prefix=f"{PREFIX}-inproc-{uuid.uuid4().hex[:6]}",
    )
    groups = [f"notifications.user.{n}" for n in range(count)]
    messages = [(group, {"type": "notification.created", "n": 1}) for group in groups]

    async def measure() -> tuple[float, float]:
        pushes, reads = [], []
        for _ in range(7):
            started = time.perf_counter()
            await layer.group_send_many(messages)
            pushes.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            pipe = layer.connection(0).pipeline(transaction=False)
            for group in groups:
                pipe.zrangebyscore(layer._group_key(group), 0, "+inf")
            await pipe.execute()
            reads.append((time.perf_counter() - started) * 1000)
        await layer.close_pools()
        return statistics.median(pushes), statistics.median(reads)

    return asyncio.run(measure())


# --- Reconnect storm ---------------------------------------------------------------------


async def _storm(url: str, sockets: Sequence[tuple[str, int]]) -> dict[str, Any]:
    """Open every socket at once with `?after=`; time each `synced` (time.time())."""
    synced: list[float] = []
    failures: list[str] = []
    opened: list[Any] = []

    async def one(token: str, after: int) -> None:
        try:
            socket = await ws_connect(
                f"{url}?after={after}",
                additional_headers={"Authorization": f"Token {token}"},
                ping_interval=None,
                open_timeout=60,
                proxy=None,
            )
        except Exception as exc:  # counted and reported
            failures.append(f"{type(exc).__name__}: {str(exc)[:80]}")
            return
        opened.append(socket)
        try:
            async with asyncio.timeout(60):
                async for raw in socket:
                    if json.loads(raw).get("type") == "synced":
                        synced.append(time.time())
                        return
        except Exception as exc:
            failures.append(f"before synced: {type(exc).__name__}")

    started, cpu_started = time.time(), time.process_time()
    await asyncio.gather(*(one(token, after) for token, after in sockets))
    cpu = time.process_time() - cpu_started
    await asyncio.gather(*(s.close() for s in opened), return_exceptions=True)
    return {"started": started, "synced": synced, "failures": failures, "cpu": cpu}


def _storm_main(pipe: Connection) -> None:
    url, sockets = pipe.recv()
    # uvloop, as the workers run: the two clients' handshakes share the workers' two cores,
    # and on asyncio's own loop they cost about a quarter of the workers' CPU.
    pipe.send(uvloop.run(_storm(url, sockets)))


class _Sampler:
    """Counts the benchmark database's PostgreSQL backends every SAMPLE_SECONDS."""

    def __init__(self) -> None:
        self.counts: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        database = settings.DATABASES["default"]
        params = {"dbname": database["NAME"], "autocommit": True}
        for key, param in (("HOST", "host"), ("PORT", "port"), ("USER", "user")):
            if database.get(key):
                params[param] = database[key]
        if database.get("PASSWORD"):
            params["password"] = database["PASSWORD"]
        with psycopg.connect(**params) as conn:
            while not self._stop.is_set():
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ).fetchone()
                self.counts.append(row[0] if row else 0)
                time.sleep(SAMPLE_SECONDS)

    @contextmanager
    def running(self) -> Iterator["_Sampler"]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join(5)


@dataclass
class _StormResult:
    pooled: bool
    synced_s: list[float]
    failed: int
    failures: list[str]
    backends_max: int
    # CPU seconds both workers spent during the storm, and the two storm clients until the
    # last `synced` (they share the machine's cores with the workers).
    worker_cpu: float
    client_cpu: float


def _run_storm(workers: list[Worker], authors: _Authors, *, pooled: bool) -> _StormResult:
    """Post once with every friend offline, then reconnect them all from their last id."""
    friends = authors.friends[:STORM]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT u.id, COALESCE((SELECT max(n.id) FROM notifications_notification n "
            "WHERE n.recipient_id = u.id), 0) FROM unnest(%s::bigint[]) AS u(id)",
            [[user_id for user_id, _ in friends]],
        )
        last_ids = dict(cursor.fetchall())
    _post(workers[0], authors.connected)
    connection.close()  # this process holds no backend during the storm
    context = multiprocessing.get_context("fork")
    pipes, processes = [], []
    for _ in workers:
        ours, theirs = context.Pipe()
        process = context.Process(target=_storm_main, args=(theirs,), daemon=True)
        process.start()
        pipes.append(ours)
        processes.append(process)
    sampler = _Sampler()
    time.sleep(0.3)  # the clients are forked and waiting for their sockets
    cpu_before = sum(_cpu_seconds(worker) for worker in workers)
    with sampler.running():
        # Each client starts its storm as soon as it has its share.
        for index, (worker, pipe) in enumerate(zip(workers, pipes, strict=True)):
            share = friends[index :: len(workers)]
            pipe.send(
                (f"{worker.ws_url}/ws/notifications/", [(key, last_ids[u]) for u, key in share])
            )
        results = [pipe.recv() for pipe in pipes]
    worker_cpu = sum(_cpu_seconds(worker) for worker in workers) - cpu_before
    for process in processes:
        process.join(10)
    started = min(result["started"] for result in results)
    synced = [t - started for result in results for t in result["synced"]]
    failures = [f for result in results for f in result["failures"]]
    return _StormResult(
        pooled,
        synced,
        len(failures),
        sorted(set(failures))[:3],
        max(sampler.counts),
        worker_cpu,
        sum(result["cpu"] for result in results),
    )


# --- Run ---------------------------------------------------------------------------------


@dataclass
class _Measured:
    connected: _Posts
    offline: _Posts
    messages: _Posts
    storms: list[_StormResult]


def _measure(authors: _Authors, run_id: str) -> _Measured:
    env = _worker_env(pooled=True, run_id=run_id)
    try:
        with running_workers(2, env=env) as pool:
            # On uvloop: a frame's arrival is stamped when the client reads it, and the two
            # clients share the workers' cores.
            with _clients(2, fast_loop=True) as pipes:
                _connect(pipes, pool.workers, authors.friends[:CONNECTED])
                connected = _post_rounds(
                    pool.workers,
                    pipes,
                    authors.connected,
                    authors.connected_off,
                    rounds=ROUNDS_CONNECTED,
                    expected=CONNECTED,
                )
                messages = _dm_rounds(pool.workers, authors, rounds=ROUNDS_MESSAGES)
            offline = _post_rounds(
                pool.workers,
                None,
                authors.offline,
                authors.offline_off,
                rounds=ROUNDS_OFFLINE,
                expected=0,
            )
            time.sleep(1)  # the closed sockets' leaves are written
            storm = _run_storm(pool.workers, authors, pooled=True)
    finally:
        _delete_layer_keys(env["CHANNEL_LAYER_PREFIX"])
    env = _worker_env(pooled=False, run_id=run_id)
    try:
        with running_workers(2, env=env) as pool:
            baseline = _run_storm(pool.workers, authors, pooled=False)
    finally:
        _delete_layer_keys(env["CHANNEL_LAYER_PREFIX"])
    return _Measured(connected, offline, messages, [storm, baseline])


def _p50(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _posts_table(measured: _Measured, redis_ms: tuple[float, float]) -> Table:
    table = Table(
        "POST on 2 workers: pushed vs realtime off, same run (ms)",
        ["post", "rounds", "p50 pushed", "p50 realtime off", "ratio", "target"],
    )
    connected, offline = measured.connected, measured.offline
    ratio = _p50(connected.pushed_ms) / _p50(connected.off_ms)
    table.add(
        f"to {CONNECTED:,} friends, all connected",
        len(connected.pushed_ms),
        _p50(connected.pushed_ms),
        _p50(connected.off_ms),
        f"{ratio:.2f}x",
        f"<= {TARGET_POST_RATIO}x: {_met(ratio <= TARGET_POST_RATIO)}",
    )
    ratio = _p50(offline.pushed_ms) / _p50(offline.off_ms)
    table.add(
        f"to {OFFLINE:,} friends, none connected",
        len(offline.pushed_ms),
        _p50(offline.pushed_ms),
        _p50(offline.off_ms),
        f"{ratio:.2f}x",
        "",
    )
    messages = measured.messages
    ratio = _p50(messages.pushed_ms) / _p50(messages.off_ms)
    table.add(
        "direct message, recipient connected",
        len(messages.pushed_ms),
        _p50(messages.pushed_ms),
        _p50(messages.off_ms),
        f"{ratio:.2f}x",
        "",
    )
    last = connected.last_frame_ms
    worst = max(last) if last else float("nan")
    table.notes += [
        f"Last frame after the response (connected rows): p50 {_p50(last):.1f} ms, max "
        f"{worst:.1f} ms; target <= {TARGET_LAST_FRAME_MS} ms: "
        f"{_met(worst <= TARGET_LAST_FRAME_MS)}; frames missing: {connected.missing_frames}.",
        f"Redis work of a push to {OFFLINE:,} offline users, in this process: "
        f"{redis_ms[0]:.1f} ms (presence check, then nothing), against {redis_ms[1]:.1f} ms "
        f"to read their {OFFLINE:,} groups' members as the push did before "
        f"({redis_ms[1] / redis_ms[0]:.0f}x).",
        f"Posted in turns, {WARMUP_ROUNDS} warm-up rounds left out; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs after the run.",
    ]
    return table


def _storm_table(storms: list[_StormResult]) -> Table:
    table = Table(
        f"Reconnect storm: {STORM:,} sockets with ?after= on 2 workers at once",
        [
            *("database connections", "synced", "failed", "p50 s", "p99 s", "last s"),
            *("ratio (last)", "PostgreSQL backends max", "bound", "worker CPU s", "client CPU s"),
        ],
    )
    baseline_last = max(storms[-1].synced_s) if storms[-1].synced_s else float("nan")
    for storm in storms:
        times = sorted(storm.synced_s)
        last = times[-1] if times else float("nan")
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))] if times else float("nan")
        table.add(
            f"pool of {POOL_MAX_SIZE} a worker" if storm.pooled else "no pool (one per query)",
            len(times),
            storm.failed,
            _p50(times),
            p99,
            last,
            f"{last / baseline_last:.2f}x",
            storm.backends_max,
            f"{2 * POOL_MAX_SIZE}" if storm.pooled else "none",
            storm.worker_cpu,
            storm.client_cpu,
        )
        if storm.failures:
            table.notes.append(f"failures: {storm.failures}")
    pooled = storms[0]
    last = max(pooled.synced_s, default=float("inf"))
    in_time = len(pooled.synced_s) == STORM and last <= TARGET_STORM_SECONDS
    bounded = pooled.backends_max <= 2 * POOL_MAX_SIZE
    table.notes += [
        "Seconds from the storm's start to each socket's `synced` (each replays one missed "
        "notification first). Backends: pg_stat_activity rows of the benchmark database, "
        f"sampled every {SAMPLE_SECONDS * 1000:.0f} ms (this process holds none).",
        f"Targets (pooled): all {STORM:,} synced within {TARGET_STORM_SECONDS} s: "
        f"{_met(in_time)}; 0 failed handshakes: {_met(pooled.failed == 0)}; backends <= "
        f"2 x {POOL_MAX_SIZE}: {_met(bounded)}.",
    ]
    return table


def run() -> list[Table]:
    _raise_open_files()
    use_bench_database()
    authors = _seed()
    redis_ms = _redis_work(OFFLINE)
    measured = _measure(authors, uuid.uuid4().hex[:8])
    return [_posts_table(measured, redis_ms), _storm_table(measured.storms)]
