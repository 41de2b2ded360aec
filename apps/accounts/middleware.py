"""Signs suspended users out of the browser pages."""

from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse


class SuspendedUserLogoutMiddleware:
    """A suspended user's existing session ends at their next page view.

    The API refuses them through its permission class, so only pages are handled here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        suspended = user is not None and getattr(user, "is_suspended", False)
        if suspended and not request.path.startswith("/api/"):
            logout(request)
        return self.get_response(request)
