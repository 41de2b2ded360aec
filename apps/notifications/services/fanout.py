"""The post fan-out: one notification per eligible friend, in a constant number of statements.

Preferences, mutes, muted post types and batching are all applied inside the SQL, so the
statement count depends neither on the number of friends nor on their settings.

A post to more friends than RIPPLE_FANOUT_CHUNK_SIZE is stored in chunks, so no
transaction holds thousands of recipients' locks (services/delivery.py) for long:

1. Online friends first. In the caller's transaction (the POST's), the friends who have an
   open connection now (the presence index, realtime/presence.py), at most a chunk of
   them, lowest ids first: their rows commit with the post and are pushed right after it,
   so the friends who can see a frame get it within one short transaction, whatever the
   number of friends. The ids are kept in `PostFanout.first_ids`, in the same transaction.
   When presence cannot be told (Redis down) or nobody is online, the first chunk is the
   first RIPPLE_FANOUT_CHUNK_SIZE friends in id order instead.
2. Then everyone else, in chunks of friends in ascending friend id, each in a short
   transaction of its own after the first commits (`post_fanout_continue`), skipping the
   friends in `first_ids`. A friend who comes online meanwhile is pushed their row when
   their chunk commits, or reads it on connecting.

Per-recipient order holds across chunks: every chunk, the first included, is one
transaction that locks its recipients' inbox rows in ascending user id before it allocates
ids, and each friend is in exactly one chunk. Each chunk advances the cursor
(`PostFanout.after_friend_id`) in the transaction that stores its rows, so a chunk run
again after a crash stores nothing twice.

Finding the online friends costs one Redis command per shard (every occupied user group,
when at most RIPPLE_FANOUT_ONLINE_LIST_MAX users are online site-wide; past that, the
friends' ids are read and checked, one script call per shard) and one index probe per
online user into the author's friendships. Presence can err for a while (realtime/
presence.py): a friend wrongly thought online is merely stored early, one wrongly thought
offline gets their frame when their chunk commits.

Batching needs no state of its own: a friend's current group with the author is the group
of the notification that friend got for the author's previous post. Joining that one
post's rows (the `notif_post_recipient` index: one probe per friend, whatever the size of
their inbox) replaces an UPDATE of a batching row per friend on every post, which cost
more than the rest of the fan-out but the INSERT.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.friends.models import Friendship
from apps.posts.models import Post
from apps.posts.serializers import PostSerializer

from .. import metrics
from ..models import MutedUser, Notification, NotificationPreference, PostFanout
from ..realtime.presence import PresenceUnavailable
from ..realtime.push import push_after_commit
from ..selectors import notification_latest_ids, notification_latest_ids_for_friends_of
from ..serializers import user_ref
from ..webpush.enqueue import webpush_after_commit
from .delivery import (
    InsertedRow,
    created_events,
    recipients_ensure,
    recipients_locked_sql,
    to_json,
)
from .fanout_chunks import schedule
from .presence import users_online, users_online_all

NOTIFICATIONS = Notification._meta.db_table
FRIENDSHIPS = Friendship._meta.db_table
PREFERENCES = NotificationPreference._meta.db_table
MUTES = MutedUser._meta.db_table
POSTS = Post._meta.db_table
USERS = User._meta.db_table
DEFAULT_WINDOW = NotificationPreference._meta.get_field("batch_window_seconds").default
# From this many rows on, a chunk's frames are built for its online recipients only.
PUSH_PRESENCE_FIRST = 500
# Past every user id: the upper bound of the last chunk.
NO_BOUND = 2**63 - 1


@dataclass(frozen=True)
class Chunk:
    """Friends with `after < friend_id < before`, in ascending id; of those, only the ones
    in `only` when it is given, and never the ones in `skip`."""

    author_id: int
    after: int
    before: int
    only: tuple[int, ...] | None = None
    skip: tuple[int, ...] = ()

    @property
    def last(self) -> bool:
        return self.before == NO_BOUND

    def friends_sql(self) -> tuple[str, list[Any]]:
        sql = (
            f"SELECT f.friend_id AS user_id FROM {FRIENDSHIPS} f "
            f"WHERE f.user_id = %s AND f.friend_id > %s AND f.friend_id < %s"
        )
        params: list[Any] = [self.author_id, self.after, self.before]
        if self.only is not None:
            among, among_params = _among("f.friend_id", self.only)
            sql += f" AND {among}"
            params += among_params
        if self.skip:
            among, among_params = _among("f.friend_id", self.skip)
            sql += f" AND NOT {among}"
            params += among_params
        return sql, params


def _among(column: str, ids: tuple[int, ...]) -> tuple[str, list[Any]]:
    """SQL true when `column` is one of `ids`, with one parameter whatever their number."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(CAST(%s AS bigint[]))", [list(ids)]
    return f"{column} IN (SELECT value FROM json_each(%s))", [to_json(list(ids))]


