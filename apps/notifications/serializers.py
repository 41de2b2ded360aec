"""The one shape of a notification, shared by the WebSocket push and the REST inbox."""

from datetime import datetime
from typing import Any

from rest_framework import serializers

from apps.accounts.serializers import UserRefSerializer

from .models import Notification

_datetime_field = serializers.DateTimeField()


def format_datetime(value: datetime) -> str:
    """Datetimes exactly as DRF renders them, so pushed and fetched items compare equal."""
    return _datetime_field.to_representation(value)


def notification_frame(
    *, notification_id: int, type: str, created_at: datetime | str, data: Any
) -> dict[str, Any]:
    """The WebSocket message for one notification: `{type, id, created_at, data}`."""
    if isinstance(created_at, datetime):
        created_at = format_datetime(created_at)
    return {"type": type, "id": notification_id, "created_at": created_at, "data": data}


def frame_for(notification: Notification) -> dict[str, Any]:
    return notification_frame(
        notification_id=notification.pk,
        type=notification.type,
        created_at=notification.created_at,
        data=notification.data,
    )


class NotificationSerializer(serializers.ModelSerializer):
    actor = UserRefSerializer()

    class Meta:
        model = Notification
        fields = ["id", "type", "actor", "data", "created_at", "read_at"]
        read_only_fields = fields
