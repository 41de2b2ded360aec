"""What every notification writer shares: the per-recipient order lock, the payload JSON and
the push events of the rows a set-based INSERT returned.

The ordering guarantee: for each recipient, notification ids become visible in id order.
A client that has everything up to id N asks for "after N" (inbox `?after=`, the socket's
`?after=`/`sync`, the reconciler, the connection cursor) and never misses a row that
commits later with a smaller id.

How: every writer locks the inbox row (`notifications_inbox`, one per recipient) of each
recipient it writes to, *before* it allocates ids, and holds the locks to COMMIT. Two
writers for the same recipient therefore allocate and commit one after the other, so that
recipient's ids commit in order; writers with no recipient in common never wait for each
other.

The steps, in this order, for a set of recipients:

1. Create the missing inbox rows: `INSERT ... SELECT ... ORDER BY user_id ON CONFLICT DO
   NOTHING`, the existing ones skipped by an index probe first. A concurrent writer
   inserting the same new row waits for ours to commit, so the inserts are ordered too.
2. Lock them, `FOR NO KEY UPDATE`, one primary-key probe after another in ascending user
   id, in a later statement than step 1 (under READ COMMITTED it then sees every row
   step 1 made or waited for).
3. Allocate ids (the INSERT of the notifications) and commit. The fan-out does 2 and 3 in
   one statement (a locking CTE the INSERT reads its recipients from), so it stores rows
   for exactly the recipients it locked, even if a friendship appears between statements.
   The writers to a few recipients (messages, requests, likes, replies, mentions) do 1
   and 2 in one statement instead (`recipients_lock`), then 3.

Failure modes, and why they are bounded:

- Overlapping fan-outs (two authors with common friends) wait for each other on the
  common rows only. Every writer creates and locks in ascending user id, so no two can
  wait on each other in a cycle: no deadlock. A writer that locked inbox rows and *then*
  took other row locks, or locked more inbox rows in a later statement, could deadlock
  with one doing the reverse; PostgreSQL would detect it after `deadlock_timeout` and
  abort one transaction. Hence: call a notification writer as the last write of its
  transaction, and let each writer lock its recipients once.
- A long open transaction that holds an inbox lock (a writer that does slow work after
  writing notifications) delays only the writers to those recipients, until it ends.
  Large fan-outs are split into short transactions for this reason (see `fanout`).
- A reader never waits: the locks are row locks, and readers take none.

SQLite allows one writing transaction at a time already, so there nothing is locked.
"""

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from ..models import Inbox
from ..realtime.events import Push, notification_created
from ..serializers import format_datetime, notification_frame

# One row of a writer's INSERT ... RETURNING: (id, recipient_id, pushed, group_key, group_count).
InsertedRow = tuple[int, int, bool, str | None, int]

INBOXES = Inbox._meta.db_table


def recipients_ensure(*, select_sql: str, params: Sequence[Any]) -> None:
    """Create the missing inbox rows of the users `select_sql` returns (one `user_id`
    column), in ascending user id. Must run before they are locked, in its own statement.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        # The probe skips the rows that exist (nearly all, after a user's first
        # notification) more cheaply than ON CONFLICT's check of each; a row another writer
        # has inserted but not committed is invisible to it, and ON CONFLICT then waits for
        # that writer as before. A scalar subquery, not NOT EXISTS: the planner turns the
        # latter into a hash anti-join that reads the whole inbox table (73 ms for a
        # 1,000-recipient chunk beside 100,000 inbox rows), and keeps this one a probe.
        cursor.execute(
            f"INSERT INTO {INBOXES} (user_id) SELECT r.user_id FROM ({select_sql}) r "
            f"WHERE (SELECT 1 FROM {INBOXES} e WHERE e.user_id = r.user_id) IS NULL "
            f"ORDER BY r.user_id ON CONFLICT (user_id) DO NOTHING",
            params,
        )


def recipients_locked_sql(select_sql: str) -> str:
    """A query over the users `select_sql` returns that locks their inbox rows, in ascending
    user id, until commit; it returns the `user_id` of the rows it locked.

    For a writer that locks and inserts in one statement: its INSERT then covers exactly
    the recipients it locked. Run `recipients_ensure` first (a missing row is not locked).
    """
    if connection.vendor != "postgresql":
        return select_sql
    # A LATERAL probe per user, walked in user id order: one primary-key lookup each, in
    # that order, whatever the planner thinks of the sizes (a join would be free to read
    # the whole inbox table, a row per user of the site, for a post to 100 friends). The
    # ORDER BY and the locking clause keep both subqueries from being flattened.
    return (
        f"SELECT x.user_id FROM (SELECT r0.user_id FROM ({select_sql}) r0 "
        f"ORDER BY r0.user_id) r, LATERAL (SELECT i.user_id FROM {INBOXES} i "
        f"WHERE i.user_id = r.user_id FOR NO KEY UPDATE) x"
    )


def recipients_lock(*, select_sql: str, params: Sequence[Any]) -> None:
    """Lock the inbox rows of the users `select_sql` returns until commit, creating those
    that are missing: steps 1 and 2 in one statement, whatever the number of users.

    Must run inside a transaction, before the writer allocates notification ids.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        # ON CONFLICT DO UPDATE locks each existing row (FOR UPDATE) even though its WHERE
        # lets nothing change, and inserts each missing one, which a concurrent writer of
        # the same row then waits for: every row locked, in ascending user id, one
        # statement. For a few recipients this beats a probe, then a locking SELECT; the
        # fan-out, with thousands, keeps the two steps (the probe skips existing rows more
        # cheaply than a conflict each) and locks inside its INSERT.
        cursor.execute(
            f"INSERT INTO {INBOXES} (user_id) SELECT DISTINCT r.user_id FROM ({select_sql}) r "
            f"ORDER BY r.user_id ON CONFLICT (user_id) DO UPDATE SET user_id = EXCLUDED.user_id "
            f"WHERE FALSE",
            params,
        )


def recipient_lock(*, user_id: int) -> None:
    """Lock one recipient's inbox row until commit (see `recipients_lock`)."""
    recipients_lock(select_sql="SELECT %s AS user_id", params=[user_id])


def to_json(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder)


def created_events(
    *,
    rows: list[InsertedRow],
    type: str,
    actor: dict[str, Any],
    data: dict[str, Any],
    created_at: datetime,
    previous: dict[int, int],
) -> list[Push]:
    """The `notification_created` events of the inserted rows their recipients want pushed.

    `previous` maps a recipient to their newest id before these rows (missing or 0: none).
    """
    created_text = format_datetime(created_at)  # once, not once per recipient
    return [
        (
            recipient_id,
            notification_created(
                frame=notification_frame(
                    notification_id=notification_id,
                    type=type,
                    actor=actor,
                    created_at=created_text,
                    data=data,
                    group_key=group_key,
                    group_count=group_count,
                ),
                prev_id=previous.get(recipient_id) or None,
            ),
        )
        for notification_id, recipient_id, pushed, group_key, group_count in rows
        if pushed
    ]
