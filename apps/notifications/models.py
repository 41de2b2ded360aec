"""The stored notification: the source of truth that pushes and the inbox both read."""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class Notification(models.Model):
    """One notification for one recipient.

    Ids grow in commit order for every recipient (the writers lock the recipient's inbox row
    before allocating them), so "everything after id N" is an exact catch-up cursor. Only the
    indexes the read paths need exist: each one is paid for on every fan-out insert.
    """

    class Type(models.TextChoices):
        NEW_POST = "new_post", "New post"
        FRIEND_REQUEST = "friend_request", "Friend request"
        FRIEND_ACCEPTED = "friend_accepted", "Friend accepted"
        NEW_MESSAGE = "new_message", "New message"
        POST_LIKED = "post_liked", "Post liked"
        POST_REPLIED = "post_replied", "Post replied"
        MENTIONED = "mentioned", "Mentioned"

    # No database-level foreign keys on this table: PostgreSQL checks each one per row at
    # COMMIT (Django makes them deferred), locking every referenced user row; at 10,000
    # recipients that was half the fan-out's time. The fan-out takes its ids from the
    # friendship table, which does keep its constraints, and deletes still cascade here
    # because Django's collector, not the database, performs on_delete.
    # The composite indexes below lead with the recipient, so the FK needs none of its own.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
        db_constraint=False,
    )
    # Not indexed: only rare moderation work filters by actor.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    type = models.CharField(max_length=32, choices=Type.choices)
    post = models.ForeignKey(
        "posts.Post",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        db_index=False,
        db_constraint=False,
    )
    # The exact `data` object that was pushed over the WebSocket for this id.
    data = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Done (the inbox's old Dismiss): hidden from the inbox and its counts, and undoable.
    done_at = models.DateTimeField(null=True, blank=True)
    # False when the recipient turned realtime off for this type: stored, never pushed.
    pushed = models.BooleanField(default=True, db_default=True)
    # Rapid posts by one author share a group, as do the likes (or the replies) of one post;
    # null means the notification stands alone.
    # NULL rather than "": the fan-out SQL writes NULL for a stand-alone row.
    group_key = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    group_count = models.PositiveIntegerField(default=1, db_default=1)

    class Meta:
        indexes = [
            # Inbox pages (newest first), `after=` catch-up (oldest first), latest id.
            models.Index(fields=["recipient", "id"], name="notif_recipient_id"),
            # Unread counts (unread is neither read nor done) and the unread filter; carrying
            # the group key lets the grouped unread count read this index alone.
            models.Index(
                fields=["recipient", "id"],
                name="notif_recipient_unread",
                condition=Q(read_at__isnull=True, done_at__isnull=True),
                include=["group_key"],
            ),
            # Retracting a post's notifications, and the cascade when a post is deleted; with
            # the recipient, the fan-out's batching join finds a friend's row of the
            # author's previous post in one probe, not by reading that friend's inbox.
            models.Index(
                fields=["post", "recipient"],
                name="notif_post_recipient",
                condition=Q(post__isnull=False),
            ),
            # The grouped inbox: "is there a newer row in this group" (a group's newest row
            # is its entry) and a page's group members, without reading the whole inbox.
            models.Index(
                fields=["recipient", "group_key", "id"],
                name="notif_recipient_group",
                condition=Q(group_key__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} #{self.pk} for {self.recipient_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def group(self) -> dict[str, Any]:
        return {"key": self.group_key or standalone_group_key(self.pk), "count": self.group_count}


def standalone_group_key(notification_id: int) -> str:
    return f"n{notification_id}"


class Inbox(models.Model):
    """One row per recipient: what notification writers lock to order that recipient's ids.

    Created on demand by the writers (services/delivery.py explains the scheme); it holds
    no state of its own, so a row costs a lock and never an UPDATE.
    """

    # No database foreign key: the fan-out creates thousands of these in one statement,
    # and PostgreSQL would check each deferred constraint at COMMIT. Deleting a user still
    # deletes their row, through Django's collector.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        db_constraint=False,
    )

    def __str__(self) -> str:
        return f"Inbox of {self.user_id}"


class PostFanout(models.Model):
    """A post's fan-out still in progress: its friends past `after_friend_id` and not in
    `first_ids` have no notification yet. Each chunk advances the cursor in the transaction
    that stores the chunk's rows, so a chunk run twice (a retried task) stores nothing twice.
    """

    post = models.OneToOneField(
        "posts.Post", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    after_friend_id = models.BigIntegerField()
    # The friends stored first, out of id order, in the post's own transaction (those who
    # were online): the id-ordered chunks skip them.
    first_ids = models.JSONField(default=list, blank=True)
    # When the post was written: the batching windows and `created_at` of every chunk's
    # rows use this instant, as if the fan-out had run in one piece.
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Fan-out of post {self.post_id} after friend {self.after_friend_id}"


BATCH_WINDOW_MAX_SECONDS = 3600


class NotificationPreference(models.Model):
    """A user's notification settings; a missing row means every default below.

    One column per switch (rather than a JSON blob) so the fan-out's SQL can read them.
    """

    BATCH_WINDOW_MAX = BATCH_WINDOW_MAX_SECONDS

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_preference",
    )
    new_post_inbox = models.BooleanField(default=True)
    new_post_realtime = models.BooleanField(default=True)
    new_post_email = models.BooleanField(default=True)
    friend_request_inbox = models.BooleanField(default=True)
    friend_request_realtime = models.BooleanField(default=True)
    friend_request_email = models.BooleanField(default=True)
    friend_accepted_inbox = models.BooleanField(default=True)
    friend_accepted_realtime = models.BooleanField(default=True)
    friend_accepted_email = models.BooleanField(default=True)
    new_message_inbox = models.BooleanField(default=True)
    new_message_realtime = models.BooleanField(default=True)
    new_message_email = models.BooleanField(default=True)
    post_liked_inbox = models.BooleanField(default=True)
    post_liked_realtime = models.BooleanField(default=True)
    # Off by default: a like is rarely worth an email, and likes come in bursts.
    post_liked_email = models.BooleanField(default=False)
    post_replied_inbox = models.BooleanField(default=True)
    post_replied_realtime = models.BooleanField(default=True)
    post_replied_email = models.BooleanField(default=True)
    mentioned_inbox = models.BooleanField(default=True)
    mentioned_realtime = models.BooleanField(default=True)
    mentioned_email = models.BooleanField(default=True)
    # Web Push to the user's browsers while no tab of theirs is connected (PUSH_DEFAULTS).
    new_post_push = models.BooleanField(default=True)
    friend_request_push = models.BooleanField(default=True)
    friend_accepted_push = models.BooleanField(default=True)
    new_message_push = models.BooleanField(default=True)
    post_liked_push = models.BooleanField(default=False)
    post_replied_push = models.BooleanField(default=True)
    mentioned_push = models.BooleanField(default=True)
    muted_post_types = models.JSONField(default=list, blank=True)
    batch_window_seconds = models.PositiveIntegerField(default=60)
    # Quiet hours: a daily window, in the user's time zone, during which Web Push waits
    # (the inbox and open tabs are unaffected); none when start and end are null. Messages
    # may still come through.
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    quiet_allow_messages = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(batch_window_seconds__lte=BATCH_WINDOW_MAX_SECONDS),
                name="preference_batch_window_max",
            ),
            models.CheckConstraint(
                condition=Q(quiet_start__isnull=True, quiet_end__isnull=True)
                | Q(quiet_start__isnull=False, quiet_end__isnull=False),
                name="preference_quiet_hours_both_or_none",
            ),
        ]

    def __str__(self) -> str:
        return f"Preferences of {self.user_id}"

    def switch(self, type: str, channel: str) -> bool:
        return bool(getattr(self, f"{type}_{channel}"))


