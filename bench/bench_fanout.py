"""Fan-out of a post to F friends on PostgreSQL.

Compares one `Notification.objects.create` per friend in autocommit mode (what a typical
notifications library does) with Ripple's set-based `notifications_create_for_post`, and
measures what one more index on the notification table adds to the set-based insert.
"""

import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings

from apps.friends.models import Friendship
from apps.notifications import services
from apps.notifications.models import Notification
from apps.posts.models import Post
from apps.posts.serializers import PostSerializer
from bench.db import seed_friendships, seed_users, use_bench_database
from bench.report import Table

SIZES = (1_000, 10_000)
RIPPLE_RUNS = 7
# The naive loop commits once per row: about 0.4 ms each, so 10,000 rows take seconds.
NAIVE_RUNS = {1_000: 3, 10_000: 1}
INDEX_RUNS = 9
TARGET_MS = 100.0
TARGET_RATIO = 30.0
EXTRA_INDEX = "bench_notif_created_at"
_TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")
# The push after commit is not timed; this layer keeps it off Redis and cheap.
IN_MEMORY_LAYER = {
    "default": {"BACKEND": "apps.notifications.realtime.layer.RippleInMemoryChannelLayer"}
}


def run() -> list[Table]:
    use_bench_database()
    posts = _seed()
    # One transaction per fan-out, as measured before chunking: bench_write_path measures
    # the chunked post to 100,000 friends.
    with override_settings(
        DEBUG=False, CHANNEL_LAYERS=IN_MEMORY_LAYER, RIPPLE_FANOUT_CHUNK_SIZE=max(SIZES)
    ):
        largest = posts[max(SIZES)]
        fanout, ripple_largest = _fanout_table(posts)
        return [fanout, _statement_table(ripple_largest), _index_table(largest)]


def _seed() -> dict[int, Post]:
    """One author per size with exactly that many friends, and one post each."""
    friend_ids = seed_users(prefix="bench-fanout-friend-", count=max(SIZES))
    posts = {}
    for size in SIZES:
        [author_id] = seed_users(prefix=f"bench-fanout-author-{size}-", count=1)
        seed_friendships(user_id=author_id, friend_ids=friend_ids[:size])
        friends = Friendship.objects.filter(user_id=author_id).count()
        assert friends == size, f"author {author_id} has {friends} friends, expected {size}"
        post, _ = Post.objects.get_or_create(author_id=author_id, content="Fan-out benchmark")
        _clean(post)  # rows left by an interrupted run
        posts[size] = post
    return posts


def _fresh(post: Post) -> Post:
    # As post_create hands it over: the author instance already attached.
    return Post.objects.select_related("author", "target_profile").get(pk=post.pk)


def _clean(post: Post) -> None:
    """Delete the run's rows and vacuum what the fan-out writes, so every run starts alike."""
    Notification.objects.filter(post_id=post.pk).delete()
    with connection.cursor() as cursor:
        for model in (Notification, Friendship):
            cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")


# --- One timed fan-out ----------------------------------------------------------------------


@dataclass
class Timing:
    """One fan-out: its wall time, and the statements the connection logged for it."""

    total_ms: float
    queries: Sequence[dict[str, Any]] = ()

    def _ms(self, keep: Callable[[str], bool]) -> float:
        return sum(float(q["time"]) * 1000 for q in self.queries if keep(q["sql"]))

    @property
    def commit_ms(self) -> float:
        return self._ms(lambda sql: sql == "COMMIT")

    @property
    def insert_ms(self) -> float:
        # The statement that writes the notifications (it may open with a WITH clause).
        return self._ms(lambda sql: f"INSERT INTO {Notification._meta.db_table} " in sql)

    @property
    def sql_ms(self) -> float:
        """Every statement but the COMMIT, as the client waited for it."""
        return self._ms(lambda sql: sql != "COMMIT")

    @property
    def python_ms(self) -> float:
        return self.total_ms - self.sql_ms - self.commit_ms

    @property
    def statements(self) -> int:
        return sum(1 for q in self.queries if not q["sql"].startswith(_TRANSACTION_CONTROL))


def _timed(action: Callable[[Post], tuple[int, Timing]], post: Post, expected: int) -> Timing:
    """Run `action` on a freshly loaded post, check the rows it stored, then delete them."""
    stored, timing = action(_fresh(post))
    assert stored == expected, f"stored {stored} notifications, expected {expected}"
    _clean(post)
    return timing