@transaction.atomic
def notifications_create_for_post(*, post: Post) -> int:
    """Store one NEW_POST notification per eligible friend of the author; push after commit.

    Eligible: the friend has not muted the author or the post's type and keeps new posts in
    the inbox. Friends with realtime off get the row but no push. Returns the rows stored
    in this transaction: past RIPPLE_FANOUT_CHUNK_SIZE friends, those of the friends online
    now (or of the first chunk in id order); the others are stored after commit
    (`fanout_chunks.schedule`).
    """
    created_at = timezone.now()
    chunk = _next_chunk(author_id=post.author_id, after=0)
    if chunk.last:
        return _store_chunk(post=post, chunk=chunk, created_at=created_at)
    online = _online_friends(author_id=post.author_id)
    if online:
        first = Chunk(author_id=post.author_id, after=0, before=NO_BOUND, only=online)
        after_friend_id = 0
    else:
        first, after_friend_id = chunk, chunk.before - 1
    stored = _store_chunk(post=post, chunk=first, created_at=created_at)
    PostFanout.objects.create(
        post=post,
        after_friend_id=after_friend_id,
        first_ids=list(online),
        created_at=created_at,
    )
    transaction.on_commit(lambda: schedule(post_id=post.pk, step=post_fanout_continue))
    return stored


@transaction.atomic
def post_fanout_continue(*, post_id: int) -> bool:
    """Store the next chunk of a post's fan-out in a transaction of its own; returns whether
    another chunk remains.

    The shape of a background task: running it twice, or for a post whose fan-out is done
    or whose post was removed meanwhile, stores nothing twice and nothing for a removed
    post (the post row is share-locked against removal until this chunk commits).
    """
    progress = PostFanout.objects.select_for_update().filter(post_id=post_id).first()
    if progress is None:
        return False
    post = _post_for_chunk(post_id)
    if post is None:
        progress.delete()
        return False
    chunk = _next_chunk(
        author_id=post.author_id, after=progress.after_friend_id, skip=progress.first_ids
    )
    _store_chunk(post=post, chunk=chunk, created_at=progress.created_at)
    if chunk.last:
        progress.delete()
        return False
    progress.after_friend_id = chunk.before - 1
    progress.save(update_fields=["after_friend_id"])
    return True


def _post_for_chunk(post_id: int) -> Post | None:
    """The post, unless removed or its author suspended. The post is locked (KEY SHARE) so
    a removal waits for this chunk; the author (SHARE, which a suspension's UPDATE waits
    for) so that the suspension's retraction, a later statement, sees this chunk's rows."""
    lock = " FOR KEY SHARE OF p FOR SHARE OF u" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.id FROM {POSTS} p JOIN {USERS} u ON u.id = p.author_id "
            f"WHERE p.id = %s AND p.removed_at IS NULL AND u.suspended_at IS NULL{lock}",
            [post_id],
        )
        if cursor.fetchone() is None:
            return None
    return Post.objects.select_related("author", "target_profile").get(pk=post_id)


