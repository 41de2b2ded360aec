"""Moderation actions: each does its work through the owning app's service and logs it."""

from django.db import transaction

from apps.accounts.models import User
from apps.accounts.services import users_lift_suspension, users_suspend
from apps.common.exceptions import ApplicationError
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
