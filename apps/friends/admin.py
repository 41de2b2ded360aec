"""Admin for friend requests and friendships."""

from django.contrib import admin

from .models import FriendRequest, Friendship


@admin.register(FriendRequest)
class FriendRequestAdmin(admin.ModelAdmin[FriendRequest]):
    list_display = ["id", "from_user", "to_user", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["from_user__username", "to_user__username"]
    raw_id_fields = ["from_user", "to_user"]
    list_select_related = ["from_user", "to_user"]


@admin.register(Friendship)
class FriendshipAdmin(admin.ModelAdmin[Friendship]):
    list_display = ["id", "user", "friend", "created_at"]
    search_fields = ["user__username", "friend__username"]
    raw_id_fields = ["user", "friend"]
    list_select_related = ["user", "friend"]