def _next_chunk(*, author_id: int, after: int, skip: list[int] | None = None) -> Chunk:
    """The next RIPPLE_FANOUT_CHUNK_SIZE friends after `after`, read in one index range;
    those in `skip` (stored already) count towards the size but are left out.

    Their friendship rows are share-locked (KEY SHARE) to commit, before any inbox row: an
    unfriend (a DELETE) in flight makes the fan-out wait and then skip the ex-friend, and
    an unfriend arriving later waits for this chunk to commit and then retracts what it
    stored. Taken before the inbox locks, so a fan-out never waits on an unfriend while
    it holds inbox rows (docs/security.md).
    """
    lock = " FOR KEY SHARE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        # One row past the chunk: the first friend of the next one, if any.
        cursor.execute(
            f"SELECT count(*), max(c.friend_id) FROM (SELECT f.friend_id FROM {FRIENDSHIPS} f "
            f"WHERE f.user_id = %s AND f.friend_id > %s ORDER BY f.friend_id LIMIT %s{lock}) c",
            [author_id, after, settings.RIPPLE_FANOUT_CHUNK_SIZE + 1],
        )
        count, last = cursor.fetchone() or (0, None)
    before = NO_BOUND if last is None or count <= settings.RIPPLE_FANOUT_CHUNK_SIZE else int(last)
    # Only the skipped ids inside this chunk's range: the statement stays short.
    inside = tuple(sorted(i for i in skip or () if after < i < before))
    return Chunk(author_id=author_id, after=after, before=before, skip=inside)


def _online_friends(*, author_id: int) -> tuple[int, ...]:
    """The author's friends with an open connection now, at most RIPPLE_FANOUT_CHUNK_SIZE,
    lowest ids first; () when there are none or presence cannot be told.

    Their friendship rows are share-locked as `_next_chunk` does, for the same reason.
    """
    try:
        online = users_online_all(limit=settings.RIPPLE_FANOUT_ONLINE_LIST_MAX)
    except PresenceUnavailable:
        return ()
    if online is None:
        # More users online than is worth listing: ask about the friends instead.
        online = users_online(user_ids=_friend_ids(author_id)) or set()
    if not online:
        return ()
    among, params = _among("f.friend_id", tuple(online))
    lock = " FOR KEY SHARE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT f.friend_id FROM {FRIENDSHIPS} f WHERE f.user_id = %s AND {among} "
            f"ORDER BY f.friend_id LIMIT %s{lock}",
            [author_id, *params, settings.RIPPLE_FANOUT_CHUNK_SIZE],
        )
        return tuple(row[0] for row in cursor.fetchall())


def _friend_ids(author_id: int) -> list[int]:
    return list(Friendship.objects.filter(user_id=author_id).values_list("friend_id", flat=True))


def _store_chunk(*, post: Post, chunk: Chunk, created_at: datetime) -> int:
    """Lock the chunk's recipients, store their rows, push after commit; returns the count."""
    data = dict(PostSerializer(post).data)
    friends_sql, friends_params = chunk.friends_sql()
    recipients_ensure(select_sql=friends_sql, params=friends_params)
    rows = _insert_rows(post=post, chunk=chunk, data=data, created_at=created_at)
    # Read after the INSERT, which locked the recipients: every row of theirs below the
    # new ids has committed by now, and no other writer can add one until this commits.
    previous = _previous_ids(chunk, rows)
    # The events are built after commit: the recipients stay locked until then, so
    # everything not needed to write the rows stays out of the transaction.
    actor = user_ref(post.author)
    push_after_commit(
        lambda: created_events(
            rows=_rows_to_push(rows),
            type=Notification.Type.NEW_POST,
            actor=actor,
            data=data,
            created_at=created_at,
            previous=previous,
        )
    )
    webpush_after_commit(Notification.Type.NEW_POST, post.author_id, post.pk, rows)
    metrics.incr("notifications_stored", len(rows))
    return len(rows)


def _rows_to_push(rows: list[InsertedRow]) -> list[InsertedRow]:
    """The rows worth building a frame for: past PUSH_PRESENCE_FIRST rows (a chunk of a
    large fan-out, mostly offline friends), only the online recipients'.

    The layer sends to online users only anyway (group_send_many); asking first, in one
    Redis command per shard, saves building thousands of frames nobody receives. When
    presence cannot be told, every row is pushed, as before.
    """
    if len(rows) < PUSH_PRESENCE_FIRST:
        return rows
    online = users_online(user_ids=[row[1] for row in rows if row[2]])
    if online is None:
        return rows
    return [row for row in rows if row[1] in online]


def _previous_ids(chunk: Chunk, rows: list[InsertedRow]) -> dict[int, int]:
    """Each recipient's newest id below these rows (see `created_events`)."""
    if not rows:
        return {}
    below_id = min(row[0] for row in rows)
    if chunk.only is not None:
        # A few recipients spread over every friend: probe them, not the whole range.
        return notification_latest_ids(user_ids=[row[1] for row in rows], below_id=below_id)
    return notification_latest_ids_for_friends_of(
        user_id=chunk.author_id, after=chunk.after, before=chunk.before, below_id=below_id
    )


