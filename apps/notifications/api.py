"""Inbox endpoints: list and catch-up, unread count, read state, dismiss."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.requests import AuthenticatedRequest
from apps.common.pagination import NewestFirstCursorPagination, get_paginated_response

from .models import Notification
from .selectors import (
    notification_group_list,
    notification_group_unread_count,
    notification_groups_expand,
    notification_list,
    notification_unread_count,
)
from .serializers import NotificationGroupSerializer, NotificationSerializer
from .services import (
    notification_mark_done,
    notification_mark_read,
    notification_mark_unread,
    notifications_mark_all_read,
)


class InboxPagination(NewestFirstCursorPagination):
    """Newest first by id: ids grow in commit order, so the order is unique and stable."""

    ordering = ("-id",)


class CatchUpPagination(InboxPagination):
    """Oldest first, for `after=`: replaying what a client missed, in order."""

    ordering = ("id",)


class GroupPagination(NewestFirstCursorPagination):
    """Groups newest first by their latest notification id."""

    ordering = ("-latest_id",)


class GroupedFlagSerializer(serializers.Serializer[Any]):
    grouped = serializers.BooleanField(required=False, default=False)


class NotificationListApi(APIView):
    # What the schema documents; catch-up and grouped pages have the same envelope.
    pagination_class = InboxPagination

    @extend_schema(
        parameters=[
            OpenApiParameter("unread", OpenApiTypes.BOOL),
            OpenApiParameter(
                "type",
                OpenApiTypes.STR,
                description="One or several of: "
                + ", ".join(Notification.Type.values)
                + " (comma-separated or repeated).",
            ),
            OpenApiParameter("actor", OpenApiTypes.INT),
            OpenApiParameter("created_after", OpenApiTypes.DATETIME),
            OpenApiParameter("created_before", OpenApiTypes.DATETIME),
            OpenApiParameter(
                "after",
                OpenApiTypes.INT,
                description="Catch-up: only ids greater than this, oldest first.",
            ),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="1 to 100, default 20."),
            OpenApiParameter("cursor", OpenApiTypes.STR),
            OpenApiParameter(
                "grouped",
                OpenApiTypes.BOOL,
                description="One entry per group (NotificationGroup items): a batch of rapid "
                "posts, or the likes or the replies of one post.",
            ),
        ],
        responses={
            200: PolymorphicProxySerializer(
                component_name="InboxItem",
                serializers=[NotificationSerializer, NotificationGroupSerializer],
                resource_type_field_name=None,
                many=True,
            )
        },
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        flags = GroupedFlagSerializer(data=request.query_params)
        flags.is_valid(raise_exception=True)
        filters = request.query_params.copy()
        filters.pop("grouped", None)
        if "type" in filters:
            filters.setlist("type", [",".join(filters.getlist("type"))])
        if flags.validated_data["grouped"]:
            return self._grouped(request, filters)
        notifications = notification_list(user=request.user, filters=filters)
        return get_paginated_response(
            pagination_class=CatchUpPagination if "after" in filters else self.pagination_class,
            serializer_class=NotificationSerializer,
            queryset=notifications,
            request=request,
            view=self,
        )

    def _grouped(self, request: AuthenticatedRequest, filters: dict[str, Any]) -> Response:
        rows = notification_list(user=request.user, filters=filters)
        return get_paginated_response(
            pagination_class=GroupPagination,
            serializer_class=NotificationGroupSerializer,
            queryset=notification_group_list(rows=rows),
            request=request,
            view=self,
            expand=lambda groups: notification_groups_expand(rows=rows, groups=groups),
        )


class NotificationUnreadCountApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("grouped", OpenApiTypes.BOOL)],
        responses={200: inline_serializer("UnreadCount", {"count": serializers.IntegerField()})},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        flags = GroupedFlagSerializer(data=request.query_params)
        flags.is_valid(raise_exception=True)
        if flags.validated_data["grouped"]:
            return Response({"count": notification_group_unread_count(user_id=request.user.pk)})
        return Response({"count": notification_unread_count(user_id=request.user.pk)})


class NotificationMarkReadApi(APIView):
    @extend_schema(request=None, responses={200: NotificationSerializer})
    def post(self, request: AuthenticatedRequest, notification_id: int) -> Response:
        notification = notification_mark_read(user=request.user, notification_id=notification_id)
        return Response(NotificationSerializer(notification).data)


class NotificationMarkUnreadApi(APIView):
    @extend_schema(request=None, responses={200: NotificationSerializer})
    def post(self, request: AuthenticatedRequest, notification_id: int) -> Response:
        notification = notification_mark_unread(user=request.user, notification_id=notification_id)
        return Response(NotificationSerializer(notification).data)


class NotificationMarkAllReadApi(APIView):
    @extend_schema_serializer(component_name="NotificationMarkAllReadInput")
    class InputSerializer(serializers.Serializer[Any]):
        up_to = serializers.IntegerField(min_value=1, required=False, allow_null=True)
        group = serializers.CharField(max_length=64, required=False)
        actor = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
        type = serializers.ChoiceField(choices=Notification.Type.choices, required=False)

    @extend_schema(
        request=InputSerializer,
        responses={200: inline_serializer("MarkedRead", {"updated": serializers.IntegerField()})},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        updated = notifications_mark_all_read(
            user=request.user,
            up_to=data.validated_data.get("up_to"),
            group=data.validated_data.get("group"),
            actor_id=data.validated_data.get("actor"),
            type=data.validated_data.get("type"),
        )
        return Response({"updated": updated})


class NotificationDismissApi(APIView):
    @extend_schema(request=None, responses={204: None})
    def delete(self, request: AuthenticatedRequest, notification_id: int) -> Response:
        # DELETE is Done, so it can be undone.
        notification_mark_done(user=request.user, notification_id=notification_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
