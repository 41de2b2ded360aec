"""Reads over notifications: latest id, the delivery stream, the inbox."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import QuerySet

from apps.accounts.models import User
from apps.common.exceptions import NotFoundError
from apps.friends.models import Friendship

from .filters import NotificationFilter
from .models import Notification
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


def notification_frames_after(*, user_id: int, after_id: int, limit: int) -> list[dict]:
    """The user's notifications with id greater than `after_id`, oldest first, as frames."""
    rows = Notification.objects.filter(recipient_id=user_id, id__gt=after_id).order_by("id")[:limit]
    return [frame_for(row) for row in rows.only("id", "type", "created_at", "data")]


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


def notification_list(*, user: User, filters: dict[str, Any] | None = None) -> QuerySet:
    """The user's notifications, filtered; order is left to the paginator.

    Raises the filter set's ValidationError for a bad parameter value.
    """
    queryset = Notification.objects.filter(recipient_id=user.pk).select_related("actor")
    filterset = NotificationFilter(filters or {}, queryset=queryset)
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    return filterset.qs


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
