"""A post to 100,000 friends over HTTP: the POST's latency, the online friends' last frame.

Two pairs of uvicorn workers (production settings) share PostgreSQL, Redis and one
channel layer, as four workers of one deployment would. The author has 100,000 friends;
1,000 of them, every 100th by id (so spread over the whole id range and over every chunk),
hold a WebSocket to each pair, split over its two workers: every post reaches each of them
twice, once per pair, so no connection ever misses a row and reads a gap. Each round posts
over HTTP to the first worker of each pair in turn:

- `online first` (the code as it is, chunks of RIPPLE_FANOUT_CHUNK_SIZE): the POST's
  transaction stores the rows of the friends who are online, the rest follows in id-ordered
  chunks on the worker's fan-out thread;
- `one transaction` (the baseline): the same code with a chunk size past 100,000, so the
  POST stores every row before it answers.

For each post: the POST's latency, the time from the request until the last connected
friend's frame, whether every socket got exactly one frame, and (online first)
the time until every chunk was stored. Rounds alternate between the two, after one
warm-up post on each pair; medians. The posts' rows stay until the end, so each post after
the first batches against the previous one's 100,000 rows, as an author's next post does.
"""

import os
import statistics
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import connection

from apps.notifications.models import Notification, PostFanout
from bench.bench_push import (
    Account,
    _ask_all,
    _clients,
    _connect,
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

FRIENDS = 100_000
# Every SPREAD-th friend is connected.
SPREAD = 100
ROUNDS = 3
COLLECT_TIMEOUT = 60.0
STORE_TIMEOUT = 120.0
PREFIX = "bench-huge"
TARGET_POST_MS = 300
TARGET_LAST_FRAME_S = 3.0


def _seed() -> tuple[Account, list[Account]]:
    """The author and the connected friends, with tokens."""
    friend_ids = _users(prefix=f"{PREFIX}-friend-", count=FRIENDS)
    (author_id,) = _users(prefix=f"{PREFIX}-author-", count=1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM friends_friendship WHERE user_id = %s", [author_id])
        row = cursor.fetchone()
    if not row or row[0] != FRIENDS:
        seed_friendships(user_id=author_id, friend_ids=friend_ids)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) friends_friendship")
    connected = sorted(friend_ids)[SPREAD // 2 :: SPREAD]
    keys = _seed_tokens([author_id, *connected])
    _forget_posts(author_id)
    return (author_id, keys[author_id]), [(f, keys[f]) for f in connected]


def _forget_posts(author_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {Notification._meta.db_table} WHERE actor_id = %s", [author_id]
        )
        cursor.execute(
            f"DELETE FROM {PostFanout._meta.db_table} WHERE post_id IN "
            f"(SELECT id FROM posts_post WHERE author_id = %s)",
            [author_id],
        )
        cursor.execute("DELETE FROM posts_post WHERE author_id = %s", [author_id])
        cursor.execute(f"VACUUM (ANALYZE) {Notification._meta.db_table}")


def _worker_env(*, case: str, run_id: str) -> dict[str, str]:
    env = {
        "DATABASE_URL": bench_database_url(),
        "REDIS_URL": _with_query(os.environ["REDIS_URL"], "max_connections=1000"),
        "CHANNEL_LAYER_PREFIX": f"{PREFIX}-{run_id}",
        "RIPPLE_THROTTLE_POSTS": "100000/min",
        "RIPPLE_PUSH_TIMEOUT_SECONDS": "30",
        "DJANGO_SETTINGS_MODULE": "project.settings.prod",
        "DJANGO_SECRET_KEY": "bench-only-not-secret",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    if case == "one transaction":
        env["RIPPLE_FANOUT_CHUNK_SIZE"] = str(FRIENDS * 2)
    return env


@dataclass
class _Case:
    name: str
    post_ms: list[float] = field(default_factory=list)
    last_frame_s: list[float] = field(default_factory=list)
    stored_s: list[float] = field(default_factory=list)
    frames: list[int] = field(default_factory=list)


def _one_post(
    case: _Case, worker: Worker, pipes: list[Any], author: Account, connected: int
) -> None:
    sent_at = time.time()
    post = _http(
        worker, "POST", "/api/posts/", author[1], {"content": "bench huge", "type": "thoughts"}
    )
    returned_at = time.time()
    # Each client holds half the friends' sockets to each pair: a frame per socket.
    per_client = [(post["id"], connected, COLLECT_TIMEOUT)] * len(pipes)
    arrivals = [t for times in _ask_all(pipes, "collect", per_client) for t in times]
    deadline = time.monotonic() + STORE_TIMEOUT
    while PostFanout.objects.filter(post_id=post["id"]).exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"the fan-out of post {post['id']} did not finish")
        time.sleep(0.01)
    stored_at = time.time()
    stored = Notification.objects.filter(post_id=post["id"]).count()
    assert stored == FRIENDS, stored
    case.post_ms.append((returned_at - sent_at) * 1000)
    case.last_frame_s.append(max(arrivals) - sent_at if arrivals else float("nan"))
    case.stored_s.append(stored_at - sent_at)
    case.frames.append(len(arrivals))


def run() -> list[Table]:
    _raise_open_files()
    use_bench_database()
    author, connected = _seed()
    run_id = uuid.uuid4().hex[:8]
    cases = {name: _Case(name) for name in ("online first", "one transaction")}
    envs = {name: _worker_env(case=name, run_id=run_id) for name in cases}
    load_before = os.getloadavg()[0]
    try:
        with (
            running_workers(2, env=envs["online first"]) as first,
            running_workers(2, env=envs["one transaction"]) as whole,
            _clients(2) as pipes,
        ):
            pairs = {"online first": first.workers, "one transaction": whole.workers}
            for workers in pairs.values():
                _http(workers[0], "GET", "/api/posts/", author[1])  # warm-up
                count, _ = _connect(pipes, workers, connected)
                assert count == len(connected), count
            for workers in pairs.values():
                _one_post(_Case("warm-up"), workers[0], pipes, author, len(connected))
            for _ in range(ROUNDS):
                for name, workers in pairs.items():
                    _one_post(cases[name], workers[0], pipes, author, len(connected))
    finally:
        _forget_posts(author[0])
        _delete_layer_keys(envs["online first"]["CHANNEL_LAYER_PREFIX"])
    return [_table(cases, len(connected), (load_before, os.getloadavg()[0]))]


def _table(cases: dict[str, _Case], connected: int, load: tuple[float, float]) -> Table:
    table = Table(
        f"A post to {FRIENDS:,} friends over HTTP, {connected:,} of them connected "
        f"(median of {ROUNDS}, rounds alternate)",
        [
            *("fan-out", "POST ms", "POST max ms", "last frame s", "last frame max s"),
            *("all rows stored s", "frames / expected"),
        ],
    )
    for case in cases.values():
        rounds = ", ".join(
            f"{post:.0f} ms / {frame:.2f} s"
            for post, frame in zip(case.post_ms, case.last_frame_s, strict=True)
        )
        table.notes.append(f"{case.name}, each round (POST / last frame): {rounds}.")
        table.add(
            case.name,
            statistics.median(case.post_ms),
            max(case.post_ms),
            statistics.median(case.last_frame_s),
            max(case.last_frame_s),
            statistics.median(case.stored_s),
            f"{sum(case.frames)} / {2 * connected * len(case.frames)}",
        )
    online = cases["online first"]
    post_met = max(online.post_ms) < TARGET_POST_MS
    frame_met = max(online.last_frame_s) < TARGET_LAST_FRAME_S
    exact = sum(online.frames) == 2 * connected * len(online.frames)
    table.notes += [
        "POST: request sent to response read, on the first worker of the pair. last frame: "
        "request sent to the last frame received, on any of the 2,000 sockets (each "
        "connected friend has one to each pair). all rows stored: "
        "request sent until the post's PostFanout row was gone (every chunk committed).",
        "online first: chunks of RIPPLE_FANOUT_CHUNK_SIZE (5,000), the connected friends in "
        "the POST's transaction. one transaction: the same code with a chunk size past "
        f"{FRIENDS:,}, every row stored before the POST answers.",
        f"Targets (online first, every round): POST < {TARGET_POST_MS} ms: "
        f"{'met' if post_met else 'NOT met'}; every connected friend's frame within "
        f"{TARGET_LAST_FRAME_S:.0f} s: {'met' if frame_met and exact else 'NOT met'}.",
        f"Load average (1 min) {load[0]:.1f} before, {load[1]:.1f} after, on "
        f"{os.cpu_count()} CPUs.",
    ]
    return table
