"""Triage endpoints: done and undone, done up to an id, the seen marker, current states."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.requests import AuthenticatedRequest

from .selectors import notification_counts, notification_states
from .serializers import NotificationSerializer
from .services import (
    inbox_mark_seen,
    notification_mark_done,
    notification_mark_undone,
    notifications_mark_all_done,
)

MAX_STATE_IDS = 100

CountsSerializer = inline_serializer(
    "InboxCounts",
    {
        "unread": serializers.IntegerField(),
        "unseen": serializers.IntegerField(),
        "last_seen_id": serializers.IntegerField(),
        "version": serializers.IntegerField(),
    },
)


class NotificationMarkDoneApi(APIView):
    @extend_schema(request=None, responses={200: NotificationSerializer})
    def post(self, request: AuthenticatedRequest, notification_id: int) -> Response:
        notification = notification_mark_done(user=request.user, notification_id=notification_id)
        return Response(NotificationSerializer(notification).data)


class NotificationMarkUndoneApi(APIView):
    @extend_schema(request=None, responses={200: NotificationSerializer})
    def post(self, request: AuthenticatedRequest, notification_id: int) -> Response:
        notification = notification_mark_undone(user=request.user, notification_id=notification_id)
        return Response(NotificationSerializer(notification).data)


class NotificationMarkAllDoneApi(APIView):
    @extend_schema_serializer(component_name="NotificationMarkAllDoneInput")
    class InputSerializer(serializers.Serializer[Any]):
        # Required: "done" for everything would hide what arrived after the client looked.
        up_to = serializers.IntegerField(min_value=1)
        group = serializers.CharField(max_length=64, required=False)

    @extend_schema(
        request=InputSerializer,
        responses={200: inline_serializer("MarkedDone", {"updated": serializers.IntegerField()})},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        updated = notifications_mark_all_done(
            user=request.user,
            up_to=data.validated_data["up_to"],
            group=data.validated_data.get("group"),
        )
        return Response({"updated": updated})


class NotificationSeenApi(APIView):
    @extend_schema_serializer(component_name="NotificationSeenInput")
    class InputSerializer(serializers.Serializer[Any]):
        last_seen_id = serializers.IntegerField(min_value=0, max_value=2**63 - 1)

    @extend_schema(responses={200: CountsSerializer})
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response(notification_counts(user_id=request.user.pk))

    @extend_schema(request=InputSerializer, responses={200: CountsSerializer})
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        inbox_mark_seen(user=request.user, last_seen_id=data.validated_data["last_seen_id"])
        return Response(notification_counts(user_id=request.user.pk))


class NotificationStatesApi(APIView):
    class FilterSerializer(serializers.Serializer[Any]):
        ids = serializers.CharField(max_length=2000)

        def validate_ids(self, value: str) -> list[int]:
            parts = [part.strip() for part in value.split(",") if part.strip()]
            if not all(part.isascii() and part.isdigit() and len(part) < 19 for part in parts):
                raise serializers.ValidationError("A comma-separated list of notification ids.")
            if len(parts) > MAX_STATE_IDS:
                raise serializers.ValidationError(f"At most {MAX_STATE_IDS} ids.")
            return [int(part) for part in parts]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "ids",
                OpenApiTypes.STR,
                required=True,
                description=f"Up to {MAX_STATE_IDS} comma-separated ids the client holds.",
            )
        ],
        responses={
            200: inline_serializer(
                "NotificationStates",
                {
                    "results": inline_serializer(
                        "NotificationState",
                        {
                            "id": serializers.IntegerField(),
                            "read_at": serializers.DateTimeField(allow_null=True),
                            "done": serializers.BooleanField(),
                        },
                        many=True,
                    ),
                    "counts": CountsSerializer,
                },
            )
        },
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        """What a reconnecting tab holds, as it is now; ids not in `results` are gone."""
        query = self.FilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        states = notification_states(user=request.user, ids=query.validated_data["ids"])
        results = [
            {**state, "read_at": serializers.DateTimeField().to_representation(state["read_at"])}
            if state["read_at"]
            else state
            for state in states
        ]
        return Response(
            {"results": results, "counts": notification_counts(user_id=request.user.pk)}
        )
