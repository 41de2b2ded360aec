"""Post endpoints: feed, create, detail, delete, like, replies (list, create, delete)."""

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.requests import AuthenticatedRequest
from apps.accounts.serializers import UserIdField
from apps.common.pagination import NewestFirstCursorPagination, get_paginated_response
from apps.common.throttling import WriteRateThrottle

from .models import CONTENT_MAX_LENGTH, Post
from .selectors import post_feed, post_get_visible, reply_get, reply_list
from .serializers import PostSerializer, ReplySerializer
from .services import (
    post_create,
    post_delete,
    post_like,
    post_unlike,
    reply_create,
    reply_delete,
)

CONTENT_BLANK = "This field may not be blank."


class PostListCreateApi(APIView):
    throttle_classes = [WriteRateThrottle]
    throttle_scope = "posts"
    pagination_class = NewestFirstCursorPagination

    @extend_schema_serializer(component_name="PostCreateInput")
    class InputSerializer(serializers.Serializer[Any]):
        content = serializers.CharField(max_length=CONTENT_MAX_LENGTH, trim_whitespace=False)
        type = serializers.ChoiceField(choices=Post.Type.choices)
        target_profile = UserIdField(required=False, allow_null=True)

        def validate_content(self, value: str) -> str:
            if not value.strip():
                raise serializers.ValidationError(CONTENT_BLANK)
            return value

    @extend_schema(responses={200: PostSerializer(many=True)})
    def get(self, request: AuthenticatedRequest) -> Response:
        return get_paginated_response(
            pagination_class=self.pagination_class,
            serializer_class=PostSerializer,
            queryset=post_feed(user=request.user),
            request=request,
            view=self,
        )

    @extend_schema(request=InputSerializer, responses={201: PostSerializer})
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        post = post_create(author=request.user, **data.validated_data)
        return Response(PostSerializer(post).data, status=status.HTTP_201_CREATED)


class PostDetailApi(APIView):
    @extend_schema(responses={200: PostSerializer})
    def get(self, request: AuthenticatedRequest, post_id: int) -> Response:
        post = post_get_visible(user=request.user, post_id=post_id)
        return Response(PostSerializer(post).data)

    @extend_schema(responses={204: None})
    def delete(self, request: AuthenticatedRequest, post_id: int) -> Response:
        post = post_get_visible(user=request.user, post_id=post_id)
        post_delete(post=post, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PostLikeApi(APIView):
    @extend_schema(request=None, responses={200: PostSerializer})
    def post(self, request: AuthenticatedRequest, post_id: int) -> Response:
        post = post_get_visible(user=request.user, post_id=post_id)
        return Response(PostSerializer(post_like(post=post, user=request.user)).data)

    @extend_schema(request=None, responses={200: PostSerializer})
    def delete(self, request: AuthenticatedRequest, post_id: int) -> Response:
        post = post_get_visible(user=request.user, post_id=post_id)
        return Response(PostSerializer(post_unlike(post=post, user=request.user)).data)


class PostReplyListCreateApi(APIView):
    @extend_schema_serializer(component_name="ReplyCreateInput")
    class InputSerializer(serializers.Serializer[Any]):
        content = serializers.CharField(max_length=CONTENT_MAX_LENGTH)

    class Pagination(NewestFirstCursorPagination):
        ordering = ("created_at", "id")

    pagination_class = Pagination

    @extend_schema(responses={200: ReplySerializer(many=True)})
    def get(self, request: AuthenticatedRequest, post_id: int) -> Response:
        post = post_get_visible(user=request.user, post_id=post_id)
        return get_paginated_response(
            pagination_class=self.pagination_class,
            serializer_class=ReplySerializer,
            queryset=reply_list(post=post, user=request.user),
            request=request,
            view=self,
        )

    @extend_schema(request=InputSerializer, responses={201: ReplySerializer})
    def post(self, request: AuthenticatedRequest, post_id: int) -> Response:
        post = post_get_visible(user=request.user, post_id=post_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reply = reply_create(post=post, author=request.user, **data.validated_data)
        return Response(ReplySerializer(reply).data, status=status.HTTP_201_CREATED)


class PostReplyDetailApi(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: AuthenticatedRequest, post_id: int, reply_id: int) -> Response:
        post = post_get_visible(user=request.user, post_id=post_id)
        reply = reply_get(post=post, reply_id=reply_id)
        reply_delete(reply=reply, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
