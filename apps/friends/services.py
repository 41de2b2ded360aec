"""Friendship writes: requests, acceptance, unfriending."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.common.exceptions import ApplicationError, NotFoundError
from apps.notifications.models import Notification
from apps.notifications.services import (
    notification_create,
    notifications_retract_activity_between,
    notifications_retract_between,
)

from .models import FriendRequest, Friendship
from .selectors import friendship_exists, pending_request_between

REQUEST_TO_SELF = "You cannot send a friend request to yourself."
ALREADY_FRIENDS = "You are already friends with this user."
ALREADY_PENDING = "A friend request between you and this user is already pending."
REQUEST_NOT_FOUND = "No pending friend request with this id is addressed to you."
NOT_FRIENDS = "This user is not your friend."


@transaction.atomic
def friend_request_create(*, from_user: User, to_user: User) -> FriendRequest:
    if from_user.pk == to_user.pk:
        raise ApplicationError(REQUEST_TO_SELF, field="to_user")
    if friendship_exists(user_id=from_user.pk, other_id=to_user.pk):
        raise ApplicationError(ALREADY_FRIENDS, field="to_user")
    if pending_request_between(user_id=from_user.pk, other_id=to_user.pk):
        raise ApplicationError(ALREADY_PENDING, field="to_user")
    try:
        # The savepoint keeps the outer transaction usable when a concurrent request wins.
        with transaction.atomic():
            request = FriendRequest.objects.create(from_user=from_user, to_user=to_user)
    except IntegrityError as exc:
        raise ApplicationError(ALREADY_PENDING, field="to_user") from exc
    notification_create(
        recipient_id=to_user.pk,
        actor=from_user,
        type=Notification.Type.FRIEND_REQUEST,
        data={"request_id": request.pk, "from_user": _user_ref(from_user)},
    )
    return request


def _user_ref(user: User) -> dict[str, Any]:
    return {"id": user.pk, "username": user.username}


def _pending_request_for(*, request_id: int, addressee: User) -> FriendRequest:
    request = (
        FriendRequest.objects.select_for_update()
        .select_related("from_user", "to_user")
        .filter(pk=request_id, to_user=addressee, status=FriendRequest.Status.PENDING)
        .first()
    )
    if request is None:
        raise NotFoundError(REQUEST_NOT_FOUND, code="not_found")
    return request


@transaction.atomic
def friend_request_accept(*, request_id: int, user: User) -> FriendRequest:
    """Accept a request addressed to `user`: both friendship rows are written together."""
    request = _pending_request_for(request_id=request_id, addressee=user)
    request.status = FriendRequest.Status.ACCEPTED
    request.responded_at = timezone.now()
    request.save(update_fields=["status", "responded_at"])
    Friendship.objects.bulk_create(
        [
            Friendship(user_id=request.from_user_id, friend_id=request.to_user_id),
            Friendship(user_id=request.to_user_id, friend_id=request.from_user_id),
        ],
        ignore_conflicts=True,
    )
    notification_create(
        recipient_id=request.from_user_id,
        actor=user,
        type=Notification.Type.FRIEND_ACCEPTED,
        data={"user": _user_ref(user)},
    )
    return request


@transaction.atomic
def friend_request_decline(*, request_id: int, user: User) -> FriendRequest:
    request = _pending_request_for(request_id=request_id, addressee=user)
    request.status = FriendRequest.Status.DECLINED
    request.responded_at = timezone.now()
    request.save(update_fields=["status", "responded_at"])
    return request


@transaction.atomic
def friendship_delete(*, user: User, friend_id: int) -> None:
    """Remove both directions of a friendship, and each side's notifications of the other's
    posts: an ex-friend may no longer open those posts, so the inbox may not show them."""
    deleted, _ = Friendship.objects.filter(
        user_id__in=[user.pk, friend_id], friend_id__in=[user.pk, friend_id]
    ).delete()
    if not deleted:
        raise NotFoundError(NOT_FRIENDS, code="not_found")
    # Only now: a fan-out still running for a post of either user holds their friendship
    # rows, so the DELETE above waited for it to commit, and this one sees its rows.
    notifications_retract_between(
        user_id=user.pk, other_id=friend_id, types=[Notification.Type.NEW_POST]
    )
    notifications_retract_activity_between(user_id=user.pk, other_id=friend_id)
