"""Friend request and friend list endpoints."""

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.accounts.requests import AuthenticatedRequest
from apps.accounts.serializers import UserIdField, UserRefSerializer
from apps.common.pagination import NewestFirstCursorPagination, get_paginated_response
from apps.common.throttling import WriteRateThrottle

from .models import FriendRequest
from .selectors import friend_list, friend_request_list
from .services import (
    friend_request_accept,
    friend_request_create,
    friend_request_decline,
    friendship_delete,
)


class FriendRequestOutputSerializer(serializers.ModelSerializer[FriendRequest]):
    from_user = UserRefSerializer()
    to_user = UserRefSerializer()

    class Meta:
        model = FriendRequest
        fields = ["id", "from_user", "to_user", "status", "created_at"]


class FriendRequestListCreateApi(APIView):
    throttle_classes = [WriteRateThrottle]
    throttle_scope = "friend_requests"
    pagination_class = NewestFirstCursorPagination

    @extend_schema_serializer(component_name="FriendRequestCreateInput")
    class InputSerializer(serializers.Serializer[Any]):
        to_user = UserIdField()

    class FilterSerializer(serializers.Serializer[Any]):
        direction = serializers.ChoiceField(choices=["incoming", "outgoing"], required=False)

    @extend_schema(
        parameters=[OpenApiParameter("direction", enum=["incoming", "outgoing"])],
        responses={200: FriendRequestOutputSerializer(many=True)},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        requests = friend_request_list(user=request.user, **filters.validated_data)
        return get_paginated_response(
            pagination_class=self.pagination_class,
            serializer_class=FriendRequestOutputSerializer,
            queryset=requests,
            request=request,
            view=self,
        )

    @extend_schema(request=InputSerializer, responses={201: FriendRequestOutputSerializer})
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        friend_request = friend_request_create(
            from_user=request.user, to_user=data.validated_data["to_user"]
        )
        return Response(
            FriendRequestOutputSerializer(friend_request).data, status=status.HTTP_201_CREATED
        )


class FriendRequestAcceptApi(APIView):
    @extend_schema(request=None, responses={200: FriendRequestOutputSerializer})
    def post(self, request: AuthenticatedRequest, request_id: int) -> Response:
        friend_request = friend_request_accept(request_id=request_id, user=request.user)
        return Response(FriendRequestOutputSerializer(friend_request).data)


class FriendRequestDeclineApi(APIView):
    @extend_schema(request=None, responses={200: FriendRequestOutputSerializer})
    def post(self, request: AuthenticatedRequest, request_id: int) -> Response:
        friend_request = friend_request_decline(request_id=request_id, user=request.user)
        return Response(FriendRequestOutputSerializer(friend_request).data)


class FriendListApi(APIView):
    class Pagination(NewestFirstCursorPagination):
        ordering = ("username", "id")

    pagination_class = Pagination

    @extend_schema(responses={200: UserRefSerializer(many=True)})
    def get(self, request: AuthenticatedRequest) -> Response:
        return get_paginated_response(
            pagination_class=self.pagination_class,
            serializer_class=UserRefSerializer,
            queryset=friend_list(user=request.user),
            request=request,
            view=self,
        )


class FriendDeleteApi(APIView):
    @extend_schema(request=None, responses={204: None})
    def delete(self, request: AuthenticatedRequest, user_id: int) -> Response:
        get_object_or_404(User, pk=user_id)
        friendship_delete(user=request.user, friend_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
