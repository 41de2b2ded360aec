"""Admin for direct messages."""

from django.contrib import admin

from .models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin[Message]):
    list_display = ["id", "sender", "recipient", "created_at"]
    search_fields = ["sender__username", "recipient__username"]
    raw_id_fields = ["sender", "recipient"]
    list_select_related = ["sender", "recipient"]
