"""Registration, token, current-user and user search endpoints."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.common.pagination import NewestFirstCursorPagination, get_paginated_response
from apps.common.throttling import WriteRateThrottle
from apps.friends.selectors import block_related_ids

from .requests import AuthenticatedRequest
from .selectors import user_list
from .serializers import UserRefSerializer
from .services import token_obtain, user_register


class UserRegisterApi(APIView):
    throttle_classes = [WriteRateThrottle]
    throttle_scope = "auth"
    permission_classes = [AllowAny]
    authentication_classes: list[type[BaseAuthentication]] = []

    @extend_schema_serializer(component_name="UserRegisterInput")
    class InputSerializer(serializers.Serializer[Any]):
        username = serializers.CharField(max_length=150)
        password = serializers.CharField(max_length=128, write_only=True)

    @extend_schema_serializer(component_name="UserRegisterOutput")
    class OutputSerializer(serializers.Serializer[Any]):
        id = serializers.IntegerField()
        username = serializers.CharField()
        token = serializers.CharField()

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user, token = user_register(**data.validated_data)
        body = {"id": user.id, "username": user.username, "token": token}
        return Response(self.OutputSerializer(body).data, status=status.HTTP_201_CREATED)


class TokenObtainApi(APIView):
    throttle_classes = [WriteRateThrottle]
    throttle_scope = "auth"
    permission_classes = [AllowAny]
    authentication_classes: list[type[BaseAuthentication]] = []

    @extend_schema_serializer(component_name="TokenObtainInput")
    class InputSerializer(serializers.Serializer[Any]):
        username = serializers.CharField()
        password = serializers.CharField(write_only=True)

    @extend_schema(
        request=InputSerializer,
        responses={200: inline_serializer("Token", {"token": serializers.CharField()})},
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response({"token": token_obtain(**data.validated_data)})


class MeApi(APIView):
    @extend_schema(responses={200: UserRefSerializer})
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response(UserRefSerializer(request.user).data)


class UserListApi(APIView):
    """Find people by username: an exact match first, then prefix matches; never the caller,
    nor anyone the caller blocked or was blocked by."""

    class FilterSerializer(serializers.Serializer[Any]):
        username = serializers.CharField(max_length=150)

    class Pagination(NewestFirstCursorPagination):
        ordering = ("username_lower", "id")

    pagination_class = Pagination

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "username",
                OpenApiTypes.STR,
                required=True,
                description="A username or its beginning; case-insensitive.",
            ),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="1 to 100, default 20."),
            OpenApiParameter("cursor", OpenApiTypes.STR),
        ],
        responses={200: UserRefSerializer(many=True)},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        users = user_list(
            username=filters.validated_data["username"],
            exclude_id=request.user.pk,
            hidden_ids=block_related_ids(user_id=request.user.pk),
        )
        return get_paginated_response(
            pagination_class=self.pagination_class,
            serializer_class=UserRefSerializer,
            queryset=users,
            request=request,
            view=self,
        )