def _eligible(friend: str, post: Post) -> tuple[str, list[Any]]:
    """SQL that is true when `friend` (a column) should get a notification of this post;
    `p` is the friend's preference row, LEFT JOINed (NULL: every default)."""
    if connection.vendor == "postgresql":
        muted_type = "jsonb_exists(p.muted_post_types, %s)"
    else:
        muted_type = "EXISTS (SELECT 1 FROM json_each(p.muted_post_types) j WHERE j.value = %s)"
    sql = (
        f"NOT EXISTS (SELECT 1 FROM {MUTES} m WHERE m.user_id = {friend} AND m.muted_id = %s) "
        f"AND (p.user_id IS NULL OR (p.new_post_inbox = TRUE AND NOT {muted_type}))"
    )
    return sql, [post.author_id, post.type]


def _insert_rows(
    *, post: Post, chunk: Chunk, data: dict[str, Any], created_at: datetime
) -> list[InsertedRow]:
    """INSERT ... SELECT over the chunk's friends; returns (id, recipient, pushed, key, count).

    A friend joins the group of their previous notification of this author while that
    group's window (their own setting) is open and they have not marked it Done, else
    starts one; window 0: no group.
    """
    eligible, params = _eligible("l.user_id", post)
    data_param = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    key_prefix = f"p{post.author_id}-"
    now_ms = int(created_at.timestamp() * 1000)
    in_window = "(b.group_key IS NOT NULL AND b.started_ms + e.window_ms > %s)"
    friends_sql, friends_params = chunk.friends_sql()
    # The CTE locks the recipients' inbox rows (services/delivery.py) before any id is
    # allocated, and the INSERT reads its recipients from it: it stores rows for exactly
    # the recipients it locked, even if a friendship appeared since the last statement.
    sql = (
        f"WITH locked AS MATERIALIZED ({recipients_locked_sql(friends_sql)}) "
        f"INSERT INTO {NOTIFICATIONS} (recipient_id, actor_id, type, post_id, data, created_at, "
        f"read_at, pushed, group_key, group_count) "
        f"SELECT e.friend_id, %s, %s, %s, {data_param}, %s, NULL, e.realtime, "
        f"CASE WHEN e.window_ms = 0 THEN NULL WHEN {in_window} THEN b.group_key "
        f"ELSE %s END, "
        f"CASE WHEN {in_window} THEN b.group_count + 1 ELSE 1 END "
        f"FROM (SELECT l.user_id AS friend_id, "
        f"COALESCE(p.new_post_realtime, TRUE) AS realtime, "
        f"1000 * COALESCE(p.batch_window_seconds, {int(DEFAULT_WINDOW)}) AS window_ms "
        f"FROM locked l LEFT JOIN {PREFERENCES} p ON p.user_id = l.user_id "
        f"WHERE {eligible}) e "
        f"LEFT JOIN (SELECT n.recipient_id, n.group_key, n.group_count, "
        f"CAST(substr(n.group_key, %s) AS BIGINT) AS started_ms "
        f"FROM {NOTIFICATIONS} n WHERE n.group_key IS NOT NULL AND n.done_at IS NULL "
        f"AND n.post_id = "
        f"(SELECT p.id FROM {POSTS} p WHERE p.author_id = %s AND p.id < %s "
        f"ORDER BY p.created_at DESC, p.id DESC LIMIT 1)) b ON b.recipient_id = e.friend_id "
        f"RETURNING id, recipient_id, pushed, group_key, group_count"
    )
    values = [
        *friends_params,
        post.author_id,
        Notification.Type.NEW_POST,
        post.pk,
        to_json(data),
        connection.ops.adapt_datetimefield_value(created_at),
        now_ms,
        f"{key_prefix}{now_ms}",
        now_ms,
        *params,
        len(key_prefix) + 1,
        post.author_id,
        post.pk,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        # `pushed` comes back as 0 or 1 from SQLite; callers only test its truth.
        inserted: list[InsertedRow] = cursor.fetchall()
        return inserted
