"""Web Push endpoints: the browser's subscriptions and the VAPID public key it needs."""

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.requests import AuthenticatedRequest

from .models import PushSubscription
from .webpush.keys import vapid_keys
from .webpush.subscriptions import (
    push_subscription_delete,
    push_subscription_list,
    push_subscription_save,
)

REQUIRED = "This field is required."


class PushSubscriptionOutputSerializer(serializers.ModelSerializer[PushSubscription]):
    class Meta:
        model = PushSubscription
        fields = ["id", "endpoint", "created_at"]


@extend_schema_serializer(component_name="PushSubscriptionInput")
class PushSubscriptionInputSerializer(serializers.Serializer[Any]):
    """The browser's `PushSubscription.toJSON()`, as is."""

    endpoint = serializers.CharField(max_length=2048)
    expirationTime = serializers.IntegerField(required=False, allow_null=True)  # noqa: N815
    keys = inline_serializer(
        "PushSubscriptionKeys",
        {
            "p256dh": serializers.CharField(max_length=100),
            "auth": serializers.CharField(max_length=32),
        },
    )

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        errors: dict[str, list[str]] = {}
        endpoint = data.get("endpoint")
        if not isinstance(endpoint, str) or not endpoint:
            errors["endpoint"] = [REQUIRED]
        elif len(endpoint) > 2048:
            errors["endpoint"] = ["Ensure this field has no more than 2048 characters."]
        keys = data.get("keys")
        keys = keys if isinstance(keys, dict) else {}
        for name, limit in (("p256dh", 100), ("auth", 32)):
            value = keys.get(name)
            if not isinstance(value, str) or not value:
                errors[f"keys.{name}"] = [REQUIRED]
            elif len(value) > limit:
                errors[f"keys.{name}"] = [f"Ensure this field has no more than {limit} characters."]
        if errors:
            raise serializers.ValidationError(errors)
        return {"endpoint": endpoint, "p256dh": keys["p256dh"], "auth": keys["auth"]}


@extend_schema_serializer(component_name="PushSubscriptionDeleteInput")
class PushSubscriptionDeleteSerializer(serializers.Serializer[Any]):
    endpoint = serializers.CharField(max_length=2048)


class PushSubscriptionApi(APIView):
    """GET: your browsers' subscriptions. POST: subscribe this browser (201 new, 200 when it
    was already stored; its keys are replaced). DELETE `{endpoint}`: unsubscribe it."""

    @extend_schema(responses={200: PushSubscriptionOutputSerializer(many=True)})
    def get(self, request: AuthenticatedRequest) -> Response:
        subscriptions = push_subscription_list(user=request.user)
        return Response(PushSubscriptionOutputSerializer(subscriptions, many=True).data)

    @extend_schema(
        request=PushSubscriptionInputSerializer,
        responses={200: PushSubscriptionOutputSerializer, 201: PushSubscriptionOutputSerializer},
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        data = PushSubscriptionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscription, created = push_subscription_save(user=request.user, **data.validated_data)
        return Response(
            PushSubscriptionOutputSerializer(subscription).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(request=PushSubscriptionDeleteSerializer, responses={204: None})
    def delete(self, request: AuthenticatedRequest) -> Response:
        data = PushSubscriptionDeleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        push_subscription_delete(user=request.user, endpoint=data.validated_data["endpoint"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class VapidPublicKeyApi(APIView):
    """The key a browser passes to `pushManager.subscribe({applicationServerKey})`; null when
    this deployment has no VAPID key (Web Push is off)."""

    @extend_schema(
        responses={
            200: inline_serializer(
                "VapidPublicKey", {"public_key": serializers.CharField(allow_null=True)}
            )
        }
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        keys = vapid_keys()
        return Response({"public_key": keys.public_key if keys else None})
