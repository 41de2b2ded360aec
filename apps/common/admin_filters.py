"""List filters the admins share."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest


class TimestampSetFilter(admin.SimpleListFilter):
    """ "Yes" or "No": whether a nullable timestamp (`field`) is set, e.g. `suspended_at`.

    Subclasses name the field and the filter's title; the parameter is the title.
    """

    field: str

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in {"yes", "no"}:
            return queryset.filter(**{f"{self.field}__isnull": self.value() == "no"})
        return queryset
