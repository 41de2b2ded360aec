"""Direct message endpoints."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.requests import AuthenticatedRequest
from apps.accounts.serializers import UserIdField, UserRefSerializer
from apps.common.pagination import MAX_INT64, NewestFirstCursorPagination, get_paginated_response
from apps.common.throttling import WriteRateThrottle

from .models import TEXT_MAX_LENGTH, Message
from .selectors import message_conversation
from .services import message_send


class MessageOutputSerializer(serializers.ModelSerializer[Message]):
    sender = UserRefSerializer()
    recipient = UserRefSerializer()

    class Meta:
        model = Message
        fields = ["id", "sender", "recipient", "text", "created_at"]


class MessageListCreateApi(APIView):
    throttle_classes = [WriteRateThrottle]
    throttle_scope = "messages"
    pagination_class = NewestFirstCursorPagination

    @extend_schema_serializer(component_name="MessageSendInput")
    class InputSerializer(serializers.Serializer[Any]):
        to = UserIdField()
        text = serializers.CharField(max_length=TEXT_MAX_LENGTH)

    class FilterSerializer(serializers.Serializer[Any]):
        def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
            # "with" is a Python keyword, so it cannot be declared as a class attribute.
            return {"with": serializers.IntegerField(min_value=1, max_value=MAX_INT64)}

    @extend_schema(
        parameters=[OpenApiParameter("with", int, required=True)],
        responses={200: MessageOutputSerializer(many=True)},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        messages = message_conversation(user=request.user, other_id=filters.validated_data["with"])
        return get_paginated_response(
            pagination_class=self.pagination_class,
            serializer_class=MessageOutputSerializer,
            queryset=messages,
            request=request,
            view=self,
        )

    @extend_schema(request=InputSerializer, responses={201: MessageOutputSerializer})
    def post(self, request: AuthenticatedRequest) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = message_send(
            sender=request.user,
            recipient=data.validated_data["to"],
            text=data.validated_data["text"],
        )
        return Response(MessageOutputSerializer(message).data, status=status.HTTP_201_CREATED)
