"""Notification writes: set-based fan-out and single notifications, pushed after commit.

Every writer takes the notification-id lock before allocating ids and holds it to commit,
so ids grow in commit order: a client that has everything up to id N can ask for "after N"
and never skip a row that commits later with a smaller id. Call these services as the last
write of a transaction, to keep the lock short.
"""

import json
from functools import partial
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.friends.models import Friendship
from apps.posts.models import Post
from apps.posts.serializers import PostSerializer

from . import metrics
from .models import Notification
from .realtime import Push, created_event, push, unread_event
from .selectors import (
    notification_get,
    notification_latest_id,
    notification_latest_ids_for_friends_of,
    notification_unread_count,
)
from .serializers import notification_frame

# An arbitrary constant naming the advisory lock that orders notification ids.
_ID_LOCK_KEY = 0x52_49_50_50_4C_45  # "RIPPLE"


def _lock_notification_ids() -> None:
    """Serialise id allocation until commit (PostgreSQL advisory transaction lock).

    SQLite needs nothing: it allows one writing transaction at a time already.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ID_LOCK_KEY])


def _json(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder)


@transaction.atomic
def notifications_create_for_post(*, post: Post) -> int:
    """Store one NEW_POST notification per friend of the author, then push after commit.

    A constant number of statements whatever the number of friends: one INSERT ... SELECT
    over the friendship table. Returns the number of notifications stored.
    """
    data = dict(PostSerializer(post).data)
    created_at = timezone.now()
    _lock_notification_ids()
    previous = notification_latest_ids_for_friends_of(user_id=post.author_id)
    rows = _insert_for_friends(
        author_id=post.author_id,
        type=Notification.Type.NEW_POST,
        post_id=post.pk,
        data=data,
        created_at=created_at,
    )
    frames = [
        (
            recipient_id,
            notification_frame(
                notification_id=notification_id,
                type=Notification.Type.NEW_POST,
                created_at=created_at,
                data=data,
            ),
        )
        for notification_id, recipient_id in rows
    ]
    _push_on_commit(
        [
            (recipient_id, created_event(frame=frame, prev_id=previous.get(recipient_id)))
            for recipient_id, frame in frames
        ]
    )
    metrics.incr("notifications_stored", len(rows))
    return len(rows)


def _insert_for_friends(
    *, author_id: int, type: str, post_id: int | None, data: Any, created_at: Any
) -> list[tuple[int, int]]:
    """INSERT ... SELECT one row per friend of the author; returns (id, recipient_id) pairs."""
    table = Notification._meta.db_table
    friendship = Friendship._meta.db_table
    data_param = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    sql = (
        f"INSERT INTO {table} (recipient_id, actor_id, type, post_id, data, created_at, read_at) "
        f"SELECT f.friend_id, %s, %s, %s, {data_param}, %s, NULL "
        f"FROM {friendship} f WHERE f.user_id = %s "
        f"RETURNING id, recipient_id"
    )
    params = [
        author_id,
        type,
        post_id,
        _json(data),
        connection.ops.adapt_datetimefield_value(created_at),
        author_id,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(row[0], row[1]) for row in cursor.fetchall()]


@transaction.atomic
def notification_create(
    *, recipient_id: int, actor_id: int, type: str, data: dict[str, Any]
) -> Notification:
    """Store one notification and push it after commit."""
    # Round-trip through JSON so the pushed data is exactly what the inbox will return.
    data = json.loads(_json(data))
    _lock_notification_ids()
    previous = notification_latest_id(user_id=recipient_id) or None
    notification = Notification.objects.create(
        recipient_id=recipient_id, actor_id=actor_id, type=type, data=data
    )
    frame = notification_frame(
        notification_id=notification.pk,
        type=type,
        created_at=notification.created_at,
        data=notification.data,
    )
    _push_on_commit([(recipient_id, created_event(frame=frame, prev_id=previous))])
    metrics.incr("notifications_stored")
    return notification


def _push_on_commit(pushes: list[Push]) -> None:
    transaction.on_commit(partial(push, pushes))


def _push_unread_count_on_commit(user_id: int) -> None:
    """After commit, tell the user's open connections their new unread count.

    The count is read after commit, so concurrent changes never leave a stale badge.
    """

    def send() -> None:
        push([(user_id, unread_event(count=notification_unread_count(user_id=user_id)))])

    transaction.on_commit(send)


@transaction.atomic
def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    notification = notification_get(user=user, notification_id=notification_id)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
        _push_unread_count_on_commit(user.pk)
    return notification


@transaction.atomic
def notification_mark_unread(*, user: User, notification_id: int) -> Notification:
    notification = notification_get(user=user, notification_id=notification_id)
    if notification.read_at is not None:
        notification.read_at = None
        notification.save(update_fields=["read_at"])
        _push_unread_count_on_commit(user.pk)
    return notification


@transaction.atomic
def notifications_mark_all_read(*, user: User, up_to: int | None = None) -> int:
    """Mark the user's unread notifications read; with `up_to`, only ids up to it.

    `up_to` lets a client mark what it has shown, leaving anything that arrived since unread.
    """
    unread = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True)
    if up_to is not None:
        unread = unread.filter(id__lte=up_to)
    updated = unread.update(read_at=timezone.now())
    if updated:
        _push_unread_count_on_commit(user.pk)
    return updated


@transaction.atomic
def notification_dismiss(*, user: User, notification_id: int) -> None:
    notification = notification_get(user=user, notification_id=notification_id)
    was_unread = notification.read_at is None
    notification.delete()
    if was_unread:
        _push_unread_count_on_commit(user.pk)
