"""The one shape of a notification, shared by the WebSocket push and the REST inbox."""

from datetime import datetime
from typing import Any

from rest_framework import serializers

from apps.accounts.serializers import UserRefSerializer

from .models import Notification, standalone_group_key

_datetime_field = serializers.DateTimeField()


def format_datetime(value: datetime) -> str:
    """Datetimes exactly as DRF renders them, so pushed and fetched items compare equal."""
    return _datetime_field.to_representation(value)


def notification_frame(
    *,
    notification_id: int,
    type: str,
    created_at: datetime | str,
    data: Any,
    group_key: str | None = None,
    group_count: int = 1,
) -> dict[str, Any]:
    """The WebSocket message for one notification: `{type, id, created_at, data, group}`."""
    if isinstance(created_at, datetime):
        created_at = format_datetime(created_at)
    group = {"key": group_key or standalone_group_key(notification_id), "count": group_count}
    return {
        "type": type,
        "id": notification_id,
        "created_at": created_at,
        "data": data,
        "group": group,
    }


def frame_for(notification: Notification) -> dict[str, Any]:
    return notification_frame(
        notification_id=notification.pk,
        type=notification.type,
        created_at=notification.created_at,
        data=notification.data,
        group_key=notification.group_key,
        group_count=notification.group_count,
    )


class GroupSerializer(serializers.Serializer):
    key = serializers.CharField()
    count = serializers.IntegerField()


class NotificationSerializer(serializers.ModelSerializer):
    actor = UserRefSerializer()
    group = GroupSerializer(read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "type", "actor", "data", "created_at", "read_at", "group"]
        read_only_fields = fields


class NotificationGroupSerializer(serializers.Serializer):
    """One entry of the grouped inbox: a batch of notifications shown as one."""

    key = serializers.CharField()
    count = serializers.IntegerField()
    unread_count = serializers.IntegerField()
    ids = serializers.ListField(child=serializers.IntegerField())
    latest = NotificationSerializer()
