"""The stored notification: the source of truth that pushes and the inbox both read."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Notification(models.Model):
    """One notification for one recipient.

    Ids grow in commit order for every recipient (the services take a lock before
    allocating them), so "everything after id N" is an exact catch-up cursor. Only the
    indexes the read paths need exist: each one is paid for on every fan-out insert.
    """

    class Type(models.TextChoices):
        NEW_POST = "new_post", "New post"
        FRIEND_REQUEST = "friend_request", "Friend request"
        FRIEND_ACCEPTED = "friend_accepted", "Friend accepted"
        NEW_MESSAGE = "new_message", "New message"

    # The composite indexes below lead with the recipient, so the FK needs none of its own.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    # Not indexed: only rare moderation work filters by actor.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    type = models.CharField(max_length=32, choices=Type.choices)
    post = models.ForeignKey(
        "posts.Post", on_delete=models.CASCADE, null=True, blank=True, db_index=False
    )
    # The exact `data` object that was pushed over the WebSocket for this id.
    data = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Inbox pages (newest first), `after=` catch-up (oldest first), latest id.
            models.Index(fields=["recipient", "id"], name="notif_recipient_id"),
            # Unread count and the unread filter.
            models.Index(
                fields=["recipient", "id"],
                name="notif_recipient_unread",
                condition=Q(read_at__isnull=True),
            ),
            # Retracting a post's notifications, and the cascade when a post is deleted.
            models.Index(fields=["post"], name="notif_post", condition=Q(post__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.type} #{self.pk} for {self.recipient_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
