"""Read state and dismissal; every change tells the user's open connections the new count."""

import re

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User

from ..models import Notification
from ..realtime.events import unread_count
from ..realtime.push import push_after_commit
from ..selectors import notification_get, notification_unread_count

STANDALONE_KEY = re.compile(r"n([0-9]{1,18})")


def _push_unread_count_on_commit(user_id: int) -> None:
    """After commit, send the user's unread count; read after commit, so it is never stale."""
    push_after_commit(
        lambda: [(user_id, unread_count(count=notification_unread_count(user_id=user_id)))]
    )


@transaction.atomic
def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    notification = notification_get(user=user, notification_id=notification_id)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
        _push_unread_count_on_commit(user.pk)
    return notification


@transaction.atomic
def notification_mark_unread(*, user: User, notification_id: int) -> Notification:
    notification = notification_get(user=user, notification_id=notification_id)
    if notification.read_at is not None:
        notification.read_at = None
        notification.save(update_fields=["read_at"])
        _push_unread_count_on_commit(user.pk)
    return notification


@transaction.atomic
def notifications_mark_all_read(
    *, user: User, up_to: int | None = None, group: str | None = None
) -> int:
    """Mark the user's unread notifications read: all, those up to an id, or one group.

    `up_to` lets a client mark what it has shown, leaving anything that arrived since unread.
    """
    unread = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True)
    if up_to is not None:
        unread = unread.filter(id__lte=up_to)
    if group is not None:
        # The column, not the computed key, so the group's index serves it; a stand-alone
        # row's key is `n<id>` (Notification.group).
        alone = STANDALONE_KEY.fullmatch(group)
        if alone:
            unread = unread.filter(group_key__isnull=True, id=int(alone[1]))
        else:
            unread = unread.filter(group_key=group)
    updated = unread.update(read_at=timezone.now())
    if updated:
        _push_unread_count_on_commit(user.pk)
    return updated


@transaction.atomic
def notification_dismiss(*, user: User, notification_id: int) -> None:
    notification = notification_get(user=user, notification_id=notification_id)
    was_unread = notification.read_at is None
    notification.delete()
    if was_unread:
        _push_unread_count_on_commit(user.pk)