def _naive(post: Post) -> tuple[int, Timing]:
    """One INSERT and one COMMIT per friend, as a per-recipient library loop does."""
    assert connection.get_autocommit()
    assert not connection.in_atomic_block
    started = time.perf_counter()
    data = dict(PostSerializer(post).data)
    friend_ids = Friendship.objects.filter(user_id=post.author_id).values_list(
        "friend_id", flat=True
    )
    count = 0
    for friend_id in list(friend_ids):
        Notification.objects.create(
            recipient_id=friend_id,
            actor_id=post.author_id,
            type=Notification.Type.NEW_POST,
            post=post,
            data=data,
        )
        count += 1
    return count, Timing((time.perf_counter() - started) * 1000)


def _ripple(post: Post) -> tuple[int, Timing]:
    """Ripple's service in the caller's transaction, timed to the end of its COMMIT.

    The push the service registers with on_commit runs after the timing stops: callbacks
    run in the order they were registered, and the one that stops the clock comes first.
    """
    committed: list[float] = []
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        with transaction.atomic():
            transaction.on_commit(lambda: committed.append(time.perf_counter()))
            stored = services.notifications_create_for_post(post=post)
    logged = queries.captured_queries
    until_commit = next(i for i, q in enumerate(logged) if q["sql"] == "COMMIT") + 1
    return stored, Timing((committed[0] - started) * 1000, logged[:until_commit])


def _ripple_wal_bytes(post: Post, expected: int) -> int:
    """WAL written by one set-based fan-out (what its COMMIT has to flush)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        [before] = cursor.fetchone()
        stored, _ = _ripple(_fresh(post))
        cursor.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)", [before])
        [written] = cursor.fetchone()
    assert stored == expected
    _clean(post)
    return int(written)


def _median(timings: Sequence[Timing], measure: Callable[[Timing], float]) -> float:
    return statistics.median(measure(t) for t in timings)


# --- Fan-out table --------------------------------------------------------------------------


@dataclass
class FanoutResult:
    naive: list[Timing]
    ripple: list[Timing]
    wal_bytes: int

    @property
    def naive_ms(self) -> float:
        return _median(self.naive, lambda t: t.total_ms)

    @property
    def ripple_ms(self) -> float:
        return _median(self.ripple, lambda t: t.total_ms)

    @property
    def query_counts(self) -> tuple[int, int]:
        last = self.ripple[-1]
        return len(last.queries), last.statements


def _fanout_table(posts: dict[int, Post]) -> tuple[Table, list[Timing]]:
    table = Table(
        title="Fan-out of one post to F friends (median ms, server side)",
        columns=[
            "F",
            "naive ms",
            "ripple ms",
            "= SQL",
            "+ COMMIT",
            "+ Python",
            "naive / ripple",
            "ripple queries (statements)",
            "ripple WAL MB",
            "runs naive / ripple",
        ],
    )
    results = {}
    for size, post in posts.items():
        _timed(_ripple, post, size)  # warm-up, discarded
        result = FanoutResult(
            ripple=[_timed(_ripple, post, size) for _ in range(RIPPLE_RUNS)],
            naive=[_timed(_naive, post, size) for _ in range(NAIVE_RUNS[size])],
            wal_bytes=_ripple_wal_bytes(post, size),
        )
        results[size] = result
        table.add(
            size,
            result.naive_ms,
            result.ripple_ms,
            _median(result.ripple, lambda t: t.sql_ms),
            _median(result.ripple, lambda t: t.commit_ms),
            _median(result.ripple, lambda t: t.python_ms),
            f"{result.naive_ms / result.ripple_ms:.0f}x",
            "{} ({})".format(*result.query_counts),
            result.wal_bytes / 1e6,
            f"{len(result.naive)} / {len(result.ripple)}",
        )
    table.notes += _fanout_notes(results)
    return table, results[max(SIZES)].ripple


def _fanout_notes(results: dict[int, FanoutResult]) -> list[str]:
    largest = results[max(SIZES)]
    ratio = largest.naive_ms / largest.ripple_ms
    constant = len({result.query_counts for result in results.values()}) == 1
    verdict = {True: "met", False: "NOT met"}
    return [
        "naive: one Notification.objects.create per friend in autocommit (INSERT + COMMIT each).",
        "ripple: notifications_create_for_post inside transaction.atomic(), timed to the end "
        "of the COMMIT; the push it registers runs after the timing, on the in-memory layer "
        "(bench_push measures pushes).",
        "Both read the friend list and serialise the post inside the timing; DEBUG is off; "
        "the notification and friendship tables are vacuumed between runs.",
        "SQL: the statements' time as the client saw it; Python: the rest (building rows, "
        "frames and events).",
        "queries: everything CaptureQueriesContext logs; statements: without BEGIN, COMMIT "
        "and savepoints.",
        f"Targets at F={max(SIZES):,}: ripple <= {TARGET_MS:.0f} ms "
        f"({verdict[largest.ripple_ms <= TARGET_MS]}), >= {TARGET_RATIO:.0f}x the naive loop "
        f"({verdict[ratio >= TARGET_RATIO]}), queries constant in F ({verdict[constant]}).",
    ]


# --- Statement table ------------------------------------------------------------------------


def _statement_table(timings: list[Timing]) -> Table:
    """Where Ripple's fan-out spends its time at the largest F, statement by statement."""
    table = Table(
        title=f"Ripple's fan-out at F={max(SIZES):,}, by statement (median of {len(timings)})",
        columns=["statement", "ms", "share"],
    )
    total = _median(timings, lambda t: t.total_ms)
    assert len({len(t.queries) for t in timings}) == 1, "runs logged different statements"
    for index, query in enumerate(timings[0].queries):
        if query["sql"] != "COMMIT" and query["sql"].startswith(_TRANSACTION_CONTROL):
            continue
        ms = statistics.median(float(t.queries[index]["time"]) * 1000 for t in timings)
        table.add(_label(query["sql"]), ms, f"{ms / total * 100:.0f}%")
    python = _median(timings, lambda t: t.python_ms)
    table.add("Python (rows, frames, events)", python, f"{python / total * 100:.0f}%")
    table.add("total", total, "100%")
    table.notes.append(
        "Statements as CaptureQueriesContext timed them, truncated; COMMIT waits for the WAL flush."
    )
    return table


