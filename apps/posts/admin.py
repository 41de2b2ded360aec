"""Admin for posts, likes and replies."""

from django.contrib import admin

from .models import Like, Post, Reply


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["id", "author", "type", "created_at", "likes_count", "reply_count"]
    list_filter = ["type"]
    search_fields = ["content", "author__username"]
    raw_id_fields = ["author", "target_profile"]
    list_select_related = ["author"]
    readonly_fields = ["likes_count", "reply_count"]


@admin.register(Like)
class LikeAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "post", "created_at"]
    raw_id_fields = ["user", "post"]
    list_select_related = ["user"]


@admin.register(Reply)
class ReplyAdmin(admin.ModelAdmin):
    list_display = ["id", "author", "post", "created_at"]
    search_fields = ["content", "author__username"]
    raw_id_fields = ["author", "post"]
    list_select_related = ["author"]
