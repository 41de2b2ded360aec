"""Direct message endpoints."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.accounts.requests import AuthenticatedRequest
from apps.accounts.serializers import UserRefSerializer
from apps.common.pagination import NewestFirstCursorPagination
from apps.common.throttling import WriteRateThrottle

from .models import TEXT_MAX_LENGTH, Message
from .selectors import message_conversation
from .services import message_send

UNKNOWN_USER = "No user with this id."
MAX_ID = 2**63 - 1


class MessageOutputSerializer(serializers.ModelSerializer[Message]):
    sender = UserRefSerializer()
    recipient = UserRefSerializer()

    class Meta:
        model = Message
        fields = ["id", "sender", "recipient", "text", "created_at"]


class MessageListCreateApi(APIView):
    throttle_classes = [WriteRateThrottle]
    throttle_scope = "messages"
    # Read only by the schema generator: this view's GET answers a page of this paginator.
    pagination_class = NewestFirstCursorPagination

    @extend_schema_serializer(component_name="MessageSendInput")
    class InputSerializer(serializers.Serializer[Any]):
        to = serializers.IntegerField(min_value=1)
        text = serializers.CharField(max_length=TEXT_MAX_LENGTH)

        def validate_to(self, value: int) -> User:
            user = User.objects.filter(pk=value).first()
            if user is None:
                raise serializers.ValidationError(UNKNOWN_USER)
            return user

    class FilterSerializer(serializers.Serializer[Any]):
        def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
            # "with" is a Python keyword, so it cannot be declared as a class attribute.
            return {"with": serializers.IntegerField(min_value=1, max_value=MAX_ID)}

    @extend_schema(
        parameters=[OpenApiParameter("with", int, required=True)],
        responses={200: MessageOutputSerializer(many=True)},
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        messages = message_conversation(user=request.user, other_id=filters.validated_data["with"])
        paginator = NewestFirstCursorPagination()
        page = paginator.paginate_queryset(messages, request, view=self)
        return paginator.get_paginated_response(MessageOutputSerializer(page, many=True).data)

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
