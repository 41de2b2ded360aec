"""Inbox reads at 1,000,000 notifications.

Seeds a dedicated database (`<RIPPLE_BENCH_DATABASE>_inbox`, `ripple_bench_inbox` by
default) once with 10,000 users holding about 100 notifications each, plus one heavy user
with 10,000 unread ones interleaved through the whole table, and one user with 100,000
notifications in groups (batches of posts, the likes and the replies of their posts), then
measures the inbox endpoints in-process through DRF's APIClient: median and p95 server time
of the view, SQL statements per request, the same statements against a baseline (no index,
LIMIT/OFFSET, no partial index, the grouped inbox as one GROUP BY over every row) and the
plans PostgreSQL picks for them.
"""

import os
import re
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max, Q, QuerySet
from django.test.utils import CaptureQueriesContext, override_settings
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.notifications.models import Notification
from apps.notifications.selectors import group_key_expression, notification_list
from bench.db import BENCH_DATABASE, seed_users, use_bench_database
from bench.report import Table

DATABASE = f"{BENCH_DATABASE}_inbox"
USERS = 10_000
PER_USER = 100
HEAVY_UNREAD = 10_000
# Every HEAVY_EVERY-th row goes to the heavy user, so its rows are spread over the whole heap.
HEAVY_EVERY = USERS * PER_USER // HEAVY_UNREAD + 1
ROWS = USERS * PER_USER + HEAVY_UNREAD
CHUNKS = 20
READ_SHARE = 0.7
USER_PREFIX = "inbox-user-"
HEAVY_PREFIX = "inbox-heavy-"
GROUPED_PREFIX = "inbox-grouped-"
# The grouped user's rows: every GROUPED_EVERY-th of GROUPED_SPAN rows inserted after the
# others (the rest go to random users), so they spread over the heap as a real inbox does.
GROUPED_ROWS = 100_000
GROUPED_EVERY = 4
GROUPED_SPAN = GROUPED_ROWS * GROUPED_EVERY
# Older rows are read but for this share; the newest GROUPED_FRESH are all unread.
GROUPED_UNREAD_SHARE = 0.2
GROUPED_FRESH = 1_000

WARMUP = 5
RUNS = 50
BASELINE_RUNS = 7
DEEP_PAGES = 50
CATCH_UP_BEHIND = 50
PAGE_TARGET_MS = 15.0
COUNT_TARGET_MS = 5.0
GROUPED_TARGET_MS = 15.0
MAX_QUERIES = 4

TABLE = Notification._meta.db_table
LIST_URL = "/api/notifications/"
COUNT_URL = "/api/notifications/unread-count/"


# --- Seeding ---------------------------------------------------------------------------------


@dataclass
class Seeded:
    heavy: User
    typical: User
    grouped: User
    seconds: float
    reused: bool


def _seed() -> Seeded:
    started = time.perf_counter()
    user_ids = seed_users(prefix=USER_PREFIX, count=USERS)
    [heavy_id] = seed_users(prefix=HEAVY_PREFIX, count=1)
    [grouped_id] = seed_users(prefix=GROUPED_PREFIX, count=1)
    reused = _seeded(heavy_id)
    if not reused:
        _seed_notifications(user_ids, heavy_id)
    if not reused or not _grouped_seeded(grouped_id):
        reused = False
        _seed_grouped(user_ids, grouped_id)
    elif not _vacuumed():
        _vacuum()  # the seeding that inserted the rows was interrupted before its VACUUM
    seconds = time.perf_counter() - started
    # A user with exactly PER_USER notifications stands for everyone but the heavy user.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT recipient_id FROM {TABLE} WHERE recipient_id = ANY(%s) "
            f"GROUP BY recipient_id HAVING count(*) = %s ORDER BY recipient_id LIMIT 1",
            [user_ids[:200], PER_USER],
        )
        row = cursor.fetchone()
    typical = User.objects.get(pk=row[0] if row else user_ids[0])
    return Seeded(
        User.objects.get(pk=heavy_id),
        typical,
        User.objects.get(pk=grouped_id),
        seconds,
        reused,
    )


