"""Reads over friendships, friend requests and blocks (direction: see `Friendship`)."""

from collections.abc import Mapping
from datetime import datetime

from django.db.models import Case, F, Q, QuerySet, When

from apps.accounts.models import User

from .models import Block, FriendPreference, FriendRequest, Friendship

Delivery = FriendRequest.Delivery


def friend_ids(*, user_id: int) -> QuerySet[Friendship, Mapping[str, object]]:
    """The ids of the user's friends, as a subquery-friendly values queryset."""
    return Friendship.objects.filter(user_id=user_id).values("friend_id")


def friendship_exists(*, user_id: int, other_id: int) -> bool:
    return Friendship.objects.filter(user_id=user_id, friend_id=other_id).exists()


def friend_of_friend(*, user_id: int, other_id: int) -> bool:
    """True when the two have a friend in common."""
    return Friendship.objects.filter(
        user_id=user_id, friend_id__in=Friendship.objects.filter(user_id=other_id).values("friend")
    ).exists()


def friend_list(*, user: User) -> QuerySet[User]:
    return User.objects.filter(friends__user=user).order_by("username", "id")


def friend_request_list(*, user: User, direction: str | None = None) -> QuerySet[FriendRequest]:
    """Pending requests that involve the user: received, sent, both, or received but filtered.

    Received means delivered: filtered requests show only with `direction="filtered"`, and
    hidden ones (from someone the user blocked) never do. Sent lists every pending request
    of the user's, whatever became of it, so a sender cannot tell them apart.
    """
    pending = FriendRequest.objects.filter(status=FriendRequest.Status.PENDING)
    if direction == "incoming":
        pending = pending.filter(to_user=user, delivery=Delivery.DELIVERED)
    elif direction == "outgoing":
        pending = pending.filter(from_user=user)
    elif direction == "filtered":
        pending = pending.filter(to_user=user, delivery=Delivery.FILTERED)
    else:
        pending = pending.filter(Q(to_user=user, delivery=Delivery.DELIVERED) | Q(from_user=user))
    return pending.select_related("from_user", "to_user")


def pending_request_between(*, user_id: int, other_id: int) -> FriendRequest | None:
    return FriendRequest.objects.filter(
        Q(from_user_id=user_id, to_user_id=other_id) | Q(from_user_id=other_id, to_user_id=user_id),
        status=FriendRequest.Status.PENDING,
    ).first()


def pending_request_count(*, from_user_id: int) -> int:
    return FriendRequest.objects.filter(
        from_user_id=from_user_id, status=FriendRequest.Status.PENDING
    ).count()


def declined_since(*, from_user_id: int, to_user_id: int, since: datetime) -> bool:
    """Whether `to_user` declined a request of `from_user`'s at or after `since`."""
    return FriendRequest.objects.filter(
        from_user_id=from_user_id,
        to_user_id=to_user_id,
        status=FriendRequest.Status.DECLINED,
        responded_at__gte=since,
    ).exists()


def requests_from_new_accounts_count(
    *, to_user_id: int, since: datetime, joined_after: datetime
) -> int:
    """Requests `to_user` received since `since` from accounts that joined after
    `joined_after`, whatever became of them."""
    return FriendRequest.objects.filter(
        to_user_id=to_user_id, created_at__gte=since, from_user__date_joined__gt=joined_after
    ).count()


def requests_from_policy(*, user_id: int) -> str:
    """Who may send the user a friend request (a `FriendPreference.RequestsFrom` value)."""
    value = (
        FriendPreference.objects.filter(user_id=user_id)
        .values_list("requests_from", flat=True)
        .first()
    )
    return value or FriendPreference.RequestsFrom.ANYONE


def friend_preference_get(*, user: User) -> FriendPreference:
    """The user's preference, unsaved with the defaults when they never changed it."""
    return FriendPreference.objects.filter(user=user).first() or FriendPreference(user=user)


def block_exists(*, blocker_id: int, blocked_id: int) -> bool:
    return Block.objects.filter(blocker_id=blocker_id, blocked_id=blocked_id).exists()


def block_between_exists(*, user_id: int, other_id: int) -> bool:
    """Whether either user blocked the other."""
    return Block.objects.filter(
        Q(blocker_id=user_id, blocked_id=other_id) | Q(blocker_id=other_id, blocked_id=user_id)
    ).exists()


def block_related_ids(*, user_id: int) -> QuerySet[Block, Mapping[str, object]]:
    """The ids of everyone the user blocked or was blocked by, as a values queryset to use
    as a subquery (`.exclude(pk__in=...)`)."""
    return (
        Block.objects.filter(Q(blocker_id=user_id) | Q(blocked_id=user_id))
        .annotate(
            other_id=Case(When(blocker_id=user_id, then=F("blocked_id")), default=F("blocker_id"))
        )
        .values("other_id")
    )


def block_list(*, user: User) -> QuerySet[Block]:
    """The people the user blocked, newest first. Nobody sees who blocked them."""
    return Block.objects.filter(blocker=user).select_related("blocked")
