"""Admin for posts, likes and replies; the moderation app adds the removal action
(apps/moderation/admin.py)."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import Like, Post, Reply


class RemovedFilter(admin.SimpleListFilter):
    title = "removed"
    parameter_name = "removed"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in {"yes", "no"}:
            return queryset.filter(removed_at__isnull=self.value() == "no")
        return queryset


@admin.register(Post)
class PostAdmin(admin.ModelAdmin[Post]):
    list_display = [
        "id",
        "author",
        "type",
        "created_at",
        "likes_count",
        "reply_count",
        "removed_at",
    ]
    list_filter = [RemovedFilter, "type"]
    search_fields = ["content", "author__username"]
    raw_id_fields = ["author", "target_profile"]
    list_select_related = ["author"]
    # Counters and removal are kept by services; editing them here would break invariants.
    readonly_fields = ["likes_count", "reply_count", "removed_at", "removed_by", "removal_reason"]


@admin.register(Like)
class LikeAdmin(admin.ModelAdmin[Like]):
    list_display = ["id", "user", "post", "created_at"]
    raw_id_fields = ["user", "post"]
    list_select_related = ["user", "post"]
    search_fields = ["user__username"]


@admin.register(Reply)
class ReplyAdmin(admin.ModelAdmin[Reply]):
    list_display = ["id", "author", "post", "created_at"]
    search_fields = ["content", "author__username"]
    raw_id_fields = ["author", "post"]
    list_select_related = ["author", "post"]
