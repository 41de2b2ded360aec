"""The Celery tasks that send Web Push (see project/celery.py).

Each writer enqueues one task after commit: `webpush_send_range` for stored notifications,
`webpush_send_removal` for removed ones. A range wider than RIPPLE_WEBPUSH_CHUNK ids is
split here, in the worker, so the request that stored a 10,000-row fan-out enqueued one
message. Failed pushes (429, 5xx, no answer) come back as `webpush_retry` after a
bounded backoff, which re-reads what is still unread and who is still offline.
"""

import logging
import time

from django.conf import settings

from project.celery import app

from .delivery import (
    deliver,
    messages_for_pairs,
    messages_for_range,
    messages_for_removal,
)
from .keys import vapid_keys

logger = logging.getLogger(__name__)

# Under the broker's visibility timeout (project/settings/base.py).
QUIET_HOP_SECONDS = 300


@app.task(name="webpush.send_range", ignore_result=True)
def webpush_send_range(
    type: str, actor_id: int, post_id: int | None, first_id: int, last_id: int
) -> int:
    """Push the notifications one writer stored with ids in [first_id, last_id]; returns
    the pushes attempted (0 when split into chunks)."""
    chunk = settings.RIPPLE_WEBPUSH_CHUNK
    if last_id - first_id + 1 > chunk:
        for start in range(first_id, last_id + 1, chunk):
            end = min(start + chunk - 1, last_id)
            webpush_send_range.apply_async((type, actor_id, post_id, start, end))
        return 0
    keys = vapid_keys()
    if keys is None:
        return 0
    batch = messages_for_range(
        type=type, actor_id=actor_id, post_id=post_id, first_id=first_id, last_id=last_id
    )
    _defer(batch.deferred)
    _schedule(deliver(batch.messages, keys, attempt=1))
    return len(batch.messages)


@app.task(name="webpush.retry", ignore_result=True)
def webpush_retry(pairs: list[list[int]], attempt: int, not_before: float = 0.0) -> int:
    """Send these (subscription, notification) pairs again, or, held by quiet hours, once
    `not_before` (a UTC timestamp) has passed."""
    remaining = not_before - time.time()
    if remaining > 0:
        # Hops of at most QUIET_HOP_SECONDS: a Redis broker delivers a task whose countdown
        # outlasts its visibility timeout a second time.
        webpush_retry.apply_async(
            (pairs, attempt, not_before), countdown=min(remaining, QUIET_HOP_SECONDS)
        )
        return 0
    keys = vapid_keys()
    if keys is None:
        return 0
    batch = messages_for_pairs([(pair[0], pair[1]) for pair in pairs])
    _defer(batch.deferred)
    _schedule(deliver(batch.messages, keys, attempt=attempt))
    return len(batch.messages)


@app.task(name="webpush.send_removal", ignore_result=True)
def webpush_send_removal(removed: dict[str, list[int]]) -> int:
    """Tell every browser of these users (user id: removed notification ids) to close them."""
    keys = vapid_keys()
    if keys is None:
        return 0
    messages = messages_for_removal({int(user): ids for user, ids in removed.items()})
    deliver(messages, keys, attempt=settings.RIPPLE_WEBPUSH_MAX_ATTEMPTS)
    return len(messages)


def _defer(deferred: dict[float, list[tuple[int, int]]]) -> None:
    if not deferred:
        return
    if app.conf.task_always_eager:
        # No worker to wait in (the embedded `make run`): the inbox has them.
        logger.info("%d pushes held by quiet hours dropped: no worker", len(deferred))
        return
    for until, pairs in deferred.items():
        webpush_retry.apply_async(([list(pair) for pair in pairs], 1, until), countdown=0)


def _schedule(retry: tuple[list[tuple[int, int]], int, float] | None) -> None:
    if retry is None:
        return
    pairs, attempt, delay = retry
    webpush_retry.apply_async(([list(pair) for pair in pairs], attempt), countdown=delay)
