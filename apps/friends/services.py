"""Friendship writes: requests and their limits, acceptance, unfriending, blocks."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import User
from apps.common.exceptions import ApplicationError, NotFoundError
from apps.notifications.models import Notification
from apps.notifications.services import (
    notification_create,
    notifications_retract_activity_between,
    notifications_retract_all_between,
    notifications_retract_between,
)

from .models import Block, FriendPreference, FriendRequest, Friendship
from .selectors import (
    block_between_exists,
    block_exists,
    declined_since,
    friend_of_friend,
    friendship_exists,
    pending_request_between,
    pending_request_count,
    requests_from_new_accounts_count,
    requests_from_policy,
)

REQUEST_TO_SELF = "You cannot send a friend request to yourself."
ALREADY_FRIENDS = "You are already friends with this user."
ALREADY_PENDING = "A friend request between you and this user is already pending."
RECENTLY_DECLINED = (
    "This user declined your friend request less than {days} days ago; "
    "you cannot send them another yet."
)
TOO_MANY_PENDING = (
    "You have {limit} friend requests waiting for an answer, the most you may have; "
    "send more when some are answered."
)
YOU_BLOCKED = "You have blocked this user; unblock them first."
REQUEST_NOT_FOUND = "No pending friend request with this id is addressed to you."
NOT_FRIENDS = "This user is not your friend."
BLOCK_SELF = "You cannot block yourself."
NOT_BLOCKED = "You have not blocked this user."

Delivery = FriendRequest.Delivery
PENDING = FriendRequest.Status.PENDING


@transaction.atomic
def friend_request_create(*, from_user: User, to_user: User) -> FriendRequest:
    """Send a friend request. It is delivered (with a notification), filtered (stored for
    the addressee's "Requests" section, no notification) or hidden (the addressee blocked
    the sender); the sender's answer is the same 201 for all three."""
    _check_request_limits(from_user=from_user, to_user=to_user)
    delivery = _delivery_for(from_user=from_user, to_user=to_user)
    try:
        # The savepoint keeps the outer transaction usable when a concurrent request wins.
        with transaction.atomic():
            request = FriendRequest.objects.create(
                from_user=from_user, to_user=to_user, delivery=delivery
            )
    except IntegrityError as exc:
        raise ApplicationError(
            ALREADY_PENDING, field="to_user", code="request_already_pending"
        ) from exc
    if delivery == Delivery.DELIVERED:
        notification_create(
            recipient_id=to_user.pk,
            actor=from_user,
            type=Notification.Type.FRIEND_REQUEST,
            data={"request_id": request.pk, "from_user": _user_ref(from_user)},
        )
    return request


def _check_request_limits(*, from_user: User, to_user: User) -> None:
    """The refusals a sender may be told of. None depends on whether the addressee
    blocked the sender, so none of them reveals a block."""
    if from_user.pk == to_user.pk:
        raise ApplicationError(REQUEST_TO_SELF, field="to_user", code="request_to_self")
    if block_exists(blocker_id=from_user.pk, blocked_id=to_user.pk):
        raise ApplicationError(YOU_BLOCKED, field="to_user", code="blocked_by_you")
    if friendship_exists(user_id=from_user.pk, other_id=to_user.pk):
        raise ApplicationError(ALREADY_FRIENDS, field="to_user", code="already_friends")
    if pending_request_between(user_id=from_user.pk, other_id=to_user.pk):
        raise ApplicationError(ALREADY_PENDING, field="to_user", code="request_already_pending")
    days = settings.RIPPLE_FRIEND_REQUEST_DECLINED_DAYS
    since = timezone.now() - timedelta(days=days)
    if declined_since(from_user_id=from_user.pk, to_user_id=to_user.pk, since=since):
        message = RECENTLY_DECLINED.format(days=days)
        raise ApplicationError(message, field="to_user", code="request_declined_recently")
    # Locking the sender's row makes the count exact when they send several at once. NO KEY
    # UPDATE, not UPDATE: the foreign-key checks of other users' inserts that name this user
    # (a request to them, an acceptance) take KEY SHARE on the row and must not wait on it.
    User.objects.select_for_update(no_key=True).filter(pk=from_user.pk).exists()
    limit = settings.RIPPLE_FRIEND_REQUESTS_MAX_PENDING
    if pending_request_count(from_user_id=from_user.pk) >= limit:
        raise ApplicationError(TOO_MANY_PENDING.format(limit=limit), code="too_many_pending")


