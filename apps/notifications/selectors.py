"""Reads over notifications: latest id, the delivery stream, the inbox."""

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import CharField, Count, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast, Coalesce, Concat

from apps.accounts.models import User
from apps.common.exceptions import NotFoundError
from apps.friends.models import Friendship
from apps.posts.models import Post

from .filters import NotificationFilter
from .models import MutedUser, Notification, NotificationPreference
from .serializers import frame_for


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


def notification_stream_after(
    *, user_id: int, after_id: int, limit: int
) -> list[tuple[int, dict[str, Any] | None]]:
    """The user's notifications with id greater than `after_id`, oldest first.

    Each is `(id, frame)`, the frame None for rows the user chose not to have pushed: the
    caller still moves its cursor past them.
    """
    rows = (
        Notification.objects.filter(recipient_id=user_id, id__gt=after_id)
        .select_related("actor")
        .order_by("id")
    )
    fields = (
        *("id", "type", "created_at", "read_at", "data", "pushed", "group_key", "group_count"),
        *("actor__id", "actor__username"),
    )
    return [(row.pk, frame_for(row) if row.pushed else None) for row in rows.only(*fields)[:limit]]


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
    queryset = Notification.objects.filter(recipient_id=user.pk).select_related("actor")
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
    return Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).count()


def notification_unread_counts(*, user_ids: Iterable[int]) -> dict[int, int]:
    """Unread counts of many users in one query (users with none omitted)."""
    rows = (
        Notification.objects.filter(recipient_id__in=list(user_ids), read_at__isnull=True)
        .values("recipient_id")
        .annotate(count=Count("id"))
        .order_by()
    )
    return {row["recipient_id"]: row["count"] for row in rows}


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
        "WHERE recipient_id = %s AND read_at IS NULL GROUP BY group_key) keys"
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