def _label(sql: str) -> str:
    words = " ".join(sql.split())
    return words if len(words) <= 60 else words[:57] + "..."


# --- Index table ----------------------------------------------------------------------------


def _index_table(post: Post) -> Table:
    """The set-based fan-out with the table's indexes, and with one more on created_at."""
    size = Friendship.objects.filter(user_id=post.author_id).count()
    current, extra = [], []
    _timed(_ripple, post, size)  # warm-up, discarded
    # Alternate the two cases so drift on the machine affects both alike.
    for _ in range(INDEX_RUNS):
        current.append(_timed(_ripple, post, size))
        with _extra_index():
            extra.append(_timed(_ripple, post, size))
    indexes = _index_names()
    base = _median(current, lambda t: t.insert_ms)
    table = Table(
        title=f"Index cost of the set-based fan-out at F={size:,} (median of {INDEX_RUNS} runs)",
        columns=[
            "notification table indexes",
            "INSERT ms",
            "INSERT min ms",
            "INSERT added",
            "COMMIT ms",
            "fan-out total ms",
        ],
    )
    for name, timings in (
        (f"current ({len(indexes)})", current),
        (f"current + {EXTRA_INDEX} (created_at)", extra),
    ):
        insert = _median(timings, lambda t: t.insert_ms)
        table.add(
            name,
            insert,
            min(t.insert_ms for t in timings),
            f"{insert - base:+.1f} ms ({(insert / base - 1) * 100:+.0f}%)",
            _median(timings, lambda t: t.commit_ms),
            _median(timings, lambda t: t.total_ms),
        )
    table.notes += [
        f"current: {', '.join(indexes)}.",
        "INSERT: the one INSERT ... SELECT ... RETURNING statement of the fan-out (with its "
        "recipients' row locks), which is "
        "where index maintenance happens; COMMIT flushes the WAL it wrote.",
        f"{EXTRA_INDEX} is created before and dropped after each of its runs; the table holds "
        f"{Notification.objects.count():,} other rows, so every btree is small and cached: a "
        "production-sized table pays more per index.",
    ]
    return table


@contextmanager
def _extra_index() -> Iterator[None]:
    table = Notification._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {EXTRA_INDEX}")  # left by an interrupted run
        cursor.execute(f"CREATE INDEX {EXTRA_INDEX} ON {table} (created_at)")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP INDEX IF EXISTS {EXTRA_INDEX}")


def _index_names() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s ORDER BY indexname",
            [Notification._meta.db_table],
        )
        return [row[0] for row in cursor.fetchall()]
