"""Friend request, friend list, block and friend-preference endpoints."""

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

from .models import Block, FriendPreference, FriendRequest
from .selectors import block_list, friend_list, friend_preference_get, friend_request_list
from .services import (
    block_create,
    block_delete,
    friend_preference_update,
    friend_request_accept,
    friend_request_create,
    friend_request_decline,
    friendship_delete,
)

DIRECTIONS = ["incoming", "outgoing", "filtered"]


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
        direction = serializers.ChoiceField(choices=DIRECTIONS, required=False)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "direction",
                enum=DIRECTIONS,
                description=(
                    "incoming: delivered to you; outgoing: sent by you; filtered: sent to you "
                    "from outside your request policy, by a limited account or in a flood of "
                    "new accounts (your Requests section). Neither: incoming and outgoing."
                ),
            )
        ],
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

    @extend_schema(
        request=InputSerializer,
        responses={201: FriendRequestOutputSerializer},
        description=(
            "Send a friend request. It is delivered, or filtered into the addressee's "
            "Requests section (outside their `requests_from` policy, from a limited account, "
            "or beyond the hourly allowance of requests from new accounts); the answer is "
            "the same 201 either way. Refusals are 400 with a `code` naming the rule: "
            "`request_to_self`, `blocked_by_you`, `already_friends`, "
            "`request_already_pending` (one pending request per pair), "
            "`request_declined_recently` (30 days after a decline), `too_many_pending` "
            "(50 pending requests per sender)."
        ),
    )
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


class BlockOutputSerializer(serializers.ModelSerializer[Block]):
    user = UserRefSerializer(source="blocked")

    class Meta:
        model = Block
        fields = ["user", "created_at"]


class BlockListCreateApi(APIView):
    """Block someone: the friendship ends, every notification between you goes, and they
    find you nowhere; they are not told. Blocking again answers the same."""

    throttle_classes = [WriteRateThrottle]
    throttle_scope = "blocks"
    pagination_class = NewestFirstCursorPagination

    @extend_schema_serializer(component_name="BlockCreateInput")
    class InputSerializer(serializers.Serializer[Any]):
        user = UserIdField()

    @extend_schema(responses={200: BlockOutputSerializer(many=True)})
    def get(self, request: AuthenticatedRequest) -> Response:
        return get_paginated_response(
            pagination_class=self.pagination_class,
            serializer_class=BlockOutputSerializer,
            queryset=block_list(user=request.user),
            request=request,
            view=self,
        )

    @extend_schema(request=InputSerializer, responses={201: BlockOutputSerializer})
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        block = block_create(blocker=request.user, blocked=data.validated_data["user"])
        return Response(BlockOutputSerializer(block).data, status=status.HTTP_201_CREATED)


class BlockDeleteApi(APIView):
    """Unblock: nothing that the block ended comes back."""

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: AuthenticatedRequest, user_id: int) -> Response:
        block_delete(blocker=request.user, blocked_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FriendPreferenceSerializer(serializers.ModelSerializer[FriendPreference]):
    class Meta:
        model = FriendPreference
        fields = ["requests_from"]


class FriendPreferenceDetailApi(APIView):
    """Who may send you a friend request: `anyone`, `friends_of_friends` or `nobody`.
    Requests from anyone else are filtered into your Requests section, not refused."""

    @extend_schema(responses={200: FriendPreferenceSerializer})
    def get(self, request: AuthenticatedRequest) -> Response:
        preference = friend_preference_get(user=request.user)
        return Response(FriendPreferenceSerializer(preference).data)

    @extend_schema(request=FriendPreferenceSerializer, responses={200: FriendPreferenceSerializer})
    def patch(self, request: AuthenticatedRequest) -> Response:
        data = FriendPreferenceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        preference = friend_preference_get(user=request.user)
        requests_from = data.validated_data.get("requests_from", preference.requests_from)
        preference = friend_preference_update(user=request.user, requests_from=requests_from)
        return Response(FriendPreferenceSerializer(preference).data)
