"""Friend requests, the directional friendship table, blocks and who may send requests."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Greatest, Least
from django.utils import timezone


class FriendRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    class Delivery(models.TextChoices):
        """Where a pending request shows for its addressee. The sender is never told: to
        them every pending request looks the same."""

        # In "Requests for you", with a notification.
        DELIVERED = "delivered", "Delivered"
        # Outside the addressee's policy, from a limited account or a flood of new ones:
        # only in the "Requests" section, with no notification; still acceptable.
        FILTERED = "filtered", "Filtered"
        # From someone the addressee blocked: shown to nobody but the sender.
        HIDDEN = "hidden", "Hidden"

    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sent_friend_requests"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="received_friend_requests",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    delivery = models.CharField(
        max_length=16,
        choices=Delivery.choices,
        default=Delivery.DELIVERED,
        db_default=Delivery.DELIVERED,
    )
    created_at = models.DateTimeField(default=timezone.now)
    responded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_user=F("to_user")), name="friend_request_not_to_self"
            ),
            # One pending request per pair of users, whichever of them sent it.
            models.UniqueConstraint(
                Least("from_user", "to_user"),
                Greatest("from_user", "to_user"),
                condition=Q(status="pending"),
                name="friend_request_one_pending_per_pair",
            ),
        ]
        indexes = [
            models.Index(fields=["to_user", "status", "-created_at"], name="friendreq_incoming"),
            models.Index(fields=["from_user", "status", "-created_at"], name="friendreq_outgoing"),
        ]

    def __str__(self) -> str:
        return f"{self.from_user_id} -> {self.to_user_id} ({self.status})"


class Friendship(models.Model):
    """A directional friendship edge: `friend` is a friend of `user`.

    Every friendship is stored as two rows, (A, B) and (B, A), written and deleted together
    by the services. So `Friendship.objects.filter(user=X)` lists X's friends, and the
    people to notify when X acts are the `friend` column of those rows. Selectors rely on
    this and do not re-derive it.
    """

    # The unique (user, friend) index serves lookups by user, and the fan-out's chunks
    # (ranges of friend ids); a second one would only slow the writes.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="friendships",
        db_index=False,
    )
    friend = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="friends"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "friend"], name="friendship_unique_edge"),
            models.CheckConstraint(condition=~Q(user=F("friend")), name="friendship_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} -> {self.friend_id}"


class Block(models.Model):
    """`blocker` shut `blocked` out. While it lasts the two are not friends, neither finds
    the other in user search, and the blocked user's requests stay hidden from the blocker
    (they look pending to their sender). Only the blocker's own list shows it."""

    # The unique (blocker, blocked) index serves the blocker's lookups.
    blocker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="blocks_made",
        db_index=False,
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks_received"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_once"),
            models.CheckConstraint(condition=~Q(blocker=F("blocked")), name="block_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.blocker_id} blocks {self.blocked_id}"


class FriendPreference(models.Model):
    """Who may send `user` a friend request; a missing row means anyone.

    Requests from outside the policy are stored as filtered, not refused, so the sender
    learns nothing of it."""

    class RequestsFrom(models.TextChoices):
        ANYONE = "anyone", "Anyone"
        FRIENDS_OF_FRIENDS = "friends_of_friends", "Friends of friends"
        NOBODY = "nobody", "Nobody"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="friend_preference",
    )
    requests_from = models.CharField(
        max_length=32, choices=RequestsFrom.choices, default=RequestsFrom.ANYONE
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Friend preferences of {self.user_id}"
