"""Triage state: read and unread, done and undone, and the seen marker.

Every change reaches every open connection of the user, on every worker, as one
`notification_updated` event naming the ids, their new state and the counts read after the
change committed; the tabs apply it without asking the server again.
"""

import re
from collections.abc import Sequence
from datetime import datetime
from typing import cast

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from apps.accounts.models import User

from ..models import InboxMarker, Notification
from ..realtime.events import InboxCounts, NotificationFrame, TriageState, notification_updated
from ..realtime.push import push_after_commit
from ..selectors import notification_counts, notification_get, notification_latest_id
from ..serializers import format_datetime, frame_for

STANDALONE_KEY = re.compile(r"n([0-9]{1,18})")


def _push_updated_on_commit(
    user_id: int,
    *,
    ids: Sequence[int],
    state: TriageState,
    read_at: datetime | None = None,
    items: list[NotificationFrame] | None = None,
    up_to: int | None = None,
) -> None:
    """After commit, tell the user's connections; the counts are read then, never stale."""
    ids = list(ids)
    read_time = format_datetime(read_at) if read_at else None
    push_after_commit(
        lambda: [
            (
                user_id,
                notification_updated(
                    ids=ids,
                    state=state,
                    counts=cast(InboxCounts, notification_counts(user_id=user_id)),
                    read_at=read_time,
                    items=items,
                    up_to=up_to,
                ),
            )
        ]
    )


@transaction.atomic
def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    notification = notification_get(user=user, notification_id=notification_id)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
        _push_updated_on_commit(
            user.pk, ids=[notification.pk], state="read", read_at=notification.read_at
        )
    return notification


@transaction.atomic
def notification_mark_unread(*, user: User, notification_id: int) -> Notification:
    notification = notification_get(user=user, notification_id=notification_id)
    if notification.read_at is not None:
        notification.read_at = None
        notification.save(update_fields=["read_at"])
        _push_updated_on_commit(user.pk, ids=[notification.pk], state="unread")
    return notification


def _bulk(
    queryset: QuerySet[Notification],
    *,
    up_to: int | None,
    group: str | None,
    actor_id: int | None = None,
    type: str | None = None,
) -> QuerySet[Notification]:
    if actor_id is not None:
        queryset = queryset.filter(actor_id=actor_id)
    if type is not None:
        queryset = queryset.filter(type=type)
    if up_to is not None:
        queryset = queryset.filter(id__lte=up_to)
    if group is not None:
        # The column, not the computed key, so the group's index serves it; a stand-alone
        # row's key is `n<id>` (Notification.group).
        alone = STANDALONE_KEY.fullmatch(group)
        if alone:
            queryset = queryset.filter(group_key__isnull=True, id=int(alone[1]))
        else:
            queryset = queryset.filter(group_key=group)
    return queryset


@transaction.atomic
def notifications_mark_all_read(
    *,
    user: User,
    up_to: int | None = None,
    group: str | None = None,
    actor_id: int | None = None,
    type: str | None = None,
) -> int:
    """Mark the user's unread notifications read: all, those up to an id, one group, or
    those of one actor and type (a conversation read marks its message notifications).

    `up_to` lets a client mark what it has shown, leaving anything that arrived since unread.
    """
    unread = Notification.objects.filter(
        recipient_id=user.pk, read_at__isnull=True, done_at__isnull=True
    )
    unread = _bulk(unread, up_to=up_to, group=group, actor_id=actor_id, type=type)
    ids = list(unread.select_for_update().values_list("id", flat=True))
    if not ids:
        return 0
    now = timezone.now()
    updated = Notification.objects.filter(pk__in=ids).update(read_at=now)
    _push_updated_on_commit(user.pk, ids=ids, state="read", read_at=now, up_to=up_to)
    return updated


@transaction.atomic
def notification_mark_done(*, user: User, notification_id: int) -> Notification:
    """Done: off the inbox and its counts, until undone. (Dismiss is the same thing.)"""
    notification = notification_get(user=user, notification_id=notification_id)
    if notification.done_at is None:
        notification.done_at = timezone.now()
        notification.save(update_fields=["done_at"])
        _push_updated_on_commit(user.pk, ids=[notification.pk], state="done")
    return notification


@transaction.atomic
def notification_mark_undone(*, user: User, notification_id: int) -> Notification:
    """Back in the inbox as it was; the event carries the item for tabs that dropped it."""
    notification = notification_get(user=user, notification_id=notification_id)
    if notification.done_at is not None:
        notification.done_at = None
        notification.save(update_fields=["done_at"])
        _push_updated_on_commit(
            user.pk, ids=[notification.pk], state="undone", items=[frame_for(notification)]
        )
    return notification


@transaction.atomic
def notifications_mark_all_done(*, user: User, up_to: int, group: str | None = None) -> int:
    """Everything up to `up_to` (what the client has shown) is done; newer items stay."""
    pending = Notification.objects.filter(recipient_id=user.pk, done_at__isnull=True)
    ids = list(
        _bulk(pending, up_to=up_to, group=group).select_for_update().values_list("id", flat=True)
    )
    if not ids:
        return 0
    updated = Notification.objects.filter(pk__in=ids).update(done_at=timezone.now())
    _push_updated_on_commit(user.pk, ids=ids, state="done", up_to=up_to)
    return updated


@transaction.atomic
def inbox_mark_seen(*, user: User, last_seen_id: int) -> InboxMarker:
    """Move the seen marker forward to `last_seen_id` (never back, never past the newest id).

    Opening the inbox or the bell sends the newest id shown; the badge then counts only what
    arrives after it.
    """
    target = min(last_seen_id, notification_latest_id(user_id=user.pk))
    marker, _ = InboxMarker.objects.select_for_update().get_or_create(user_id=user.pk)
    if target > marker.last_seen_id:
        marker.last_seen_id = target
        marker.version += 1
        marker.save(update_fields=["last_seen_id", "version", "updated_at"])
        _push_updated_on_commit(user.pk, ids=[], state="seen", up_to=target)
    return marker
