"""Reads over notifications: latest id, the delivery stream, the inbox."""

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import CharField, Count, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.accounts.models import User
from apps.common.exceptions import NotFoundError
from apps.friends.models import Friendship
from apps.posts.models import Post

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


def notification_latest_ids(
    *, user_ids: Iterable[int], below_id: int = 2**63 - 1
) -> dict[int, int]:
    """Each user's newest notification id below `below_id` (users with none omitted), in
    one statement.

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
        f"AND n.id < %s ORDER BY n.id DESC LIMIT 1) FROM users"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*user_ids, below_id])
        return {user_id: latest for user_id, latest in cursor.fetchall() if latest}


StreamRow = tuple[int, dict[str, Any] | None]


def notification_stream_after(*, user_id: int, after_id: int, limit: int) -> list[StreamRow]:
    """The user's notifications with id greater than `after_id`, oldest first.

    Each is `(id, frame)`, the frame None for rows the user chose not to have pushed or
    marked Done (the inbox leaves those out too): the caller still moves its cursor past them.
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
# The actor's name comes from a scalar subquery, one primary-key probe per row returned,
# not from a join: with the users table's statistics stale (a table filled since its last
# ANALYZE), the planner chose a hash join that read every user for each replay, and a
# reconnect storm of 1,000 sockets took 3-5 s instead of about 1.
_STREAM_SQL = (
    f"SELECT n.id, n.type, n.created_at, n.read_at, n.data, n.pushed, n.group_key, "
    f"n.group_count, n.actor_id, "
    f"(SELECT a.username FROM {User._meta.db_table} a WHERE a.id = n.actor_id), "
    f"n.done_at FROM {_NOTIFICATIONS} n "
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
            if row[5] and row[10] is None
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


def notification_latest_ids_for_friends_of(
    *, user_id: int, after: int = 0, before: int = 2**63 - 1, below_id: int = 2**63 - 1
) -> dict[int, int]:
    """For each friend of `user_id` with `after < id < before`, their newest notification id
    below `below_id` (friends with none omitted).

    One statement whatever the number of friends: an index probe per friend.
    """
    table = Notification._meta.db_table
    friendship = Friendship._meta.db_table
    sql = (
        f"SELECT f.friend_id, (SELECT n.id FROM {table} n WHERE n.recipient_id = f.friend_id "
        f"AND n.id < %s ORDER BY n.id DESC LIMIT 1) FROM {friendship} f "
        f"WHERE f.user_id = %s AND f.friend_id > %s AND f.friend_id < %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [below_id, user_id, after, before])
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


def notification_group_list(*, rows: QuerySet[Notification]) -> QuerySet[Notification]:
    """The entry of each group of `rows` (a user's filtered notifications, from
    `notification_list`): its newest row, with its `key` and `latest_id` (its own id)
    annotated, and its actor loaded.

    An entry is a row with no newer row of the same key, so a page is read newest first
    from the index and stops after a page of entries: the cost follows the page, not the
    size of the inbox. `notification_groups_expand` adds the counts, ids and actors.
    """
    newer = rows.select_related(None).filter(group_key=OuterRef("group_key"), id__gt=OuterRef("id"))
    return (
        rows.filter(Q(group_key__isnull=True) | ~Exists(newer))
        .annotate(key=group_key_expression(), latest_id=F("id"))
        .order_by()
    )


# How many of a group's most recent distinct actors its entry names.
GROUP_ACTORS = 3


def notification_groups_expand(
    *, rows: QuerySet[Notification], groups: Sequence[Notification]
) -> list[dict[str, Any]]:
    """Each entry as a group: its counts, ids and latest actors, in one query for the whole
    page (the members of its groups; a stand-alone row is its own group and needs none).

    `rows` must be those the page was read from: a group is its filtered members.
    """
    found: dict[str, dict[str, Any]] = {
        entry.group_key: {"ids": [], "unread_count": 0, "actors": {}}
        for entry in groups
        if entry.group_key is not None
    }
    if found:
        members = (
            rows.select_related(None)
            .filter(group_key__in=list(found))
            .order_by("-id")
            .values_list("id", "group_key", "read_at", "actor_id", "actor__username")
        )
        for notification_id, group_key, read_at, actor_id, username in members:
            member = found[group_key or ""]
            member["ids"].append(notification_id)
            member["unread_count"] += read_at is None
            # Newest first, so the first time an actor is seen is their latest.
            member["actors"].setdefault(actor_id, username)
    expanded = []
    for entry in groups:
        alone = {
            "ids": [entry.pk],
            "unread_count": int(entry.read_at is None),
            "actors": {entry.actor_id: entry.actor.username},
        }
        group = found.get(entry.group_key or "", alone)
        expanded.append(
            {
                "key": entry.group["key"],
                "count": len(group["ids"]),
                "unread_count": group["unread_count"],
                "ids": sorted(group["ids"]),
                "latest": entry,
                "actors": [
                    {"id": actor_id, "username": username}
                    for actor_id, username in list(group["actors"].items())[:GROUP_ACTORS]
                ],
                "actor_count": len(group["actors"]),
            }
        )
    return expanded


def notification_group_unread_count(*, user_id: int) -> int:
    """How many groups hold an unread notification: the distinct keys of unread grouped
    rows plus the unread rows that stand alone (key NULL, each a group of its own).

    The unread index carries the group key, so one scan of that index alone feeds one
    hash of the keys; a stand-alone row's key is never built (half the time of hashing
    `group_key_expression()`).
    """
    sql = (
        "SELECT COUNT(*) FILTER (WHERE group_key IS NOT NULL) "
        "+ COALESCE(SUM(n) FILTER (WHERE group_key IS NULL), 0) "
        f"FROM (SELECT group_key, COUNT(*) AS n FROM {Notification._meta.db_table} "
        "WHERE recipient_id = %s AND read_at IS NULL AND done_at IS NULL GROUP BY group_key) keys"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def post_counts_get(*, post_id: int) -> tuple[int, int] | None:
    """A visible post's (likes_count, reply_count); None once it is removed or deleted."""
    counts: tuple[int, int] | None = (
        Post.objects.filter(pk=post_id, removed_at__isnull=True)
        .values_list("likes_count", "reply_count")
        .first()
    )
    return counts


def post_viewer_ids(*, author_id: int) -> list[int]:
    """Who may see a post by `author_id`: the author and their friends."""
    friends = Friendship.objects.filter(user_id=author_id).values_list("friend_id", flat=True)
    return [author_id, *friends]


def preference_for(*, user_id: int) -> NotificationPreference:
    """The user's preferences, or an unsaved record of the defaults when they have none."""
    preference = NotificationPreference.objects.filter(user_id=user_id).first()
    return preference or NotificationPreference(user_id=user_id)


def muted_user_list(*, user: User) -> QuerySet[MutedUser]:
    return MutedUser.objects.filter(user=user).select_related("muted")


def preference_email_types(*, preference: NotificationPreference) -> list[str]:
    """The notification types the user wants in the email digest."""
    return [kind for kind in Notification.Type.values if preference.switch(kind, "email")]


def notification_digest_rows(
    *, user_id: int, after_id: int, created_before: datetime, types: Sequence[str]
) -> QuerySet[Notification]:
    """What an email digest may tell the user: unread, not done, newer than `after_id` (what
    they saw and what an earlier digest told), at least as old as `created_before`, of
    `types`. A retracted notification is deleted, so it is simply not here."""
    return Notification.objects.filter(
        recipient_id=user_id,
        read_at__isnull=True,
        done_at__isnull=True,
        id__gt=after_id,
        created_at__lte=created_before,
        type__in=list(types),
    ).select_related("actor")
