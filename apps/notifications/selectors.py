"""Reads over notifications: latest id, the delivery stream, the inbox."""

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import CharField, Count, F, Max, Q, QuerySet, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.accounts.models import User
from apps.common.exceptions import NotFoundError
from apps.friends.models import Friendship

from .filters import NotificationFilter
from .models import InboxMarker, MutedUser, Notification, NotificationPreference
from .serializers import notification_frame


def notification_latest_id(*, user_id: int) -> int:
    latest = (
        Notification.objects.filter(recipient_id=user_id)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    return latest or 0


def notification_latest_ids(*, user_ids: Iterable[int]) -> dict[int, int]:
    """Each user's newest notification id (users with none omitted), in one statement.

    An index probe per user rather than a GROUP BY, which would read every row of each.
    """
    user_ids = sorted(set(user_ids))
    if not user_ids:
        return {}
    table = Notification._meta.db_table
    values = ", ".join(["(%s)"] * len(user_ids))
    sql = (
        f"WITH users(id) AS (VALUES {values}) "
        f"SELECT users.id, (SELECT n.id FROM {table} n WHERE n.recipient_id = users.id "
        f"ORDER BY n.id DESC LIMIT 1) FROM users"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, user_ids)
        return {user_id: latest for user_id, latest in cursor.fetchall() if latest}


StreamRow = tuple[int, dict[str, Any] | None]


def notification_stream_after(*, user_id: int, after_id: int, limit: int) -> list[StreamRow]:
    """The user's notifications with id greater than `after_id`, oldest first.

    Each is `(id, frame)`, the frame None for rows the user chose not to have pushed: the
    caller still moves its cursor past them.
    """
    return _stream_rows(_STREAM_SQL.format(floor="%s"), [user_id, after_id + 1, limit])


def notification_stream_from(
    *, user_id: int, after_id: int, limit: int
) -> tuple[int | None, list[StreamRow]]:
    """`notification_stream_after`, and the newest id when nothing is newer than `after_id`
    (0 when the user has none): where a replay starts, in one statement.

    The rows are those from the newest id if it is not above `after_id`, else from
    `after_id + 1`: the rows after `after_id` when there are any, else the newest row alone.
    """
    floor = (
        f"COALESCE((SELECT CASE WHEN newest.id <= %s THEN newest.id END FROM "
        f"(SELECT id FROM {_NOTIFICATIONS} WHERE recipient_id = %s ORDER BY id DESC LIMIT 1) "
        f"newest), %s)"
    )
    params = [user_id, after_id, user_id, after_id + 1, limit]
    rows = _stream_rows(_STREAM_SQL.format(floor=floor), params)
    if not rows:
        return 0, []
    if rows[0][0] <= after_id:
        return rows[0][0], []
    return None, rows


_NOTIFICATIONS = Notification._meta.db_table
# Raw SQL: a handshake runs this once or twice, and compiling the equivalent queryset cost
# more CPU than running it. The frames are those of `frame_for`.
_STREAM_SQL = (
    f"SELECT n.id, n.type, n.created_at, n.read_at, n.data, n.pushed, n.group_key, "
    f"n.group_count, a.id, a.username FROM {_NOTIFICATIONS} n "
    f"JOIN {User._meta.db_table} a ON a.id = n.actor_id "
    f"WHERE n.recipient_id = %s AND n.id >= {{floor}} ORDER BY n.id LIMIT %s"
)


def _stream_rows(sql: str, params: list[int]) -> list[StreamRow]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        (
            row[0],
            notification_frame(
                notification_id=row[0],
                type=row[1],
                actor={"id": row[8], "username": row[9]},
                created_at=_as_datetime(row[2]),
                data=json.loads(row[4]) if isinstance(row[4], str | bytes) else row[4],
                read_at=None if row[3] is None else _as_datetime(row[3]),
                group_key=row[6],
                group_count=row[7],
            )
            if row[5]
            else None,
        )
        for row in rows
    ]


def _as_datetime(value: datetime | str) -> datetime:
    """SQLite returns datetimes as text, naive UTC as Django stores them."""
    if isinstance(value, str):
        parsed = parse_datetime(value)
        assert parsed is not None, value
        return parsed.replace(tzinfo=UTC) if timezone.is_naive(parsed) else parsed
    return value


