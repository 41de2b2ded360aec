"""Query-parameter filters for the inbox."""

from datetime import UTC, date, datetime

import django_filters
from django import forms
from django.db.models import QuerySet
from django_filters.fields import IsoDateTimeField

from .models import Notification

MAX_ID = 2**63 - 1
OUT_OF_RANGE = "This date and time is outside the years 1 to 9999 once converted to UTC."


class TypeInFilter(django_filters.BaseInFilter, django_filters.ChoiceFilter):
    """`type=new_post,friend_request` (comma-separated) or repeated `type=` parameters."""

    def filter(self, qs: QuerySet[Notification], value: list[str] | None) -> QuerySet[Notification]:
        return qs.filter(type__in=value) if value else qs


class UtcIsoDateTimeField(IsoDateTimeField):
    """ISO 8601 with any offset Python accepts, cleaned to UTC.

    PostgreSQL refuses offsets beyond ±15:59, which Python allows up to ±23:59. Converting
    in the form field makes a value that leaves the calendar in UTC (9999-12-31T23:59-01:00)
    an error naming its parameter.
    """

    def to_python(self, value: str | datetime | date | None) -> datetime | None:
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(UTC)
        except OverflowError as exc:
            raise forms.ValidationError(OUT_OF_RANGE, code="invalid") from exc


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class NotificationFilter(django_filters.FilterSet):
    # A choice rather than BooleanFilter, which quietly ignores values it cannot parse.
    unread = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")], method="filter_unread"
    )
    type = TypeInFilter(choices=Notification.Type.choices)
    actor = django_filters.NumberFilter(field_name="actor_id", min_value=1, max_value=MAX_ID)
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gt")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")
    after = django_filters.NumberFilter(
        field_name="id", lookup_expr="gt", min_value=0, max_value=MAX_ID
    )

    class Meta:
        model = Notification
        fields: list[str] = []

    def filter_unread(
        self, queryset: QuerySet[Notification], name: str, value: str
    ) -> QuerySet[Notification]:
        if not value:
            return queryset
        return queryset.filter(read_at__isnull=value == "true")
