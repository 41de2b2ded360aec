"""The digest settings endpoint: frequency, hour, weekday and time zone."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.requests import AuthenticatedRequest

from .models import DigestSettings
from .selectors import digest_settings_for
from .services import digest_settings_update

UNKNOWN_KEY = "Unknown field."


class DigestSettingsSerializer(serializers.ModelSerializer[DigestSettings]):
    class Meta:
        model = DigestSettings
        fields = ["frequency", "hour", "weekday", "time_zone"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        unknown = set(self.initial_data) - set(self.fields)
        if unknown:
            raise serializers.ValidationError({name: [UNKNOWN_KEY] for name in sorted(unknown)})
        return attrs


DESCRIPTION = (
    "When the email digest is sent: `frequency` `off`, `daily` or `weekly`; `hour` the local "
    "hour (0-23) in `time_zone` (an IANA name such as `Europe/Madrid`); `weekday` the weekly "
    "digest's day, 0 Monday to 6 Sunday. Defaults: daily at 18 in UTC. Which types it covers "
    "is the `email` switch of `/api/notification-preferences/`."
)


class DigestSettingsApi(APIView):
    @extend_schema(description=DESCRIPTION, responses={200: DigestSettingsSerializer})
    def get(self, request: AuthenticatedRequest) -> Response:
        chosen = digest_settings_for(user_id=request.user.pk)
        return Response(DigestSettingsSerializer(chosen).data)

    @extend_schema(
        description=DESCRIPTION,
        request=DigestSettingsSerializer,
        responses={200: DigestSettingsSerializer},
    )
    def patch(self, request: AuthenticatedRequest) -> Response:
        if not isinstance(request.data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        data = DigestSettingsSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        chosen = digest_settings_update(user=request.user, changes=data.validated_data)
        return Response(DigestSettingsSerializer(chosen).data)