def _delivery_for(*, from_user: User, to_user: User) -> str:
    if block_exists(blocker_id=to_user.pk, blocked_id=from_user.pk):
        return Delivery.HIDDEN
    if from_user.is_limited or not _policy_allows(from_user=from_user, to_user=to_user):
        return Delivery.FILTERED
    if _new_account_flood(from_user=from_user, to_user=to_user):
        return Delivery.FILTERED
    return Delivery.DELIVERED


def _policy_allows(*, from_user: User, to_user: User) -> bool:
    policy = requests_from_policy(user_id=to_user.pk)
    if policy == FriendPreference.RequestsFrom.NOBODY:
        return False
    if policy == FriendPreference.RequestsFrom.FRIENDS_OF_FRIENDS:
        return friend_of_friend(user_id=from_user.pk, other_id=to_user.pk)
    return True


def _new_account_flood(*, from_user: User, to_user: User) -> bool:
    """True when a new account writes to someone who already had the hour's allowance of
    requests from new accounts: one person cannot be swamped by throwaway sign-ups."""
    now = timezone.now()
    joined_after = now - timedelta(hours=settings.RIPPLE_NEW_ACCOUNT_HOURS)
    if from_user.date_joined <= joined_after:
        return False
    received = requests_from_new_accounts_count(
        to_user_id=to_user.pk, since=now - timedelta(hours=1), joined_after=joined_after
    )
    return received >= settings.RIPPLE_NEW_ACCOUNT_REQUESTS_PER_HOUR


def _user_ref(user: User) -> dict[str, Any]:
    return {"id": user.pk, "username": user.username}


def _pending_request_for(*, request_id: int, addressee: User) -> FriendRequest:
    """Lock a pending request the addressee can see: delivered or filtered, never hidden."""
    request = (
        FriendRequest.objects.select_for_update()
        .select_related("from_user", "to_user")
        .filter(
            pk=request_id,
            to_user=addressee,
            status=PENDING,
            delivery__in=[Delivery.DELIVERED, Delivery.FILTERED],
        )
        .first()
    )
    if request is None:
        raise NotFoundError(REQUEST_NOT_FOUND, code="not_found")
    return request


@transaction.atomic
def friend_request_accept(*, request_id: int, user: User) -> FriendRequest:
    """Accept a request addressed to `user`: both friendship rows are written together.

    A block settles the pair's pending requests under the same row lock taken here, so a
    block and an acceptance never both succeed (see `block_create`).
    """
    request = _pending_request_for(request_id=request_id, addressee=user)
    if block_between_exists(user_id=request.from_user_id, other_id=request.to_user_id):
        raise NotFoundError(REQUEST_NOT_FOUND, code="not_found")
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
def friend_requests_filter_from(*, user_ids: list[int]) -> int:
    """File these users' delivered pending requests as filtered (a limited account's).
    Returns how many moved; their notifications are for the caller to retract."""
    return FriendRequest.objects.filter(
        from_user_id__in=user_ids, status=PENDING, delivery=Delivery.DELIVERED
    ).update(delivery=Delivery.FILTERED)


def friendship_hold(*, user_id: int, other_id: int) -> bool:
    """Whether `other_id` is a friend of `user_id`; on PostgreSQL the friendship row is
    then held until commit, so a block that starts meanwhile waits for the caller and its
    retraction sees what the caller wrote. Call inside a transaction.

    FOR KEY SHARE, not FOR UPDATE: it stops the DELETE of a block or an unfriending but
    not the fan-out's batching UPDATE, which runs under the notification-id lock that the
    caller may take next; holding more would deadlock the two.
    """
    if connection.vendor != "postgresql":
        return friendship_exists(user_id=user_id, other_id=other_id)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {Friendship._meta.db_table} "
            "WHERE user_id = %s AND friend_id = %s FOR KEY SHARE",
            [user_id, other_id],
        )
        return cursor.fetchone() is not None


