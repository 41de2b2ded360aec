"""Admin for posts, likes and replies; the moderation app adds the removal action
(apps/moderation/admin.py)."""

from django.contrib import admin

from apps.common.admin_filters import TimestampSetFilter

from .models import Like, Post, Reply


class RemovedFilter(TimestampSetFilter):
    title = parameter_name = "removed"
    field = "removed_at"


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
