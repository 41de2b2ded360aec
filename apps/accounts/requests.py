"""Request types for views that only a signed-in user reaches.

Annotate `request` with these where a permission or a login check has already turned
anonymous callers away, so that `request.user` is a `User` and needs no cast. They are
annotations only: nothing creates them, and DRF and Django hand in their usual requests.
"""

from django.http import HttpRequest
from rest_framework.request import Request

from .models import User


class AuthenticatedRequest(Request):
    """A DRF request that passed `IsActiveMember`, the default API permission."""

    user: User


class AuthenticatedHttpRequest(HttpRequest):
    """A Django request behind a login check: the admin and the `login_required` pages."""

    user: User
