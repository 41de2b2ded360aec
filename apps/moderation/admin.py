"""The moderation log in the admin (read-only), and the moderators' actions on users and posts.

The actions extend the User and Post admins of their apps and take their place on the admin
site, so moderation depends on accounts and posts and never the other way round.
"""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.accounts.admin import UserAdmin
from apps.accounts.models import User
from apps.accounts.requests import AuthenticatedHttpRequest
from apps.common.exceptions import ApplicationError
from apps.posts.admin import PostAdmin
from apps.posts.models import Post

from .models import ModerationLog
from .services import (
    moderation_lift_limit,
    moderation_lift_suspension,
    moderation_limit_users,
    moderation_remove_posts,
    moderation_suspend_users,
)


class ReasonActionForm(ActionForm):
    """The admin's action bar with a reason box; moderation actions refuse to run without one."""

    reason = forms.CharField(required=False, max_length=1000, label="Reason")


def run_moderation_action(
    modeladmin: admin.ModelAdmin[Any],
    request: AuthenticatedHttpRequest,
    queryset: QuerySet[Any],
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


class ModeratedUserAdmin(UserAdmin):
    """The User admin with suspension and limits, for members of the Moderators group."""

    action_form = ReasonActionForm
    actions = ["suspend_users", "lift_suspension", "limit_users", "lift_limit"]

    def has_suspend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.suspend_user")

    def has_limit_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.limit_user")

    @admin.action(description="Suspend users", permissions=["suspend"])
    def suspend_users(self, request: AuthenticatedHttpRequest, queryset: QuerySet[User]) -> None:
        run_moderation_action(
            self, request, queryset, moderation_suspend_users, "Suspended {count} user(s)."
        )

    @admin.action(description="Lift suspension", permissions=["suspend"])
    def lift_suspension(self, request: AuthenticatedHttpRequest, queryset: QuerySet[User]) -> None:
        run_moderation_action(
            self, request, queryset, moderation_lift_suspension, "Lifted {count} suspension(s)."
        )

    @admin.action(
        description="Limit accounts (filter their friend requests)", permissions=["limit"]
    )
    def limit_users(self, request: AuthenticatedHttpRequest, queryset: QuerySet[User]) -> None:
        run_moderation_action(
            self, request, queryset, moderation_limit_users, "Limited {count} account(s)."
        )

    @admin.action(description="Lift limit", permissions=["limit"])
    def lift_limit(self, request: AuthenticatedHttpRequest, queryset: QuerySet[User]) -> None:
        run_moderation_action(
            self, request, queryset, moderation_lift_limit, "Lifted {count} limit(s)."
        )


class ModeratedPostAdmin(PostAdmin):
    """The Post admin with removal, for members of the Moderators group."""

    action_form = ReasonActionForm
    actions = ["remove_posts"]

    def has_remove_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("posts.remove_post")

    @admin.action(
        description="Remove posts and retract their notifications", permissions=["remove"]
    )
    def remove_posts(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Post]) -> None:
        run_moderation_action(
            self, request, queryset, moderation_remove_posts, "Removed {count} post(s)."
        )


# Importing the two admin modules above registered their plain admins first.
admin.site.unregister(User)
admin.site.register(User, ModeratedUserAdmin)
admin.site.unregister(Post)
admin.site.register(Post, ModeratedPostAdmin)


@admin.register(ModerationLog)
class ModerationLogAdmin(admin.ModelAdmin[ModerationLog]):
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