def _seeded(heavy_id: int) -> bool:
    with connection.cursor() as cursor:
        # The first ROWS ids; the grouped user's rows come after them.
        cursor.execute(f"SELECT count(*) FROM {TABLE} WHERE id <= %s", [ROWS])
        [total] = cursor.fetchone()
        cursor.execute(
            f"SELECT count(*) FROM {TABLE} WHERE recipient_id = %s AND read_at IS NULL",
            [heavy_id],
        )
        [heavy_unread] = cursor.fetchone()
    return bool(total == ROWS and heavy_unread == HEAVY_UNREAD)


def _grouped_seeded(grouped_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {TABLE} WHERE id > %s", [ROWS])
        [total] = cursor.fetchone()
        cursor.execute(f"SELECT count(*) FROM {TABLE} WHERE recipient_id = %s", [grouped_id])
        [mine] = cursor.fetchone()
    return bool(total == GROUPED_SPAN and mine == GROUPED_ROWS)


def _vacuumed() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(last_vacuum, last_autovacuum) IS NOT NULL "
            "AND coalesce(last_analyze, last_autoanalyze) IS NOT NULL "
            "FROM pg_stat_user_tables WHERE relname = %s",
            [TABLE],
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def _vacuum() -> None:
    """Statistics for the planner, and an all-visible map for index-only scans."""
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {TABLE}")
        cursor.execute(f"VACUUM (ANALYZE) {User._meta.db_table}")


# One chunk of rows g in [lo, hi]: the random draws are made once per row in the CTE (which
# PostgreSQL materialises because it is volatile), then every column is derived from them.
_CHUNK_SQL = f"""
WITH draw AS (
    SELECT g,
           mod(g, {HEAVY_EVERY}) = 0 AS heavy,
           1 + floor(random() * {USERS})::int AS r,
           1 + floor(random() * {USERS})::int AS a,
           random() AS t,
           random() AS rd,
           TIMESTAMPTZ '2025-01-01 00:00:00+00' + g * INTERVAL '30 seconds' AS created
    FROM generate_series(%(lo)s, %(hi)s) AS g
), seeded AS (
    SELECT g, heavy, created, rd,
           CASE WHEN heavy THEN %(heavy)s ELSE (%(ids)s::bigint[])[r] END AS recipient_id,
           (%(ids)s::bigint[])[a] AS actor_id,
           jsonb_build_object('id', (%(ids)s::bigint[])[a], 'username', %(prefix)s || a) AS actor,
           to_char(created AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS iso,
           CASE WHEN t < 0.85 THEN 'new_post' WHEN t < 0.92 THEN 'friend_request'
                WHEN t < 0.97 THEN 'friend_accepted' ELSE 'new_message' END AS type
    FROM draw
)
INSERT INTO {TABLE} (recipient_id, actor_id, type, post_id, data, created_at, read_at)
SELECT recipient_id, actor_id, type, NULL,
       CASE type
           WHEN 'new_post' THEN jsonb_build_object(
               'id', g, 'author', actor,
               'content', 'Post ' || g || ': ' || repeat('lorem ipsum ', 1 + mod(g, 8)),
               'type', 'thoughts', 'created_at', iso, 'target_profile', NULL,
               'likes_count', mod(g, 7), 'reply_count', mod(g, 3))
           WHEN 'friend_request' THEN jsonb_build_object('request_id', g, 'from_user', actor)
           WHEN 'friend_accepted' THEN jsonb_build_object('user', actor)
           ELSE jsonb_build_object(
               'message_id', g, 'from_user', actor,
               'text', 'Message ' || g || ': ' || repeat('hello ', 1 + mod(g, 5)),
               'created_at', iso)
       END,
       created,
       CASE WHEN NOT heavy AND rd < {READ_SHARE} THEN created + rd * INTERVAL '2 days' END
FROM seeded
ORDER BY g
"""


# The grouped user's inbox, k = 0 .. GROUPED_ROWS - 1 in time order: half posts by 20 friends
# in batches (a batch per author per 50 rows), 30 % likes and 15 % replies of their own
# three latest posts (a new post every 300 rows, so a group gathers about 90 likes), 5 %
# mentions and friend requests standing alone.
_GROUPED_SQL = f"""
WITH draw AS (
    SELECT g, mod(g, {GROUPED_EVERY}) = 0 AS mine, g / {GROUPED_EVERY} AS k,
           1 + floor(random() * {USERS})::int AS r,
           1 + floor(random() * 20)::int AS a,
           random() AS t, random() AS rd,
           TIMESTAMPTZ '2026-01-01 00:00:00+00' + g * INTERVAL '10 seconds' AS created
    FROM generate_series(%(lo)s, %(hi)s) AS g
), seeded AS (
    SELECT g, mine, k, created, rd,
           CASE WHEN mine THEN %(grouped)s ELSE (%(ids)s::bigint[])[r] END AS recipient_id,
           (%(ids)s::bigint[])[
               CASE WHEN t < 0.5 THEN a ELSE 1 + mod(g::bigint * 7919, {USERS})::int END]
               AS actor_id,
           CASE WHEN NOT mine OR t < 0.5 THEN 'new_post' WHEN t < 0.8 THEN 'post_liked'
                WHEN t < 0.95 THEN 'post_replied' WHEN t < 0.98 THEN 'mentioned'
                ELSE 'friend_request' END AS type,
           k / 300 - mod(g, 3) AS own_post
    FROM draw
)
INSERT INTO {TABLE} (recipient_id, actor_id, type, post_id, data, created_at, read_at,
                     group_key, group_count)
SELECT recipient_id, actor_id, type, NULL,
       CASE WHEN type IN ('post_liked', 'post_replied', 'mentioned') THEN jsonb_build_object(
               'post', jsonb_build_object('id', own_post, 'author_id', %(grouped)s,
                                          'excerpt', 'My post number ' || own_post),
               'reply', CASE WHEN type = 'new_post' OR type = 'post_liked' THEN NULL
                        ELSE jsonb_build_object('id', g, 'excerpt', 'Reply ' || g) END)
            WHEN type = 'friend_request' THEN jsonb_build_object('request_id', g)
            ELSE jsonb_build_object('id', g, 'content', 'Post ' || g || ': ' ||
                                    repeat('lorem ipsum ', 1 + mod(g, 8)), 'type', 'thoughts')
       END,
       created,
       CASE WHEN mine AND k < {GROUPED_ROWS - GROUPED_FRESH} AND rd >= {GROUPED_UNREAD_SHARE}
            THEN created + INTERVAL '1 hour'
            WHEN NOT mine AND rd < {READ_SHARE} THEN created + INTERVAL '1 hour' END,
       CASE WHEN NOT mine THEN NULL
            WHEN type = 'new_post' THEN 'p' || actor_id || '-' || (k / 50)
            WHEN type = 'post_liked' THEN 'l' || own_post
            WHEN type = 'post_replied' THEN 'r' || own_post END,
       1
FROM seeded
ORDER BY g
"""


def _seed_grouped(user_ids: list[int], grouped_id: int) -> None:
    """GROUPED_SPAN rows after the first ROWS, every GROUPED_EVERY-th the grouped user's."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id > %s", [ROWS])
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{TABLE}', 'id'), %s)", [ROWS])
        cursor.execute("SELECT setseed(0.17)")
        size = -(-GROUPED_SPAN // CHUNKS)
        for lo in range(0, GROUPED_SPAN, size):
            hi = min(lo + size, GROUPED_SPAN) - 1
            _progress("inserting grouped", lo, GROUPED_SPAN, started)
            with transaction.atomic():
                cursor.execute(
                    _GROUPED_SQL, {"lo": lo, "hi": hi, "grouped": grouped_id, "ids": user_ids}
                )
        _progress("inserting grouped", GROUPED_SPAN, GROUPED_SPAN, started)
    print(" VACUUM ANALYZE ...", end="", file=sys.stderr, flush=True)
    _vacuum()
    print(f" done ({time.perf_counter() - started:.1f} s)", file=sys.stderr, flush=True)


def _seed_notifications(user_ids: list[int], heavy_id: int) -> None:
    """Set-based insert of ROWS notifications in CHUNKS committed statements, then VACUUM."""
    assert len(user_ids) == USERS
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # Whatever is there is incomplete (an interrupted seeding): start over.
        cursor.execute(f"TRUNCATE {TABLE} RESTART IDENTITY")
        cursor.execute("SELECT setseed(0.42)")
        size = -(-ROWS // CHUNKS)
        for lo in range(1, ROWS + 1, size):
            hi = min(lo + size - 1, ROWS)
            _progress("inserting", lo - 1, ROWS, started)
            with transaction.atomic():
                cursor.execute(
                    _CHUNK_SQL,
                    {"lo": lo, "hi": hi, "heavy": heavy_id, "ids": user_ids, "prefix": USER_PREFIX},
                )
        _progress("inserting", ROWS, ROWS, started)
    print(" VACUUM ANALYZE ...", end="", file=sys.stderr, flush=True)
    _vacuum()
    print(f" done ({time.perf_counter() - started:.1f} s)", file=sys.stderr, flush=True)


def _progress(label: str, done: int, total: int, started: float, width: int = 30) -> None:
    filled = width * done // total
    bar = "#" * filled + "-" * (width - filled)
    print(
        f"\r  {label} [{bar}] {100 * done // total:3d}%  {done:,}/{total:,} rows  "
        f"{time.perf_counter() - started:5.1f} s",
        end="",
        file=sys.stderr,
        flush=True,
    )


# --- Endpoint timings ------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    user: User
    url: str
    params: dict[str, str | int] = field(default_factory=dict)
    target_ms: float = PAGE_TARGET_MS
    max_queries: int | None = MAX_QUERIES
    # Names the cases whose SQL the baselines reuse.
    key: str = ""


@dataclass
class Result:
    case: Case
    times_ms: list[float]
    queries: list[str]
    items: int

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.times_ms, n=20, method="inclusive")[18]

    @property
    def passed(self) -> bool:
        queries_ok = self.case.max_queries is None or len(self.queries) <= self.case.max_queries
        return self.median <= self.case.target_ms and queries_ok


def _client(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def _get(client: APIClient, case: Case) -> dict[str, Any]:
    response = client.get(case.url, case.params)
    assert response.status_code == 200, (case.name, response.status_code, response.content[:200])
    body: dict[str, Any] = response.json()
    return body


def _measure(case: Case) -> Result:
    client = _client(case.user)
    for _ in range(WARMUP):
        _get(client, case)
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        _get(client, case)
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as captured:
        body = _get(client, case)
    items = len(body["results"]) if "results" in body else 1
    return Result(case, times, [q["sql"] for q in captured], items)


def _heavy_ids(heavy: User) -> list[int]:
    return list(
        Notification.objects.filter(recipient_id=heavy.pk)
        .order_by("-id")
        .values_list("id", flat=True)
    )


def _deep_url(heavy: User) -> str:
    """The `next` link after following it DEEP_PAGES times from the first page (20 per page)."""
    client = _client(heavy)
    url = LIST_URL + "?page_size=20"
    for _ in range(DEEP_PAGES):
        url = client.get(url).json()["next"]
        assert url, "the heavy user has fewer pages than DEEP_PAGES"
    return url


def _cases(seeded: Seeded, heavy_ids: list[int]) -> list[Case]:
    heavy, typical = seeded.heavy, seeded.typical
    after = heavy_ids[CATCH_UP_BEHIND]
    deep = DEEP_PAGES * 20
    return [
        Case(f"first page, 20 items (user with {PER_USER})", typical, LIST_URL),
        Case("first page, 20 items (heavy user)", heavy, LIST_URL, key="first"),
        Case("first page, 1 item (heavy user)", heavy, LIST_URL, {"page_size": 1}),
        Case("first page, 100 items (heavy user)", heavy, LIST_URL, {"page_size": 100}),
        Case(f"cursor page at item {deep:,} (heavy user)", heavy, _deep_url(heavy), key="deep"),
        Case("unread=true, 20 items (heavy user)", heavy, LIST_URL, {"unread": "true"}),
        Case(
            f"after= catch-up, {CATCH_UP_BEHIND} behind (heavy user)",
            heavy,
            LIST_URL,
            {"after": after},
        ),
        Case(
            f"unread count ({HEAVY_UNREAD:,} unread)",
            heavy,
            COUNT_URL,
            target_ms=COUNT_TARGET_MS,
            max_queries=None,
            key="count",
        ),
        *_grouped_cases(seeded.grouped),
    ]


def _grouped_cases(grouped: User) -> list[Case]:
    who = f"user with {GROUPED_ROWS:,}"
    return [
        Case(f"first page, 20 items ({who}, flat)", grouped, LIST_URL),
        Case(
            f"grouped first page, 20 groups ({who})",
            grouped,
            LIST_URL,
            {"grouped": "true"},
            target_ms=GROUPED_TARGET_MS,
            key="grouped",
        ),
        Case(
            f"grouped first page, 20 unread groups ({who})",
            grouped,
            LIST_URL,
            {"grouped": "true", "unread": "true"},
            target_ms=GROUPED_TARGET_MS,
        ),
        Case(
            f"unread count ({who}, flat)",
            grouped,
            COUNT_URL,
            target_ms=COUNT_TARGET_MS,
            max_queries=None,
        ),
        Case(
            f"grouped unread count ({who})",
            grouped,
            COUNT_URL,
            {"grouped": "true"},
            target_ms=GROUPED_TARGET_MS,
            max_queries=None,
            key="grouped_count",
        ),
    ]


def _timings_table(results: list[Result], seeded: Seeded) -> Table:
    table = Table(
        title=(
            f"Inbox endpoints at {ROWS:,} notifications (server time of the view, "
            f"{RUNS} runs after {WARMUP} warm-up)"
        ),
        columns=["case", "items", "median ms", "p95 ms", "queries", "target", "result"],
    )
    for result in results:
        case = result.case
        target = f"<= {case.target_ms:.0f} ms"
        if case.max_queries is not None:
            target += f", <= {case.max_queries} queries"
        table.add(
            case.name,
            result.items,
            result.median,
            result.p95,
            len(result.queries),
            target,
            "pass" if result.passed else "FAIL",
        )
    how = (
        f"reused from an earlier run (checked in {seeded.seconds:.1f} s)"
        if seeded.reused
        else f"seeded in this run in {seeded.seconds:.1f} s"
    )
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    table.notes += [
        f"Data {how}: {USERS:,} users with ~{PER_USER} notifications each and one heavy user "
        f"with {HEAVY_UNREAD:,} unread ({ROWS:,} rows, ~{READ_SHARE:.0%} of the others read).",
        f"The grouped user ({seeded.grouped.username}) holds {GROUPED_ROWS:,} of "
        f"{GROUPED_SPAN:,} more rows: posts in batches, groups of ~90 likes and ~45 replies "
        f"of their posts, mentions; the newest {GROUPED_FRESH:,} and "
        f"~{GROUPED_UNREAD_SHARE:.0%} of the older ones unread.",
        f"Load average after the runs: {load} on {os.cpu_count()} CPUs (p95 moves with it).",
        "Time: APIClient.get in-process (middleware, view, SQL, serializer, JSON rendering), "
        "DEBUG off, force_authenticate; a real request adds one query for the token lookup.",
        f"{seeded.typical.username} (id {seeded.typical.pk}) stands for a typical user; "
        f"{seeded.heavy.username} (id {seeded.heavy.pk}) is the heavy one.",
    ]
    return table


# --- SQL baselines ---------------------------------------------------------------------------


def _sql_ms(sql: str, runs: int) -> float:
    """Median client-observed time of one statement (execute + fetch) on this connection."""
    times = []
    with connection.cursor() as cursor:
        for _ in range(runs + 1):
            started = time.perf_counter()
            cursor.execute(sql)
            cursor.fetchall()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times[1:])


_NO_INDEX = (
    "SET LOCAL enable_indexscan = off",
    "SET LOCAL enable_indexonlyscan = off",
    "SET LOCAL enable_bitmapscan = off",
)


@contextmanager
def _rolled_back(*statements: str) -> Iterator[None]:
    """Run `statements` in a transaction that is rolled back on exit (SET LOCAL, DROP INDEX)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        yield
        transaction.set_rollback(True)


def _captured_sql(queryset: QuerySet[Any]) -> str:
    with CaptureQueriesContext(connection) as captured:
        list(queryset)
    [query] = captured.captured_queries
    return query["sql"]


@dataclass
class Baseline:
    name: str
    sql: str
    baseline: str
    baseline_sql: str
    setup: tuple[str, ...] = ()


def _old_grouped_sql(user: User) -> str:
    """The grouped page as it was before: one GROUP BY over every row of the user."""
    page = (
        notification_list(user=user)
        .select_related(None)
        .annotate(key=group_key_expression())
        .values("key")
        .annotate(
            latest_id=Max("id"),
            count=Count("id"),
            unread_count=Count("id", filter=Q(read_at__isnull=True)),
        )
        .order_by("-latest_id")
    )
    return _captured_sql(page[:21])


# The unread index as it was before it carried the group key.
_UNREAD_WITHOUT_GROUP_KEY = (
    "DROP INDEX notif_recipient_unread",
    f"CREATE INDEX notif_recipient_unread ON {TABLE} (recipient_id, id) WHERE read_at IS NULL",
)


def _baselines(
    results: dict[str, Result], heavy: User, heavy_ids: list[int], grouped: User
) -> list[Baseline]:
    first = results["first"].queries[0]
    deep = results["deep"].queries[0]
    count = results["count"].queries[0]
    inbox = notification_list(user=heavy).order_by("-id")
    depth = DEEP_PAGES * 20
    last = len(heavy_ids) - 20
    return [
        Baseline(
            "first page, 20 items (heavy user)",
            first,
            "no index scans (enable_*scan off)",
            first,
            _NO_INDEX,
        ),
        Baseline(
            f"page at item {depth:,} (heavy user): cursor",
            deep,
            f"LIMIT/OFFSET {depth:,}",
            _captured_sql(inbox[depth : depth + 21]),
        ),
        Baseline(
            f"last page, item {last:,} (heavy user): cursor",
            _captured_sql(inbox.filter(id__lt=heavy_ids[last - 1])[:21]),
            f"LIMIT/OFFSET {last:,}",
            _captured_sql(inbox[last : last + 21]),
        ),
        Baseline(
            f"unread count ({HEAVY_UNREAD:,} unread)",
            count,
            "without the partial index notif_recipient_unread",
            count,
            ("DROP INDEX notif_recipient_unread",),
        ),
        *_grouped_baselines(results, grouped),
    ]


def _grouped_baselines(results: dict[str, Result], grouped: User) -> list[Baseline]:
    count = results["grouped_count"].queries[0]
    return [
        Baseline(
            f"grouped first page, 20 groups (user with {GROUPED_ROWS:,}): group entries",
            results["grouped"].queries[0],
            "GROUP BY every row (before)",
            _old_grouped_sql(grouped),
        ),
        Baseline(
            f"grouped unread count (user with {GROUPED_ROWS:,})",
            count,
            "the unread index without the group key",
            count,
            _UNREAD_WITHOUT_GROUP_KEY,
        ),
    ]


def _baseline_table(baselines: list[Baseline]) -> Table:
    table = Table(
        title="SQL against its baseline, measured in the same run (median ms per statement)",
        columns=["case", "ms", "baseline", "baseline ms", "ratio"],
    )
    for baseline in baselines:
        measured = _sql_ms(baseline.sql, RUNS)
        with _rolled_back(*baseline.setup):
            slow = _sql_ms(baseline.baseline_sql, BASELINE_RUNS)
        table.add(baseline.name, measured, baseline.baseline, slow, f"{slow / measured:.1f}x")
    table.notes.append(
        "Client-observed execute + fetch of the exact SQL Django generated; the baselines run "
        "in a transaction that is rolled back (SET LOCAL, DROP INDEX)."
    )
    return table


# --- Plans -----------------------------------------------------------------------------------

_ACCESS = re.compile(
    r"((?:Parallel )?(?:Index Only Scan|Index Scan|Bitmap Index Scan|Bitmap Heap Scan|Seq Scan)"
    r"(?: Backward)?) (?:using|on) (\S+)"
)


@dataclass
class Plan:
    access: list[str]
    heap_fetches: int | None
    buffers: str
    execution_ms: float


def _explain(sql: str) -> Plan:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        lines = [row[0] for row in cursor.fetchall()]
    access = []
    for line in lines:
        match = _ACCESS.search(line)
        if match and (found := f"{match[1]} {match[2]}") not in access:
            access.append(found)
    fetches = [int(m[1]) for line in lines if (m := re.search(r"Heap Fetches: (\d+)", line))]
    buffers = next((line.strip() for line in lines if "Buffers:" in line), "")
    [execution] = [
        float(m[1]) for line in lines if (m := re.search(r"Execution Time: ([\d.]+)", line))
    ]
    return Plan(
        access,
        sum(fetches) if fetches else None,
        buffers.removeprefix("Buffers: "),
        execution,
    )


def _plan_table(results: list[Result], baselines: list[Baseline]) -> Table:
    table = Table(
        title="Query plans: EXPLAIN (ANALYZE, BUFFERS) of each statement",
        columns=["case", "access paths (index / scan)", "heap fetches", "buffers", "exec ms"],
    )
    for result in results:
        for index, sql in enumerate(result.queries):
            name = result.case.name + (f" [{index + 1}]" if len(result.queries) > 1 else "")
            plan = _explain(sql)
            table.add(
                name,
                "; ".join(plan.access),
                "" if plan.heap_fetches is None else plan.heap_fetches,
                plan.buffers,
                plan.execution_ms,
            )
    for baseline in baselines:
        with _rolled_back(*baseline.setup):
            plan = _explain(baseline.baseline_sql)
        table.add(
            f"baseline: {baseline.name} / {baseline.baseline}",
            "; ".join(plan.access),
            "" if plan.heap_fetches is None else plan.heap_fetches,
            plan.buffers,
            plan.execution_ms,
        )
    return table


# --- Entry point -----------------------------------------------------------------------------


def run() -> list[Table]:
    use_bench_database(DATABASE)
    seeded = _seed()
    print(
        f"Inbox data {'reused' if seeded.reused else 'seeded'} in {seeded.seconds:.1f} s\n",
        flush=True,
    )
    heavy_ids = _heavy_ids(seeded.heavy)
    assert len(heavy_ids) == HEAVY_UNREAD
    with override_settings(DEBUG=False):
        cases = _cases(seeded, heavy_ids)
        results = [_measure(case) for case in cases]
        by_key = {result.case.key: result for result in results if result.case.key}
        baselines = _baselines(by_key, seeded.heavy, heavy_ids, seeded.grouped)
        return [
            _timings_table(results, seeded),
            _baseline_table(baselines),
            _plan_table(results, baselines),
        ]
