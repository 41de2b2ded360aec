"""Moderation actions: each does its work through the owning app's service and logs it."""

from django.db import transaction

from apps.accounts.models import User
from apps.accounts.services import (
    users_lift_limit,
    users_lift_suspension,
    users_limit,
    users_suspend,
)
from apps.common.exceptions import ApplicationError
from apps.friends.services import friend_requests_filter_from
from apps.notifications.models import Notification
from apps.notifications.services import notifications_retract_unread_from
from apps.posts.services import posts_remove

from .models import ModerationLog

REASON_REQUIRED = "Give a reason: it is recorded in the moderation log."


def _require_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ApplicationError(REASON_REQUIRED, field="reason")
    return reason


@transaction.atomic
def moderation_remove_posts(*, moderator: User, ids: list[int], reason: str) -> ModerationLog:
    """Remove posts and retract their notifications from every inbox and open screen."""
    reason = _require_reason(reason)
    removed, retracted = posts_remove(post_ids=ids, by=moderator, reason=reason)
    return ModerationLog.objects.create(
        moderator=moderator,
        action=ModerationLog.Action.REMOVE_POSTS,
        object_type="posts.post",
        object_ids=removed,
        reason=reason,
        details={"notifications_retracted": retracted},
    )


@transaction.atomic
def moderation_suspend_users(*, moderator: User, ids: list[int], reason: str) -> ModerationLog:
    reason = _require_reason(reason)
    suspended = users_suspend(user_ids=[i for i in ids if i != moderator.pk], reason=reason)
    return ModerationLog.objects.create(
        moderator=moderator,
        action=ModerationLog.Action.SUSPEND_USERS,
        object_type="accounts.user",
        object_ids=suspended,
        reason=reason,
    )


@transaction.atomic
def moderation_lift_suspension(*, moderator: User, ids: list[int], reason: str) -> ModerationLog:
    reason = _require_reason(reason)
    lifted = users_lift_suspension(user_ids=ids)
    return ModerationLog.objects.create(
        moderator=moderator,
        action=ModerationLog.Action.LIFT_SUSPENSION,
        object_type="accounts.user",
        object_ids=lifted,
        reason=reason,
    )


@transaction.atomic
def moderation_limit_users(*, moderator: User, ids: list[int], reason: str) -> ModerationLog:
    """Limit accounts: their friend requests are filtered from now on, and the ones still
    pending move to their addressees' "Requests" section, taking back the unread
    notifications they caused. Their posts already notify friends only."""
    reason = _require_reason(reason)
    limited = users_limit(user_ids=[i for i in ids if i != moderator.pk], reason=reason)
    filtered = friend_requests_filter_from(user_ids=limited)
    retracted = notifications_retract_unread_from(
        actor_ids=limited, types=[Notification.Type.FRIEND_REQUEST]
    )
    return ModerationLog.objects.create(
        moderator=moderator,
        action=ModerationLog.Action.LIMIT_USERS,
        object_type="accounts.user",
        object_ids=limited,
        reason=reason,
        details={"requests_filtered": filtered, "notifications_retracted": retracted},
    )


@transaction.atomic
def moderation_lift_limit(*, moderator: User, ids: list[int], reason: str) -> ModerationLog:
    """Lift limits. Requests filtered meanwhile stay in the "Requests" section."""
    reason = _require_reason(reason)
    lifted = users_lift_limit(user_ids=ids)
    return ModerationLog.objects.create(
        moderator=moderator,
        action=ModerationLog.Action.LIFT_LIMIT,
        object_type="accounts.user",
        object_ids=lifted,
        reason=reason,
    )
