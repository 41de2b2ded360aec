"""Admin for notifications, preferences and mutes; the pushed payload is read-only."""

from django.contrib import admin

from .models import MutedUser, Notification, NotificationPreference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    list_display = ["id", "recipient", "type", "actor", "created_at", "read_at", "pushed"]
    list_filter = ["type", "pushed"]
    search_fields = ["recipient__username", "actor__username"]
    raw_id_fields = ["recipient", "actor", "post"]
    list_select_related = ["recipient", "actor"]
    # What was pushed is history: editing it would make the inbox disagree with clients.
    readonly_fields = [
        "recipient",
        "actor",
        "type",
        "post",
        "data",
        "created_at",
        "pushed",
        "group_key",
        "group_count",
    ]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin[NotificationPreference]):
    list_display = ["user", "new_post_inbox", "new_post_realtime", "batch_window_seconds"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]
    list_select_related = ["user"]


@admin.register(MutedUser)
class MutedUserAdmin(admin.ModelAdmin[MutedUser]):
    list_display = ["user", "muted", "created_at"]
    search_fields = ["user__username", "muted__username"]
    raw_id_fields = ["user", "muted"]
    list_select_related = ["user", "muted"]
