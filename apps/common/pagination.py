"""Cursor pagination with a stable, unique order for live lists, and the one way views page."""

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

INVALID_CURSOR = "Invalid cursor."
MIN_INT64, MAX_INT64 = -(2**63), 2**63 - 1

_Model = TypeVar("_Model", bound=models.Model)
_Row = TypeVar("_Row")


class NewestFirstCursorPagination(CursorPagination):
    """Newest first; `-id` breaks ties so the order is unique and no item repeats or hides.

    A cursor is client input: its position goes into a WHERE clause on the ordering field,
    so it is checked against that field's type first, and any bad cursor is a 400 naming
    `cursor` (DRF itself answers 404 to an undecodable one and lets a bad position reach
    the database).
    """

    ordering: tuple[str, ...] = ("-created_at", "-id")
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    _queryset: QuerySet[Any, Any]

    # CursorPagination orders what it pages with `order_by`, so it takes a QuerySet only; the
    # stubs give it BasePagination's signature, which also admits a plain sequence.
    def paginate_queryset(  # type: ignore[override]
        self, queryset: QuerySet[_Model, _Row], request: Request, view: APIView | None = None
    ) -> list[_Row] | None:
        self._queryset = queryset
        return super().paginate_queryset(queryset, request, view=view)

    def decode_cursor(self, request: Request) -> Cursor | None:
        try:
            cursor = super().decode_cursor(request)
        except NotFound as exc:
            raise _invalid_cursor() from exc
        if cursor is None or cursor.position is None:
            return cursor
        # A decoded position is the text from the cursor; the stubs type it as an int.
        position: str = cursor.position  # type: ignore[assignment]
        field = _ordering_field(self._queryset, self.ordering[0].lstrip("-"))
        return cursor._replace(position=clean_position(field, position))  # type: ignore[arg-type]


def get_paginated_response(
    *,
    pagination_class: type[NewestFirstCursorPagination],
    serializer_class: type[BaseSerializer[Any]],
    queryset: QuerySet[Any, Any],
    request: Request,
    view: APIView,
    expand: Callable[[list[Any]], Sequence[Any]] | None = None,
) -> Response:
    """One page of `queryset` as `{next, previous, results}`.

    Views pass the `pagination_class` they declare, which is what drf-spectacular documents
    for them. `expand` turns the page's rows into what the serializer reads, for items
    that need a query per page rather than one per row.
    """
    paginator = pagination_class()
    page = paginator.paginate_queryset(queryset, request, view=view) or []
    items = expand(page) if expand is not None else page
    return paginator.get_paginated_response(serializer_class(items, many=True).data)


def _invalid_cursor() -> ValidationError:
    return ValidationError({"cursor": [INVALID_CURSOR]})


def _ordering_field(queryset: QuerySet[Any, Any], name: str) -> models.Field[Any, Any] | None:
    annotation = queryset.query.annotations.get(name)
    if annotation is not None:
        output_field: models.Field[Any, Any] = annotation.output_field
        return output_field
    try:
        # The ordering names a column of the model, never a reverse relation.
        field: models.Field[Any, Any] = queryset.model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field


def clean_position(field: models.Field[Any, Any] | None, position: str) -> str:
    """The position as the database can compare it with `field`, or a 400.

    Integers must fit in 64 bits (SQLite overflows, PostgreSQL errors), text may not hold
    NUL (PostgreSQL refuses it), datetimes must parse and survive conversion to UTC
    (PostgreSQL refuses offsets beyond ±15:59, which Python accepts).
    """
    if field is None:
        return position
    try:
        if isinstance(field, models.IntegerField):
            number = int(position)
            if not MIN_INT64 <= number <= MAX_INT64:
                raise ValueError(position)
            return str(number)
        if isinstance(field, models.CharField | models.TextField):
            if "\x00" in position:
                raise ValueError(position)
            return position
        if isinstance(field, models.DateTimeField):
            return str(_utc(field.to_python(position)))
        return str(field.to_python(position))
    except (DjangoValidationError, ValueError, TypeError, OverflowError) as exc:
        raise _invalid_cursor() from exc


def _utc(value: datetime) -> datetime:
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value.astimezone(UTC)
