"""One notification to one recipient (friend requests, acceptances, messages)."""

import json
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import User
from apps.friends.models import Block

from .. import metrics
from ..models import Notification
from ..realtime.events import notification_created
from ..realtime.push import push_after_commit
from ..selectors import notification_latest_id, preference_for
from ..serializers import frame_for
from ..webpush.enqueue import webpush_after_commit
from .delivery import recipient_lock, to_json


@transaction.atomic
def notification_create(
    *, recipient_id: int, actor: User, type: str, data: dict[str, Any]
) -> Notification | None:
    """Store one notification and push it after commit, as the recipient's settings allow.

    Returns None when the recipient keeps this type out of the inbox, or when either of
    the two blocked the other: no notification crosses a block, whatever its type.
    """
    if _blocked_between(recipient_id, actor.pk):
        return None
    preference = preference_for(user_id=recipient_id)
    if not preference.switch(type, "inbox"):
        return None
    pushed = preference.switch(type, "realtime")
    # Round-trip through JSON so the pushed data is exactly what the inbox will return.
    data = json.loads(to_json(data))
    recipient_lock(user_id=recipient_id)
    previous = notification_latest_id(user_id=recipient_id) or None
    notification = Notification.objects.create(
        recipient_id=recipient_id,
        actor=actor,
        type=type,
        data=data,
        created_at=timezone.now(),
        pushed=pushed,
    )
    if pushed:
        frame = frame_for(notification)
        push_after_commit([(recipient_id, notification_created(frame=frame, prev_id=previous))])
    webpush_after_commit(type, actor.pk, None, [(notification.pk,)])
    metrics.incr("notifications_stored")
    return notification


def _blocked_between(user_id: int, other_id: int) -> bool:
    # The model, not the friends app's selector: the friends services call this module.
    return Block.objects.filter(
        Q(blocker_id=user_id, blocked_id=other_id) | Q(blocker_id=other_id, blocked_id=user_id)
    ).exists()
