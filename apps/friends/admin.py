"""Admin for friend requests and friendships."""

from django.contrib import admin

from .models import Block, FriendPreference, FriendRequest, Friendship


@admin.register(FriendRequest)
class FriendRequestAdmin(admin.ModelAdmin[FriendRequest]):
    list_display = ["id", "from_user", "to_user", "status", "delivery", "created_at"]
    list_filter = ["status", "delivery"]
    search_fields = ["from_user__username", "to_user__username"]
    raw_id_fields = ["from_user", "to_user"]
    list_select_related = ["from_user", "to_user"]


@admin.register(Friendship)
class FriendshipAdmin(admin.ModelAdmin[Friendship]):
    list_display = ["id", "user", "friend", "created_at"]
    search_fields = ["user__username", "friend__username"]
    raw_id_fields = ["user", "friend"]
    list_select_related = ["user", "friend"]


@admin.register(Block)
class BlockAdmin(admin.ModelAdmin[Block]):
    list_display = ["id", "blocker", "blocked", "created_at"]
    search_fields = ["blocker__username", "blocked__username"]
    raw_id_fields = ["blocker", "blocked"]
    list_select_related = ["blocker", "blocked"]


@admin.register(FriendPreference)
class FriendPreferenceAdmin(admin.ModelAdmin[FriendPreference]):
    list_display = ["user", "requests_from", "updated_at"]
    list_filter = ["requests_from"]
    raw_id_fields = ["user"]
