"""Admin for users, with suspension actions for moderators."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.moderation.admin import ReasonActionForm, run_moderation_action
from apps.moderation.services import moderation_lift_suspension, moderation_suspend_users

from .models import User


class SuspendedFilter(admin.SimpleListFilter):
    title = "suspended"
    parameter_name = "suspended"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in {"yes", "no"}:
            return queryset.filter(suspended_at__isnull=self.value() == "no")
        return queryset


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "email", "is_staff", "is_active", "suspended_at", "date_joined"]
    list_filter = [SuspendedFilter, "is_staff", "is_superuser", "is_active", "groups"]
    readonly_fields = ["suspended_at", "suspension_reason"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        ("Moderation", {"fields": ["suspended_at", "suspension_reason"]}),
    ]
    action_form = ReasonActionForm
    actions = ["suspend_users", "lift_suspension"]

    def has_suspend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.suspend_user")

    @admin.action(description="Suspend users", permissions=["suspend"])
    def suspend_users(self, request: HttpRequest, queryset: QuerySet) -> None:
        run_moderation_action(
            self, request, queryset, moderation_suspend_users, "Suspended {count} user(s)."
        )

    @admin.action(description="Lift suspension", permissions=["suspend"])
    def lift_suspension(self, request: HttpRequest, queryset: QuerySet) -> None:
        run_moderation_action(
            self, request, queryset, moderation_lift_suspension, "Lifted {count} suspension(s)."
        )
