"""The default API permission: signed in, and not suspended."""

from typing import TYPE_CHECKING

from rest_framework.permissions import IsAuthenticated

from .errors import ACCOUNT_SUSPENDED

if TYPE_CHECKING:  # DRF imports this module while its views module is still loading.
    from rest_framework.request import Request
    from rest_framework.views import APIView


class IsActiveMember(IsAuthenticated):
    message = ACCOUNT_SUSPENDED

    def has_permission(self, request: "Request", view: "APIView") -> bool:
        # Anonymous requests fail here and DRF answers 401 with the authentication challenge.
        if not super().has_permission(request, view):
            return False
        return not getattr(request.user, "is_suspended", False)
