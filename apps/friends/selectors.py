"""Reads over friendships and friend requests (direction: see `Friendship`)."""

from collections.abc import Mapping

from django.db.models import Q, QuerySet

from apps.accounts.models import User

from .models import FriendRequest, Friendship


def friend_ids(*, user_id: int) -> QuerySet[Friendship, Mapping[str, object]]:
    """The ids of the user's friends, as a subquery-friendly values queryset."""
    return Friendship.objects.filter(user_id=user_id).values("friend_id")


def friendship_exists(*, user_id: int, other_id: int) -> bool:
    return Friendship.objects.filter(user_id=user_id, friend_id=other_id).exists()


def friend_list(*, user: User) -> QuerySet[User]:
    return User.objects.filter(friends__user=user).order_by("username", "id")


def friend_request_list(*, user: User, direction: str | None = None) -> QuerySet[FriendRequest]:
    """Pending requests that involve the user: received, sent, or both."""
    pending = FriendRequest.objects.filter(status=FriendRequest.Status.PENDING)
    if direction == "incoming":
        pending = pending.filter(to_user=user)
    elif direction == "outgoing":
        pending = pending.filter(from_user=user)
    else:
        pending = pending.filter(Q(to_user=user) | Q(from_user=user))
    return pending.select_related("from_user", "to_user")


def pending_request_between(*, user_id: int, other_id: int) -> FriendRequest | None:
    return FriendRequest.objects.filter(
        Q(from_user_id=user_id, to_user_id=other_id) | Q(from_user_id=other_id, to_user_id=user_id),
        status=FriendRequest.Status.PENDING,
    ).first()