def notification_latest_ids_for_friends_of(*, user_id: int) -> dict[int, int]:
    """For each friend of `user_id`, their newest notification id (friends with none omitted).

    One statement whatever the number of friends: an index probe per friend.
    """
    table = Notification._meta.db_table
    friendship = Friendship._meta.db_table
    sql = (
        f"SELECT f.friend_id, (SELECT n.id FROM {table} n WHERE n.recipient_id = f.friend_id "
        f"ORDER BY n.id DESC LIMIT 1) FROM {friendship} f WHERE f.user_id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        return {friend_id: latest for friend_id, latest in cursor.fetchall() if latest}


NOTIFICATION_NOT_FOUND = "Notification not found."


def notification_list(
    *, user: User, filters: dict[str, Any] | None = None
) -> QuerySet[Notification]:
    """The user's notifications, filtered; order is left to the paginator.

    Raises the filter set's ValidationError for a bad parameter value.
    """
    queryset = Notification.objects.filter(recipient_id=user.pk, done_at__isnull=True)
    queryset = queryset.select_related("actor")
    filterset = NotificationFilter(filters or {}, queryset=queryset)
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    notifications: QuerySet[Notification] = filterset.qs
    return notifications


def notification_get(*, user: User, notification_id: int) -> Notification:
    """One of the user's notifications; another user's id is simply not found."""
    notification = (
        Notification.objects.filter(recipient_id=user.pk, pk=notification_id)
        .select_related("actor")
        .first()
    )
    if notification is None:
        raise NotFoundError(NOTIFICATION_NOT_FOUND, code="not_found")
    return notification


def notification_unread_count(*, user_id: int) -> int:
    return Notification.objects.filter(
        recipient_id=user_id, read_at__isnull=True, done_at__isnull=True
    ).count()


def notification_unread_counts(*, user_ids: Iterable[int]) -> dict[int, int]:
    """Unread counts of many users in one query (users with none omitted)."""
    rows = (
        Notification.objects.filter(
            recipient_id__in=list(user_ids), read_at__isnull=True, done_at__isnull=True
        )
        .values("recipient_id")
        .annotate(count=Count("id"))
        .order_by()
    )
    return {row["recipient_id"]: row["count"] for row in rows}


def inbox_marker_get(*, user_id: int) -> InboxMarker:
    """The user's seen marker, or an unsaved one at 0 when they never opened the inbox."""
    return InboxMarker.objects.filter(user_id=user_id).first() or InboxMarker(user_id=user_id)


def notification_counts(*, user_id: int) -> dict[str, int]:
    """`unread` (not read, not done), `unseen` (those newer than the seen marker), the
    marker's `last_seen_id` and `version`: two queries, both on the unread index."""
    marker = inbox_marker_get(user_id=user_id)
    counts = Notification.objects.filter(
        recipient_id=user_id, read_at__isnull=True, done_at__isnull=True
    ).aggregate(
        unread=Count("id"),
        unseen=Count("id", filter=Q(id__gt=marker.last_seen_id)),
    )
    return {
        "unread": counts["unread"],
        "unseen": counts["unseen"],
        "last_seen_id": marker.last_seen_id,
        "version": marker.version,
    }


def notification_states(*, user: User, ids: Sequence[int]) -> list[dict[str, Any]]:
    """The current read and done state of those of `ids` the user still has (one query).

    A reconnecting client sends what it holds; an id missing from the answer is gone.
    """
    rows = (
        Notification.objects.filter(recipient_id=user.pk, pk__in=list(ids))
        .order_by("-id")
        .values("id", "read_at", "done_at")
    )
    return [
        {"id": row["id"], "read_at": row["read_at"], "done": row["done_at"] is not None}
        for row in rows
    ]


def group_key_expression() -> Coalesce:
    """The group a row belongs to: its batch key, or a key of its own (see Notification.group)."""
    return Coalesce(
        F("group_key"),
        Concat(Value("n"), Cast("id", output_field=CharField())),
        output_field=CharField(),
    )


def notification_group_list(
    *, user: User, filters: dict[str, Any] | None = None
) -> QuerySet[Notification, Mapping[str, Any]]:
    """One row per group of the user's (filtered) notifications: key, latest id, counts.

    Rows are dicts; `notification_groups_expand` adds the latest item and the ids.
    """
    return (
        notification_list(user=user, filters=filters)
        .select_related(None)
        .annotate(key=group_key_expression())
        .values("key")
        .annotate(
            latest_id=Max("id"),
            count=Count("id"),
            unread_count=Count("id", filter=Q(read_at__isnull=True)),
        )
        .order_by()
    )


def notification_groups_expand(
    *, user: User, groups: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Add each group's newest notification and its ids, in two queries for the whole page."""
    keys = [group["key"] for group in groups]
    latest = Notification.objects.select_related("actor").in_bulk(
        [group["latest_id"] for group in groups]
    )
    ids: dict[str, list[int]] = {key: [] for key in keys}
    members = (
        Notification.objects.filter(recipient_id=user.pk, done_at__isnull=True)
        .annotate(key=group_key_expression())
        .filter(key__in=keys)
        .order_by("id")
        .values_list("key", "id")
    )
    for key, notification_id in members:
        ids[key].append(notification_id)
    return [
        {**group, "ids": ids[group["key"]], "latest": latest[group["latest_id"]]}
        for group in groups
    ]


def notification_group_unread_count(*, user_id: int) -> int:
    return (
        Notification.objects.filter(
            recipient_id=user_id, read_at__isnull=True, done_at__isnull=True
        )
        .annotate(key=group_key_expression())
        .values("key")
        .distinct()
        .count()
    )


def preference_for(*, user_id: int) -> NotificationPreference:
    """The user's preferences, or an unsaved record of the defaults when they have none."""
    preference = NotificationPreference.objects.filter(user_id=user_id).first()
    return preference or NotificationPreference(user_id=user_id)


def muted_user_list(*, user: User) -> QuerySet[MutedUser]:
    return MutedUser.objects.filter(user=user).select_related("muted")
