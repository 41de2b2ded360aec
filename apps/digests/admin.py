"""Admin for digest settings and the record of digests sent."""

from django.contrib import admin

from .models import Digest, DigestSettings


@admin.register(DigestSettings)
class DigestSettingsAdmin(admin.ModelAdmin[DigestSettings]):
    list_display = ["user", "frequency", "hour", "weekday", "time_zone"]
    list_filter = ["frequency"]
    raw_id_fields = ["user"]


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin[Digest]):
    list_display = ["user", "period", "entry_count", "through_id", "sent_at"]
    raw_id_fields = ["user"]
    date_hierarchy = "sent_at"