def _delete_friendship_rows(user_id: int, other_id: int) -> int:
    deleted, _ = Friendship.objects.filter(
        user_id__in=[user_id, other_id], friend_id__in=[user_id, other_id]
    ).delete()
    return deleted


@transaction.atomic
def friendship_delete(*, user: User, friend_id: int) -> None:
    """Remove both directions of a friendship, and each side's notifications of the other's
    posts: an ex-friend may no longer open those posts, so the inbox may not show them."""
    if not _delete_friendship_rows(user.pk, friend_id):
        raise NotFoundError(NOT_FRIENDS, code="not_found")
    # Only now: a fan-out still running for a post of either user holds their friendship
    # rows, so the DELETE above waited for it to commit, and this one sees its rows.
    notifications_retract_between(
        user_id=user.pk, other_id=friend_id, types=[Notification.Type.NEW_POST]
    )
    notifications_retract_activity_between(user_id=user.pk, other_id=friend_id)


@transaction.atomic
def block_create(*, blocker: User, blocked: User) -> Block:
    """Block a user: end the friendship, settle pending requests, and retract every
    notification between the two, pushed live to both. Blocking again changes nothing.

    The order is what makes it race-free. Locking the blocked user's row first waits for a
    request they are sending; settling the pending requests then waits for an acceptance
    that holds one of them; the friendship DELETE after it then sees the rows
    that acceptance wrote, and waits for a fan-out or a message that holds them; the
    retraction last sees the notifications those wrote.
    """
    if blocker.pk == blocked.pk:
        raise ApplicationError(BLOCK_SELF, field="user", code="block_self")
    # The lock a request of the blocked user's takes on their own row: a request in flight
    # commits first (and is settled below), a later one sees this block and is hidden.
    User.objects.select_for_update(no_key=True).filter(pk=blocked.pk).exists()
    try:
        with transaction.atomic():
            block = Block.objects.create(blocker=blocker, blocked=blocked)
    except IntegrityError:
        return Block.objects.get(blocker=blocker, blocked=blocked)
    _settle_requests_for_block(blocker_id=blocker.pk, blocked_id=blocked.pk)
    _delete_friendship_rows(blocker.pk, blocked.pk)
    notifications_retract_all_between(user_id=blocker.pk, other_id=blocked.pk)
    # What others' replies and mentions told each about the other's posts goes as well.
    notifications_retract_activity_between(user_id=blocker.pk, other_id=blocked.pk)
    return block


def _settle_requests_for_block(*, blocker_id: int, blocked_id: int) -> None:
    # The blocked user's requests stay pending in their own list, out of the blocker's
    # sight; the blocker's own request is withdrawn.
    FriendRequest.objects.filter(
        from_user_id=blocked_id, to_user_id=blocker_id, status=PENDING
    ).update(delivery=Delivery.HIDDEN)
    FriendRequest.objects.filter(
        from_user_id=blocker_id, to_user_id=blocked_id, status=PENDING
    ).delete()


@transaction.atomic
def block_delete(*, blocker: User, blocked_id: int) -> None:
    """Unblock. Nothing comes back: no friendship, no notification. The requests the
    blocked user sent meanwhile read as declined, as if the blocker had answered them."""
    deleted, _ = Block.objects.filter(blocker=blocker, blocked_id=blocked_id).delete()
    if not deleted:
        raise NotFoundError(NOT_BLOCKED, code="not_found")
    FriendRequest.objects.filter(
        Q(from_user_id=blocked_id, to_user_id=blocker.pk),
        status=PENDING,
        delivery=Delivery.HIDDEN,
    ).update(status=FriendRequest.Status.DECLINED, responded_at=timezone.now())


@transaction.atomic
def friend_preference_update(*, user: User, requests_from: str) -> FriendPreference:
    preference, _ = FriendPreference.objects.select_for_update().get_or_create(user=user)
    preference.requests_from = requests_from
    preference.full_clean()
    preference.save()
    return preference
