"""Domain errors and the one DRF exception handler that turns every error into JSON."""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler


class ApplicationError(Exception):
    """A business rule was broken; `field` names the input at fault, when there is one."""

    status_code: int = status.HTTP_400_BAD_REQUEST

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class NotFoundError(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND


class ForbiddenError(ApplicationError):
    status_code = status.HTTP_403_FORBIDDEN


# PostgreSQL's lock_not_available and query_canceled: a bounded wait ran out (the lock and
# statement timeouts of project/settings/env.py). Nothing was written; the client may retry.
_DATABASE_BUSY_STATES = {"55P03", "57014"}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map every error to `{"detail": str, "fields": {name: [messages]}?}`.

    Field errors keep DRF's per-field lists under `fields`, so a client can show each
    message beside its input; `detail` is always a readable summary.
    """
    if isinstance(exc, OperationalError) and _database_busy(exc):
        return Response(
            {"detail": "The database is busy; try again shortly.", "code": "database_busy"},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "1"},
        )
    if isinstance(exc, ApplicationError):
        body: dict[str, Any] = {"detail": exc.message, "code": exc.code}
        if exc.field:
            body["fields"] = {exc.field: [exc.message]}
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(response.data)
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"detail": str(response.data["detail"]), "code": _code(exc)}
    return response


def _database_busy(exc: OperationalError) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) in _DATABASE_BUSY_STATES


def _validation_body(data: Any) -> dict[str, Any]:
    if isinstance(data, list):
        data = {"non_field_errors": data}
    fields = {name: _messages(value) for name, value in data.items()}
    first_field, first_messages = next(iter(fields.items()))
    summary = first_messages[0] if first_messages else "Invalid input."
    if first_field != "non_field_errors":
        summary = f"{first_field}: {summary}"
    return {"detail": summary, "code": "invalid", "fields": fields}


def _messages(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(item) if not isinstance(item, dict) else str(item) for item in value]
    if isinstance(value, dict):
        return [f"{key}: {msg}" for key, msgs in value.items() for msg in _messages(msgs)]
    return [str(value)]


def _code(exc: Exception) -> str:
    codes = getattr(exc, "get_codes", lambda: "error")()
    return codes if isinstance(codes, str) else "error"
