"""The post fan-out: one notification per eligible friend, in a constant number of statements.

Preferences, mutes, muted post types and batching are all applied inside the SQL, so the
statement count does not depend on the number of friends or on their settings.
"""

from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from apps.friends.models import Friendship
from apps.posts.models import Post
from apps.posts.serializers import PostSerializer

from .. import metrics
from ..models import MutedUser, Notification, NotificationPreference
from ..realtime.events import Push, notification_created
from ..realtime.push import push_after_commit
from ..selectors import notification_latest_ids_for_friends_of
from ..serializers import format_datetime, notification_frame, user_ref
from ..webpush.enqueue import webpush_after_commit
from .delivery import lock_notification_ids, to_json

NOTIFICATIONS = Notification._meta.db_table
FRIENDSHIPS = Friendship._meta.db_table
PREFERENCES = NotificationPreference._meta.db_table
MUTES = MutedUser._meta.db_table
DEFAULT_WINDOW = NotificationPreference._meta.get_field("batch_window_seconds").default

# One inserted notification: (id, recipient_id, pushed, group_key, group_count).
InsertedRow = tuple[int, int, bool, str | None, int]


@transaction.atomic
def notifications_create_for_post(*, post: Post) -> int:
    """Store one NEW_POST notification per eligible friend of the author; push after commit.

    Eligible: the friend has not muted the author or the post's type and keeps new posts in
    the inbox. Friends with realtime off get the row but no push. Returns the rows stored.
    """
    data = dict(PostSerializer(post).data)
    created_at = timezone.now()
    lock_notification_ids()
    previous = notification_latest_ids_for_friends_of(user_id=post.author_id)
    _advance_batches(post=post, now_ms=int(created_at.timestamp() * 1000))
    rows = _insert_rows(post=post, data=data, created_at=created_at)
    # The events are built after commit: the id lock is held until then, so everything
    # not needed to write the rows stays out of the transaction.
    actor = user_ref(post.author)
    push_after_commit(
        lambda: _events(rows=rows, actor=actor, data=data, created_at=created_at, previous=previous)
    )
    webpush_after_commit(Notification.Type.NEW_POST, post.author_id, post.pk, rows)
    metrics.incr("notifications_stored", len(rows))
    return len(rows)


def _events(
    *,
    rows: list[InsertedRow],
    actor: dict[str, Any],
    data: dict[str, Any],
    created_at: datetime,
    previous: dict[int, int],
) -> list[Push]:
    created_text = format_datetime(created_at)  # once, not once per recipient
    return [
        (
            recipient_id,
            notification_created(
                frame=notification_frame(
                    notification_id=notification_id,
                    type=Notification.Type.NEW_POST,
                    actor=actor,
                    created_at=created_text,
                    data=data,
                    group_key=group_key,
                    group_count=group_count,
                ),
                prev_id=previous.get(recipient_id),
            ),
        )
        for notification_id, recipient_id, pushed, group_key, group_count in rows
        if pushed
    ]


def _eligible(friend: str, post: Post) -> tuple[str, list[Any]]:
    """SQL that is true when `friend` (a column) should get a notification of this post."""
    if connection.vendor == "postgresql":
        muted_type = "jsonb_exists(p.muted_post_types, %s)"
    else:
        muted_type = "EXISTS (SELECT 1 FROM json_each(p.muted_post_types) j WHERE j.value = %s)"
    sql = (
        f"NOT EXISTS (SELECT 1 FROM {MUTES} m WHERE m.user_id = {friend} AND m.muted_id = %s) "
        f"AND NOT EXISTS (SELECT 1 FROM {PREFERENCES} p WHERE p.user_id = {friend} "
        f"AND (p.new_post_inbox = FALSE OR {muted_type}))"
    )
    return sql, [post.author_id, post.type]


def _window_ms(friend: str) -> str:
    return (
        f"1000 * COALESCE((SELECT p.batch_window_seconds FROM {PREFERENCES} p "
        f"WHERE p.user_id = {friend}), {int(DEFAULT_WINDOW)})"
    )


def _advance_batches(*, post: Post, now_ms: int) -> None:
    """Join the friend's current batch of this author's posts if its window is open, else
    start a new one. SET expressions all see the old row, in PostgreSQL and SQLite alike."""
    friend = f"{FRIENDSHIPS}.friend_id"
    eligible, params = _eligible(friend, post)
    in_window = (
        f"(post_batch_started_ms IS NOT NULL AND post_batch_started_ms + {_window_ms(friend)} > %s)"
    )
    sql = (
        f"UPDATE {FRIENDSHIPS} SET "
        f"post_batch_count = CASE WHEN {in_window} THEN post_batch_count + 1 ELSE 1 END, "
        f"post_batch_started_ms = CASE WHEN {in_window} THEN post_batch_started_ms ELSE %s END "
        f"WHERE user_id = %s AND {eligible}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [now_ms, now_ms, now_ms, post.author_id, *params])


def _insert_rows(*, post: Post, data: dict[str, Any], created_at: datetime) -> list[InsertedRow]:
    """INSERT ... SELECT over the friendship table; returns (id, recipient, pushed, key, count)."""
    eligible, params = _eligible("f.friend_id", post)
    data_param = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    sql = (
        f"INSERT INTO {NOTIFICATIONS} (recipient_id, actor_id, type, post_id, data, created_at, "
        f"read_at, pushed, group_key, group_count) "
        f"SELECT f.friend_id, %s, %s, %s, {data_param}, %s, NULL, "
        f"NOT EXISTS (SELECT 1 FROM {PREFERENCES} p WHERE p.user_id = f.friend_id "
        f"AND p.new_post_realtime = FALSE), "
        f"CASE WHEN EXISTS (SELECT 1 FROM {PREFERENCES} p WHERE p.user_id = f.friend_id "
        f"AND p.batch_window_seconds = 0) THEN NULL "
        f"ELSE %s || CAST(f.post_batch_started_ms AS TEXT) END, "
        f"f.post_batch_count "
        f"FROM {FRIENDSHIPS} f WHERE f.user_id = %s AND {eligible} "
        f"RETURNING id, recipient_id, pushed, group_key, group_count"
    )
    values = [
        post.author_id,
        Notification.Type.NEW_POST,
        post.pk,
        to_json(data),
        connection.ops.adapt_datetimefield_value(created_at),
        f"p{post.author_id}-",
        post.author_id,
        *params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        # `pushed` comes back as 0 or 1 from SQLite; callers only test its truth.
        inserted: list[InsertedRow] = cursor.fetchall()
        return inserted
