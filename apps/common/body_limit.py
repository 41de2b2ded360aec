"""Refuses API request bodies over DATA_UPLOAD_MAX_MEMORY_SIZE with a JSON 413.

Django raises RequestDataTooBig only when the body is read, and answers with its HTML 400
page; an API client gets a JSON error instead, before any authentication or parsing work.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

TOO_LARGE = "Request body is too large: at most {limit} bytes."


class RequestBodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and request.path_info.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                return JsonResponse(
                    {"detail": TOO_LARGE.format(limit=limit), "code": "too_large"}, status=413
                )
        return self.get_response(request)
