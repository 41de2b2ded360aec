"""Reads over notifications: latest id, the delivery stream, the inbox."""

from django.db import connection

from apps.friends.models import Friendship

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