class PushSubscription(models.Model):
    """One browser's Web Push subscription (its PushSubscription JSON); a user has one per
    browser. The endpoint is the push service's URL for that browser, unique across users:
    the browser that subscribes again under another login moves it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.CharField(max_length=2048, unique=True)
    # Base64url without padding, as browsers give them: 65 and 16 bytes once decoded.
    p256dh = models.CharField(max_length=100)
    auth = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user"], name="push_subscription_user")]

    def __str__(self) -> str:
        return f"Push subscription {self.pk} of {self.user_id}"


class MutedUser(models.Model):
    """`user` gets nothing from the posts of `muted`; the friendship stays."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="muted_users"
    )
    muted = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="muted_by"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "muted"], name="muted_user_once"),
            models.CheckConstraint(condition=~Q(user=F("muted")), name="muted_user_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} mutes {self.muted_id}"


class InboxMarker(models.Model):
    """How far a user has looked at their inbox: every id up to `last_seen_id` is seen.

    Like Mastodon's `last_read_id` marker: the badge counts what is newer and unseen. The
    marker only moves forward, and `version` grows with each move, so a client can tell a
    newer answer from an older one. A table apart from `Inbox`: writers hold that row locked
    until their fan-out commits, and opening the inbox must not wait for them.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="inbox_marker",
    )
    last_seen_id = models.BigIntegerField(default=0)
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user_id} has seen up to {self.last_seen_id}"
