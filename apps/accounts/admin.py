"""Admin for users; the moderation app adds the suspension actions (apps/moderation/admin.py)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from apps.common.admin_filters import TimestampSetFilter

from .models import User


class SuspendedFilter(TimestampSetFilter):
    title = parameter_name = "suspended"
    field = "suspended_at"


class LimitedFilter(TimestampSetFilter):
    title = parameter_name = "limited"
    field = "limited_at"


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
