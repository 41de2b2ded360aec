"""The one call each notification writer makes: enqueue Web Push after commit.

Cheap on the request path whatever the number of rows: one pass over the new ids for
their range, then, after commit, one task handed to a thread of this process
(background.py), which publishes it to the broker, bounded by the broker timeouts
(project/settings/base.py, "Background worker"), or runs it when there is no broker. A
broker that is down or hangs costs the pushes, logged and counted, never the request:
the rows are stored and the inbox has them.
"""

from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction

from . import background
from .keys import vapid_keys


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
    if settings.RIPPLE_WEBPUSH_BACKGROUND:
        # Neither a slow broker nor, without one, the pushes hold the response.
        background.run_later(task, args)
        return
    background.publish(task, args)
