"""Blocking someone who fills both inboxes, on PostgreSQL.

Times `block_create` (end the friendship, settle requests, retract every notification
between the two in one statement) for pairs with N notifications each way, in inboxes that
hold more from other people and a table of many other users' rows, against deleting the
same rows one at a time (`for n in queryset: n.delete()`, what code that handles each
notification on its own does). Each run is rolled back, so every run starts from the same
rows and nothing is pushed.
"""

import statistics
import time
from collections.abc import Callable

from django.db import connection, transaction
from django.db.models import Q
from django.test.utils import override_settings

from apps.accounts.models import User
from apps.friends.services import block_create
from apps.notifications.models import Notification
from bench.db import seed_friendships, seed_users, use_bench_database
from bench.report import Table

# Its own database: these runs leave a million rows behind for the next one.
DATABASE = "ripple_bench_blocks"
SIZES = (1_000, 10_000)
# Notifications from others in each of the two inboxes, and the rest of the table: 400
# notifications each for BACKGROUND_USERS other users.
OTHERS = 5_000
BACKGROUND_USERS = 2_500
RUNS = 7
LOOP_RUNS = {1_000: 3, 10_000: 1}
IN_MEMORY_LAYER = {
    "default": {"BACKEND": "apps.notifications.realtime.layer.RippleInMemoryChannelLayer"}
}


def run() -> list[Table]:
    use_bench_database(DATABASE)
    pairs = {size: _seed(size) for size in SIZES}
    table = Table(
        f"Block a user: retract N notifications each way, inboxes of {OTHERS:,} more "
        f"(median of {RUNS}, rolled back)",
        ["N each way", "one DELETE per row (ms)", "block_create (ms)", "ratio", "rows retracted"],
    )
    _seed_background()
    with override_settings(DEBUG=False, CHANNEL_LAYERS=IN_MEMORY_LAYER):
        for size, (a, b) in pairs.items():
            loop_ms, loop_rows = _median(_delete_each, a, b, runs=LOOP_RUNS[size])
            block_ms, block_rows = _median(_block, a, b, runs=RUNS)
            assert loop_rows == block_rows == 2 * size, (loop_rows, block_rows)
            table.add(size, loop_ms, block_ms, f"{loop_ms / block_ms:.0f}x", block_rows)
    table.notes.append(
        "block_create also deletes the friendship and settles requests; the loop deletes "
        "the notifications only, and pushes nothing either."
    )
    return [table]


def _seed_background() -> None:
    """Other users' notifications, so that the two inboxes are a small part of the table."""
    user_ids = seed_users(prefix="bench-blocks-background-", count=BACKGROUND_USERS)
    table = Notification._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table} WHERE recipient_id = %s", [user_ids[-1]])
        if cursor.fetchone()[0]:
            return
        cursor.execute(
            f"INSERT INTO {table} (recipient_id, actor_id, type, data, created_at, pushed, "
            f"group_count) SELECT u, u, 'new_message', '{{}}', now(), true, 1 "
            f"FROM unnest(%s::bigint[]) AS u, generate_series(1, 400)",
            [user_ids],
        )
        cursor.execute(f"VACUUM (ANALYZE) {table}")


def _seed(size: int) -> tuple[User, User]:
    """Two friends with `size` notifications from each other, and OTHERS from strangers."""
    a_id, b_id = seed_users(prefix=f"bench-blocks-{size}-", count=2)
    seed_friendships(user_id=a_id, friend_ids=[b_id])
    other_ids = seed_users(prefix="bench-blocks-other-", count=100)
    table = Notification._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table} WHERE recipient_id IN (%s, %s)", [a_id, b_id])
        if cursor.fetchone()[0] != 2 * (size + OTHERS):
            cursor.execute(f"DELETE FROM {table} WHERE recipient_id IN (%s, %s)", [a_id, b_id])
            for recipient, actor in ((a_id, b_id), (b_id, a_id)):
                cursor.execute(
                    f"INSERT INTO {table} (recipient_id, actor_id, type, data, created_at, "
                    f"pushed, group_count) SELECT %s, CASE WHEN g <= %s THEN %s "
                    f"ELSE (%s::bigint[])[1 + g %% 100] END, 'new_message', '{{}}', now(), "
                    f"true, 1 FROM generate_series(1, %s) g",
                    [recipient, size, actor, other_ids, size + OTHERS],
                )
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    return User.objects.get(pk=a_id), User.objects.get(pk=b_id)


def _pair(a: User, b: User) -> Q:
    return Q(recipient=a, actor=b) | Q(recipient=b, actor=a)


def _delete_each(a: User, b: User) -> None:
    for notification in Notification.objects.filter(_pair(a, b)):
        notification.delete()


def _block(a: User, b: User) -> None:
    block_create(blocker=a, blocked=b)


def _median(
    action: Callable[[User, User], None], a: User, b: User, *, runs: int
) -> tuple[float, int]:
    """The median time of `action`, each run rolled back; and the rows it deleted."""
    times, gone = [], 0
    for _ in range(runs):
        with transaction.atomic():
            before = Notification.objects.filter(recipient__in=[a, b]).count()
            started = time.perf_counter()
            action(a, b)
            times.append((time.perf_counter() - started) * 1000)
            gone = before - Notification.objects.filter(recipient__in=[a, b]).count()
            transaction.set_rollback(True)
    return statistics.median(times), gone
