"""Notification preference and muted-user endpoints."""

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from drf_spectacular.utils import extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.requests import AuthenticatedRequest
from apps.accounts.serializers import UserIdField, UserRefSerializer
from apps.common.pagination import NewestFirstCursorPagination, get_paginated_response
from apps.posts.models import Post

from .models import MutedUser, Notification, NotificationPreference
from .selectors import muted_user_list, preference_for
from .services import muted_user_create, muted_user_delete, preference_update

# One boolean column per type and channel (`<type>_<channel>`, models.NotificationPreference);
# another channel is one more column per type and one more name here.
CHANNELS = ("inbox", "realtime", "push", "email")
UNKNOWN_KEY = "Unknown field."


def preference_data(preference: NotificationPreference) -> dict[str, Any]:
    return {
        "types": {
            kind: {channel: preference.switch(kind, channel) for channel in CHANNELS}
            for kind in Notification.Type.values
        },
        "muted_post_types": sorted(preference.muted_post_types),
        "batch_window_seconds": preference.batch_window_seconds,
        "quiet_hours": _quiet_hours(preference),
    }


def _quiet_hours(preference: NotificationPreference) -> dict[str, Any] | None:
    if preference.quiet_start is None or preference.quiet_end is None:
        return None
    return {
        "start": preference.quiet_start.strftime("%H:%M"),
        "end": preference.quiet_end.strftime("%H:%M"),
        "time_zone": preference.time_zone,
        "allow_messages": preference.quiet_allow_messages,
    }


class QuietHoursSerializer(serializers.Serializer[Any]):
    """A daily window in the user's time zone during which Web Push waits, then sends what
    is still unread, collapsed; null for none."""

    start = serializers.TimeField(format="%H:%M", input_formats=["%H:%M"])
    end = serializers.TimeField(format="%H:%M", input_formats=["%H:%M"])
    time_zone = serializers.CharField(max_length=64)
    allow_messages = serializers.BooleanField(default=True)

    def validate_time_zone(self, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise serializers.ValidationError(f"Unknown time zone {value!r}.") from None
        return value


_switches = inline_serializer(
    "TypeSwitches",
    {channel: serializers.BooleanField() for channel in CHANNELS},
)
PreferenceSchema = inline_serializer(
    "NotificationPreferences",
    {
        "types": serializers.DictField(child=_switches),
        "muted_post_types": serializers.ListField(
            child=serializers.ChoiceField(choices=Post.Type.choices)
        ),
        "batch_window_seconds": serializers.IntegerField(
            min_value=0, max_value=NotificationPreference.BATCH_WINDOW_MAX
        ),
        "quiet_hours": QuietHoursSerializer(allow_null=True),
    },
)


class PreferencePatchSerializer(serializers.Serializer[Any]):
    """A partial update: any of the three keys; `types` may name some types and channels."""

    types = serializers.DictField(required=False)
    muted_post_types = serializers.ListField(
        child=serializers.ChoiceField(choices=Post.Type.choices), required=False
    )
    batch_window_seconds = serializers.IntegerField(
        min_value=0, max_value=NotificationPreference.BATCH_WINDOW_MAX, required=False
    )
    quiet_hours = QuietHoursSerializer(required=False, allow_null=True)

    def validate_types(self, value: dict[str, Any]) -> dict[str, bool]:
        changes: dict[str, bool] = {}
        for kind, switches in value.items():
            if kind not in Notification.Type.values:
                raise serializers.ValidationError(f"Unknown notification type {kind!r}.")
            if not isinstance(switches, dict):
                raise serializers.ValidationError(f"{kind}: expected an object.")
            for channel, enabled in switches.items():
                if channel not in CHANNELS:
                    raise serializers.ValidationError(f"{kind}: unknown switch {channel!r}.")
                if not isinstance(enabled, bool):
                    raise serializers.ValidationError(f"{kind}.{channel}: expected true or false.")
                changes[f"{kind}_{channel}"] = enabled
        return changes

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = set(self.initial_data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError({name: [UNKNOWN_KEY] for name in sorted(unknown)})
        changes = attrs.pop("types", {})
        if "quiet_hours" in attrs:
            quiet = attrs.pop("quiet_hours")
            changes["quiet_start"] = quiet["start"] if quiet else None
            changes["quiet_end"] = quiet["end"] if quiet else None
            if quiet:
                changes["time_zone"] = quiet["time_zone"]
                changes["quiet_allow_messages"] = quiet["allow_messages"]
        if "muted_post_types" in attrs:
            attrs["muted_post_types"] = sorted(set(attrs["muted_post_types"]))
        return {**changes, **attrs}


class NotificationPreferenceApi(APIView):
    @extend_schema(responses={200: PreferenceSchema})
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response(preference_data(preference_for(user_id=request.user.pk)))

    @extend_schema(request=PreferenceSchema, responses={200: PreferenceSchema})
    def patch(self, request: AuthenticatedRequest) -> Response:
        if not isinstance(request.data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        data = PreferencePatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        preference = preference_update(user=request.user, changes=data.validated_data)
        return Response(preference_data(preference))


class MutedUserOutputSerializer(serializers.ModelSerializer[MutedUser]):
    user = UserRefSerializer(source="muted")

    class Meta:
        model = MutedUser
        fields = ["user", "created_at"]


class MutedUserListCreateApi(APIView):
    pagination_class = NewestFirstCursorPagination

    @extend_schema_serializer(component_name="MutedUserCreateInput")
    class InputSerializer(serializers.Serializer[Any]):
        user = UserIdField()

    @extend_schema(responses={200: MutedUserOutputSerializer(many=True)})
    def get(self, request: AuthenticatedRequest) -> Response:
        return get_paginated_response(
            pagination_class=self.pagination_class,
            serializer_class=MutedUserOutputSerializer,
            queryset=muted_user_list(user=request.user),
            request=request,
            view=self,
        )

    @extend_schema(request=InputSerializer, responses={201: MutedUserOutputSerializer})
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        mute = muted_user_create(user=request.user, muted=data.validated_data["user"])
        return Response(MutedUserOutputSerializer(mute).data, status=status.HTTP_201_CREATED)


class MutedUserDeleteApi(APIView):
    @extend_schema(request=None, responses={204: None})
    def delete(self, request: AuthenticatedRequest, user_id: int) -> Response:
        muted_user_delete(user=request.user, muted_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
