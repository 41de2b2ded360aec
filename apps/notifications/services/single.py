"""One notification to one recipient (friend requests, acceptances, messages)."""

import json
from typing import Any

from django.db import transaction
from django.utils import timezone

from .. import metrics
from ..models import Notification
from ..realtime import created_event
from ..selectors import notification_latest_id, preference_for
from ..serializers import notification_frame
from .delivery import lock_notification_ids, push_on_commit, to_json


@transaction.atomic
def notification_create(
    *, recipient_id: int, actor_id: int, type: str, data: dict[str, Any]
) -> Notification | None:
    """Store one notification and push it after commit, as the recipient's settings allow.

    Returns None when the recipient keeps this type out of the inbox.
    """
    preference = preference_for(user_id=recipient_id)
    if not preference.switch(type, "inbox"):
        return None
    pushed = preference.switch(type, "realtime")
    # Round-trip through JSON so the pushed data is exactly what the inbox will return.
    data = json.loads(to_json(data))
    lock_notification_ids()
    previous = notification_latest_id(user_id=recipient_id) or None
    notification = Notification.objects.create(
        recipient_id=recipient_id,
        actor_id=actor_id,
        type=type,
        data=data,
        created_at=timezone.now(),
        pushed=pushed,
    )
    if pushed:
        frame = notification_frame(
            notification_id=notification.pk,
            type=type,
            created_at=notification.created_at,
            data=notification.data,
        )
        push_on_commit([(recipient_id, created_event(frame=frame, prev_id=previous))])
    metrics.incr("notifications_stored")
    return notification
