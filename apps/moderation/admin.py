"""The moderation log in the admin (read-only) and the reason field for moderation actions."""

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.common.exceptions import ApplicationError

from .models import ModerationLog


class ReasonActionForm(ActionForm):
    """The admin's action bar with a reason box; moderation actions refuse to run without one."""

    reason = forms.CharField(required=False, max_length=1000, label="Reason")


def run_moderation_action(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    action: Callable[..., ModerationLog],
    done: str,
) -> None:
    """Call a moderation service with the selected ids and the typed reason; report back."""
    try:
        log = action(
            moderator=request.user,
            ids=list(queryset.values_list("pk", flat=True)),
            reason=request.POST.get("reason", ""),
        )
    except ApplicationError as error:
        modeladmin.message_user(request, error.message, messages.ERROR)
        return
    modeladmin.message_user(request, done.format(count=len(log.object_ids)), messages.SUCCESS)


@admin.register(ModerationLog)
class ModerationLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "moderator", "object_type", "object_ids", "reason"]
    list_filter = ["action"]
    search_fields = ["reason", "moderator__username"]
    list_select_related = ["moderator"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
