"""The one call each notification writer makes: enqueue Web Push after commit.

Cheap on the request path whatever the number of rows: one pass over the new ids for
their range, then, after commit, one message to the broker, bounded by the broker
timeouts (project/settings/base.py, "Background worker"). A broker that is down costs
the pushes, logged and counted, never the request: the rows are stored and the inbox has
them. Without a broker the task runs on a thread of this process (background.py), never
on the request's.
"""

import logging
from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction

from .. import metrics
from . import background
from .keys import vapid_keys

logger = logging.getLogger(__name__)


def webpush_after_commit(
    type: str, actor_id: int, post_id: int | None, rows: Iterable[Sequence[Any]]
) -> None:
    """Once the transaction commits, push these new notifications (all of this type, actor
    and post; `rows` as the writers' INSERT ... RETURNING gives them, the id first) to
    their recipients who allow it and are offline. Positional, so that each writer's call
    is one line."""
    first = last = None
    for row in rows:
        notification_id = row[0]
        if first is None or notification_id < first:
            first = notification_id
        if last is None or notification_id > last:
            last = notification_id
    if first is None or last is None:
        return
    from .tasks import webpush_send_range

    transaction.on_commit(
        partial(_enqueue, webpush_send_range, (type, actor_id, post_id, first, last))
    )


def webpush_retract_after_commit(removed: Mapping[int, Iterable[int]]) -> None:
    """Once the transaction commits, close these removed notifications (recipient id:
    notification ids) on the recipients' browsers."""
    if not removed:
        return
    from .tasks import webpush_send_removal

    body = {str(user_id): sorted(ids) for user_id, ids in removed.items()}
    transaction.on_commit(partial(_enqueue, webpush_send_removal, (body,)))


def _enqueue(task: Any, args: tuple[Any, ...]) -> None:
    if vapid_keys() is None:
        return
    if task.app.conf.task_always_eager and settings.RIPPLE_WEBPUSH_BACKGROUND:
        # No broker: the pushes still never hold the response (background.py).
        background.run_later(task, args)
        return
    try:
        task.apply_async(args)
    except Exception as error:
        metrics.incr("webpush_enqueue_failed")
        logger.warning("Web Push not enqueued: %s: %s", type(error).__name__, error)
