"""Reads over notifications: latest id, the delivery stream, the inbox."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import CharField, Count, F, Max, Q, QuerySet, Value
from django.db.models.functions import Cast, Coalesce, Concat

from apps.accounts.models import User
from apps.common.exceptions import NotFoundError
from apps.friends.models import Friendship

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
        Notification.objects.filter(recipient_id=user.pk)
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
        Notification.objects.filter(recipient_id=user_id, read_at__isnull=True)
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
