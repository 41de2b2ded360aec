"""The audit log of moderation actions."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ModerationLog(models.Model):
    """Who did what to which objects, why and when. Written by the moderation services only."""

    class Action(models.TextChoices):
        REMOVE_POSTS = "remove_posts", "Remove posts"
        SUSPEND_USERS = "suspend_users", "Suspend users"
        LIFT_SUSPENSION = "lift_suspension", "Lift suspension"
        LIMIT_USERS = "limit_users", "Limit accounts"
        LIFT_LIMIT = "lift_limit", "Lift limit"

    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField(max_length=32, choices=Action.choices)
    object_type = models.CharField(max_length=64)
    object_ids = models.JSONField(default=list)
    reason = models.TextField(blank=True)
    # What the action changed, e.g. how many notifications it retracted.
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} at {self.created_at:%Y-%m-%d %H:%M}"
