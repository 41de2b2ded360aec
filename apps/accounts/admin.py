"""Admin for users; the moderation app adds the suspension actions (apps/moderation/admin.py)."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import User


class SuspendedFilter(admin.SimpleListFilter):
    title = "suspended"
    parameter_name = "suspended"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in {"yes", "no"}:
            return queryset.filter(suspended_at__isnull=self.value() == "no")
        return queryset


class LimitedFilter(admin.SimpleListFilter):
    title = "limited"
    parameter_name = "limited"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in {"yes", "no"}:
            return queryset.filter(limited_at__isnull=self.value() == "no")
        return queryset


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):
    list_display = [
        "username",
        "email",
        "is_staff",
        "is_active",
        "suspended_at",
        "limited_at",
        "date_joined",
    ]
    list_filter = [
        SuspendedFilter,
        LimitedFilter,
        "is_staff",
        "is_superuser",
        "is_active",
        "groups",
    ]
    readonly_fields = ["suspended_at", "suspension_reason", "limited_at", "limit_reason"]
    fieldsets = [
        *(DjangoUserAdmin.fieldsets or ()),
        (
            "Moderation",
            {"fields": ["suspended_at", "suspension_reason", "limited_at", "limit_reason"]},
        ),
    ]
