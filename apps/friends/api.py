"""Friend request and friend list endpoints."""

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.accounts.requests import AuthenticatedRequest
from apps.accounts.serializers import UserRefSerializer
from apps.common.pagination import NewestFirstCursorPagination
from apps.common.throttling import WriteRateThrottle

from .models import FriendRequest
from .selectors import friend_list, friend_request_list
from .services import (
    friend_request_accept,
    friend_request_create,
    friend_request_decline,
    friendship_delete,
)

UNKNOWN_USER = "No user with this id."


class FriendRequestOutputSerializer(serializers.ModelSerializer[FriendRequest]):
    from_user = UserRefSerializer()
    to_user = UserRefSerializer()

    class Meta:
        model = FriendRequest
        fields = ["id", "from_user", "to_user", "status", "created_at"]


class FriendRequestListCreateApi(APIView):
    throttle_classes = [WriteRateThrottle]
    throttle_scope = "friend_requests"
    # Read only by the schema generator: this view's GET answers a page of this paginator.
    pagination_class = NewestFirstCursorPagination

    @extend_schema_serializer(component_name="FriendRequestCreateInput")
    class InputSerializer(serializers.Serializer[Any]):
        to_user = serializers.IntegerField(min_value=1)

        def validate_to_user(self, value: int) -> User:
            user = User.objects.filter(pk=value, is_active=True).first()
            if user is None:
                raise serializers.ValidationError(UNKNOWN_USER)
            return user

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
        paginator = NewestFirstCursorPagination()
        page = paginator.paginate_queryset(requests, request, view=self)
        return paginator.get_paginated_response(FriendRequestOutputSerializer(page, many=True).data)

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

    # Read only by the schema generator: this view's GET answers a page of this paginator.
    pagination_class = Pagination

    @extend_schema(responses={200: UserRefSerializer(many=True)})
    def get(self, request: AuthenticatedRequest) -> Response:
        paginator = self.Pagination()
        page = paginator.paginate_queryset(friend_list(user=request.user), request, view=self)
        return paginator.get_paginated_response(UserRefSerializer(page, many=True).data)


class FriendDeleteApi(APIView):
    @extend_schema(request=None, responses={204: None})
    def delete(self, request: AuthenticatedRequest, user_id: int) -> Response:
        get_object_or_404(User, pk=user_id)
        friendship_delete(user=request.user, friend_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
