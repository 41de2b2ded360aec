"""Admin for notifications; the pushed payload is read-only."""

from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["id", "recipient", "type", "actor", "created_at", "read_at"]
    list_filter = ["type"]
    search_fields = ["recipient__username", "actor__username"]
    raw_id_fields = ["recipient", "actor", "post"]
    list_select_related = ["recipient", "actor"]
    readonly_fields = ["recipient", "actor", "type", "post", "data", "created_at"]
