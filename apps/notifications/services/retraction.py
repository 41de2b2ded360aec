"""Taking notifications back: removed posts, suspended or limited actors, ended friendships,
blocks, closed sessions.

Deletion is one statement whatever the number of rows; after commit each affected
recipient's open connections get the removed ids and their new unread count.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db import connection, transaction

from ..models import Notification
from ..realtime.events import Push, notification_removed, session_terminated, unread_count
from ..realtime.push import push_after_commit
from ..selectors import notification_unread_counts
from ..webpush.enqueue import webpush_retract_after_commit

NOTIFICATIONS = Notification._meta.db_table


@transaction.atomic
def notifications_retract_for_posts(*, post_ids: Iterable[int]) -> int:
    """Delete every notification about these posts; returns how many went."""
    post_ids = list(post_ids)
    if not post_ids:
        return 0
    marks = ", ".join(["%s"] * len(post_ids))
    return _delete_and_announce(f"post_id IN ({marks})", post_ids)


@transaction.atomic
def notifications_retract_unread_from(
    *, actor_ids: Iterable[int], types: Iterable[str] | None = None
) -> int:
    """Delete the unread notifications these users caused (read ones stay as history),
    of every type or only of `types`."""
    actor_ids = list(actor_ids)
    if not actor_ids:
        return 0
    marks = ", ".join(["%s"] * len(actor_ids))
    condition = f"actor_id IN ({marks}) AND read_at IS NULL"
    params: list[int | str] = [*actor_ids]
    if types is not None:
        types = list(types)
        if not types:
            return 0
        condition += f" AND type IN ({', '.join(['%s'] * len(types))})"
        params += types
    return _delete_and_announce(condition, params)


@transaction.atomic
def notifications_retract_between(*, user_id: int, other_id: int, types: Iterable[str]) -> int:
    """Delete the notifications of these types that either user caused the other.

    For an unfriending: each side's inbox loses the other's posts, which it may no longer
    open. Read ones go too, since they carry the post's text.
    """
    types = list(types)
    if not types:
        return 0
    marks = ", ".join(["%s"] * len(types))
    return _delete_and_announce(
        f"type IN ({marks}) AND ((recipient_id = %s AND actor_id = %s) "
        f"OR (recipient_id = %s AND actor_id = %s))",
        [*types, user_id, other_id, other_id, user_id],
    )


@transaction.atomic
def notifications_retract_all_between(*, user_id: int, other_id: int) -> int:
    """Delete every notification either user caused the other, of every type, read or not.

    For a block: nothing one of them did may stay in the other's inbox.
    """
    return _delete_and_announce(
        "(recipient_id = %s AND actor_id = %s) OR (recipient_id = %s AND actor_id = %s)",
        [user_id, other_id, other_id, user_id],
    )


def _delete_and_announce(condition: str, params: Sequence[int | str]) -> int:
    # The column itself, not `read_at IS NULL`: SQLite 3.40 evaluates that expression in
    # RETURNING to 0 even for rows whose read_at is NULL.
    sql = f"DELETE FROM {NOTIFICATIONS} WHERE {condition} RETURNING id, recipient_id, read_at"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    removed: dict[int, list[int]] = defaultdict(list)
    lost_unread: set[int] = set()
    for notification_id, recipient_id, read_at in rows:
        removed[recipient_id].append(notification_id)
        if read_at is None:
            lost_unread.add(recipient_id)
    pushes: list[Push] = [
        (recipient_id, notification_removed(ids=sorted(ids)))
        for recipient_id, ids in removed.items()
    ]
    push_after_commit(lambda: [*pushes, *_unread_counts(lost_unread)])
    webpush_retract_after_commit(removed)
    return len(rows)


def _unread_counts(user_ids: set[int]) -> list[Push]:
    counts = notification_unread_counts(user_ids=user_ids)
    return [(user_id, unread_count(count=counts.get(user_id, 0))) for user_id in user_ids]


def connections_close_for_users(*, user_ids: Iterable[int], reason: str) -> None:
    """After commit, close every open notification socket of these users."""
    push_after_commit([(user_id, session_terminated(reason=reason)) for user_id in user_ids])
