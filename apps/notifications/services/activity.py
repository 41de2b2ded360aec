"""Activity on posts: likes, replies and mentions, and the live like and reply counts.

Each like and each reply is a row of its own, grouped by what it is about: the likes of one
post share the key `l<post id>`, the replies to one post `r<post id>` (mentions stand
alone). So a group keeps growing after it was delivered, its count is exact however large,
an unlike or a deleted reply removes exactly its own row, and a new like of a group already
read makes the group unread again. Every writer runs a constant number of statements
whatever the number of recipients, and locks its recipients as every writer does
(delivery.py).
"""

import json
import re
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.friends.models import Block, Friendship
from apps.posts.models import Post, Reply

from .. import metrics
from ..models import MutedUser, Notification, NotificationPreference
from ..realtime.events import Push, post_counts
from ..realtime.push import push_after_commit
from ..selectors import notification_latest_ids, post_counts_get, post_viewer_ids
from ..serializers import user_ref
from ..webpush.enqueue import webpush_after_commit
from .delivery import InsertedRow, created_events, recipients_lock, to_json
from .retraction import _delete_and_announce

NOTIFICATIONS = Notification._meta.db_table
FRIENDSHIPS = Friendship._meta.db_table
BLOCKS = Block._meta.db_table
PREFERENCES = NotificationPreference._meta.db_table
MUTES = MutedUser._meta.db_table
REPLIES = Reply._meta.db_table
POSTS = Post._meta.db_table
USERS = User._meta.db_table

# Only the first MAX_MENTIONS distinct names of a text notify anyone: a text cannot page
# hundreds of people.
MAX_MENTIONS = 20
# `@name` not preceded by a word character or `@` (so not an e-mail address), ending on a
# word character so that "@pablo." mentions pablo. Django usernames are [\w.@+-]; names
# holding `@` cannot be mentioned.
MENTION = re.compile(r"(?<![\w@])@([\w.+-]*\w)")
EXCERPT_LENGTH = 140

# SQL selecting candidate recipients as one column named `id`, and its parameters.
Recipients = tuple[str, list[Any]]


def mentioned_usernames(text: str) -> list[str]:
    """The distinct `@names` of a text in order of appearance, at most MAX_MENTIONS."""
    names: list[str] = []
    for match in MENTION.finditer(text):
        if match[1] not in names:
            names.append(match[1])
            if len(names) == MAX_MENTIONS:
                break
    return names


def excerpt(text: str) -> str:
    """The first non-blank line, cut to EXCERPT_LENGTH characters."""
    line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return line if len(line) <= EXCERPT_LENGTH else line[: EXCERPT_LENGTH - 1] + "…"


def post_ref(post: Post) -> dict[str, Any]:
    return {"id": post.pk, "author_id": post.author_id, "excerpt": excerpt(post.content)}


def reply_ref(reply: Reply) -> dict[str, Any]:
    return {"id": reply.pk, "excerpt": excerpt(reply.content)}


def like_group_key(post_id: int) -> str:
    return f"l{post_id}"


def reply_group_key(post_id: int) -> str:
    return f"r{post_id}"


@transaction.atomic
def notifications_create_for_like(*, post: Post, actor: User) -> int:
    """Tell the post's author that a friend liked it (never for liking your own post).

    Call after the like is stored, as the last write of the transaction. Returns the rows
    stored (0 or 1).
    """
    if actor.pk == post.author_id:
        return 0
    recipients: Recipients = (
        f"SELECT f.user_id AS id FROM {FRIENDSHIPS} f WHERE f.user_id = %s AND f.friend_id = %s",
        [post.author_id, actor.pk],
    )
    return len(
        _notify(
            type=Notification.Type.POST_LIKED,
            actor=actor,
            post_id=post.pk,
            data={"post": post_ref(post)},
            recipients=recipients,
            group_key=like_group_key(post.pk),
        )
    )


@transaction.atomic
def notifications_create_for_reply(*, reply: Reply) -> int:
    """Notify the post's author and its earlier repliers (never the replier), and whoever the
    reply mentions.

    A participant is someone who replied to the post before and can still see it (a friend
    of its author). Someone the reply mentions gets the mention instead of the reply
    notification. Both sets are locked in one statement (delivery.py: each writer locks its
    recipients once, in id order). Returns the rows stored.
    """
    post = reply.post
    actor = reply.author
    data = {"post": post_ref(post), "reply": reply_ref(reply)}
    mention_recipients = _mention_recipients(post=post, actor=actor, text=reply.content)
    mentioned_ids = (
        _candidates(
            type=Notification.Type.MENTIONED,
            actor_id=actor.pk,
            recipients=mention_recipients,
            exclude=[],
        )
        if mention_recipients
        else []
    )
    participants: Recipients = (
        f"SELECT f.friend_id AS id FROM {FRIENDSHIPS} f WHERE f.user_id = %s "
        f"AND f.friend_id <> %s AND EXISTS (SELECT 1 FROM {REPLIES} r "
        f"WHERE r.post_id = %s AND r.author_id = f.friend_id AND r.id <> %s) "
        f"UNION SELECT u.id AS id FROM {USERS} u WHERE u.id = %s AND u.id <> %s",
        [post.author_id, actor.pk, post.pk, reply.pk, post.author_id, actor.pk],
    )
    replied_ids = _candidates(
        type=Notification.Type.POST_REPLIED,
        actor_id=actor.pk,
        recipients=participants,
        exclude=mentioned_ids,
    )
    _lock(sorted([*mentioned_ids, *replied_ids]))
    mentioned = _store(
        type=Notification.Type.MENTIONED,
        actor=actor,
        post_id=post.pk,
        data={"reply": None, **data},
        recipient_ids=mentioned_ids,
        group_key=None,
    )
    replied = _store(
        type=Notification.Type.POST_REPLIED,
        actor=actor,
        post_id=post.pk,
        data=data,
        recipient_ids=replied_ids,
        group_key=reply_group_key(post.pk),
    )
    return len(mentioned) + len(replied)


@transaction.atomic
def notifications_create_for_mentions(*, post: Post) -> int:
    """Notify those a new post mentions who can see it; returns the rows stored."""
    recipients = _mention_recipients(
        post=post, actor=post.author, text=post.content, muting_left_out=True
    )
    if recipients is None:
        return 0
    return len(
        _notify(
            type=Notification.Type.MENTIONED,
            actor=post.author,
            post_id=post.pk,
            data={"reply": None, "post": post_ref(post)},
            recipients=recipients,
            group_key=None,
        )
    )


def _mention_recipients(
    *, post: Post, actor: User, text: str, muting_left_out: bool = False
) -> Recipients | None:
    """Mentions of users who can see the post: its author, their friends, the profile owner.

    A mention of yourself, of an unknown name or of someone who cannot see the post
    notifies nobody; with `muting_left_out` (a post's own text), nor does a mention of
    someone who muted the actor, who gets nothing from their posts. None when the text
    mentions no one.
    """
    names = mentioned_usernames(text)
    if not names:
        return None
    marks = ", ".join(["%s"] * len(names))
    sql = (
        f"SELECT u.id AS id FROM {USERS} u WHERE u.username IN ({marks}) AND u.id <> %s "
        f"AND (u.id = %s OR u.id = %s OR EXISTS (SELECT 1 FROM {FRIENDSHIPS} f "
        f"WHERE f.user_id = %s AND f.friend_id = u.id))"
    )
    params = [*names, actor.pk, post.author_id, post.target_profile_id or 0, post.author_id]
    if muting_left_out:
        sql += (
            f" AND NOT EXISTS (SELECT 1 FROM {MUTES} m WHERE m.user_id = u.id AND m.muted_id = %s)"
        )
        params.append(actor.pk)
    return sql, params


@transaction.atomic
def notifications_retract_like(*, post_id: int, actor_id: int) -> int:
    """Delete the notification of this like; pushes the removed id and the new unread count."""
    return _delete_and_announce(
        "type = %s AND post_id = %s AND actor_id = %s",
        [Notification.Type.POST_LIKED, post_id, actor_id],
    )


@transaction.atomic
def notifications_retract_for_reply(*, post_id: int, reply_id: int) -> int:
    """Delete what a reply caused (its reply and mention notifications), pushed as for a like."""
    if connection.vendor == "postgresql":
        reply_id_sql = "(data -> 'reply' ->> 'id') = %s"
        reply_param: int | str = str(reply_id)
    else:
        reply_id_sql = "json_extract(data, '$.reply.id') = %s"
        reply_param = reply_id
    return _delete_and_announce(
        f"post_id = %s AND type IN (%s, %s) AND {reply_id_sql}",
        [post_id, Notification.Type.POST_REPLIED, Notification.Type.MENTIONED, reply_param],
    )


@transaction.atomic
def notifications_retract_activity_between(*, user_id: int, other_id: int) -> int:
    """For an unfriending: delete the reply and mention notifications each user holds about
    the other's posts, which they may no longer open (read ones too: they quote the post).

    One statement; pushed as any retraction. Likes stay: they are about your own post.
    """
    about = f"post_id IN (SELECT p.id FROM {POSTS} p WHERE p.author_id = %s)"
    return _delete_and_announce(
        f"type IN (%s, %s) AND ((recipient_id = %s AND {about}) "
        f"OR (recipient_id = %s AND {about}))",
        [
            Notification.Type.POST_REPLIED,
            Notification.Type.MENTIONED,
            *(user_id, other_id, other_id, user_id),
        ],
    )


def post_counts_announce(*, post_id: int, author_id: int) -> None:
    """After commit, send the post's like and reply counts to its author and their friends.

    Nothing is stored: the counts go straight to open sockets, read after commit so they
    are the committed ones, in two queries whatever the number of friends.
    """

    def events() -> list[Push]:
        counts = post_counts_get(post_id=post_id)
        if counts is None:
            return []
        event = post_counts(post_id=post_id, likes_count=counts[0], reply_count=counts[1])
        return [(viewer, event) for viewer in post_viewer_ids(author_id=author_id)]

    push_after_commit(events)


def _notify(
    *,
    type: str,
    actor: User,
    post_id: int,
    data: dict[str, Any],
    recipients: Recipients,
    group_key: str | None,
) -> list[InsertedRow]:
    """Store one `type` notification per recipient who keeps the type in the inbox, and push
    it after commit to those who keep it realtime. Five statements whatever the number."""
    recipient_ids = _candidates(type=type, actor_id=actor.pk, recipients=recipients, exclude=[])
    _lock(recipient_ids)
    return _store(
        type=type,
        actor=actor,
        post_id=post_id,
        data=data,
        recipient_ids=recipient_ids,
        group_key=group_key,
    )


def _lock(recipient_ids: list[int]) -> None:
    """Lock these recipients' inbox rows (delivery.py), once per writer."""
    if not recipient_ids:
        return
    marks = ", ".join(["%s"] * len(recipient_ids))
    recipients_lock(
        select_sql=f"SELECT u.id AS user_id FROM {USERS} u WHERE u.id IN ({marks})",
        params=recipient_ids,
    )


def _store(
    *,
    type: str,
    actor: User,
    post_id: int,
    data: dict[str, Any],
    recipient_ids: list[int],
    group_key: str | None,
) -> list[InsertedRow]:
    """Insert the rows of recipients already locked by `_lock`; push them after commit."""
    if not recipient_ids:
        return []
    # Round-trip through JSON so the pushed data is exactly what the inbox will return.
    data = json.loads(to_json(data))
    created_at = timezone.now()
    # Read only now that no other writer to these recipients can commit before us.
    previous = notification_latest_ids(user_ids=recipient_ids)
    rows = _insert_rows(
        type=type,
        actor_id=actor.pk,
        post_id=post_id,
        data=data,
        created_at=created_at,
        recipient_ids=recipient_ids,
        group_key=group_key,
    )
    actor_ref = user_ref(actor)
    push_after_commit(
        lambda: created_events(
            rows=rows,
            type=type,
            actor=actor_ref,
            data=data,
            created_at=created_at,
            previous=previous,
        )
    )
    webpush_after_commit(type, actor.pk, post_id, rows)
    metrics.incr("notifications_stored", len(rows))
    return rows


def _candidates(
    *, type: str, actor_id: int, recipients: Recipients, exclude: list[int]
) -> list[int]:
    """Recipients keeping `type` in their inbox and with no block between them and the actor
    (a participant or a mentioned friend of the author may have blocked the replier), in
    ascending id. A limited actor reaches only their own friends: a reply to a friend's post
    must not page the friend's friends."""
    sql, params = recipients
    excluded = ""
    if exclude:
        excluded = f"AND r.id NOT IN ({', '.join(['%s'] * len(exclude))})"
    query = (
        f"SELECT DISTINCT r.id FROM ({sql}) r "
        f"WHERE NOT EXISTS (SELECT 1 FROM {PREFERENCES} p WHERE p.user_id = r.id "
        f"AND p.{type}_inbox = FALSE) "
        f"AND NOT EXISTS (SELECT 1 FROM {BLOCKS} b WHERE (b.blocker_id = r.id "
        f"AND b.blocked_id = %s) OR (b.blocker_id = %s AND b.blocked_id = r.id)) "
        f"AND (NOT EXISTS (SELECT 1 FROM {USERS} a WHERE a.id = %s AND a.limited_at IS NOT NULL) "
        f"OR EXISTS (SELECT 1 FROM {FRIENDSHIPS} f WHERE f.user_id = %s AND f.friend_id = r.id)) "
        f"{excluded}"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, [*params, actor_id, actor_id, actor_id, actor_id, *exclude])
        return sorted(recipient_id for (recipient_id,) in cursor.fetchall())


def _insert_rows(
    *,
    type: str,
    actor_id: int,
    post_id: int,
    data: dict[str, Any],
    created_at: datetime,
    recipient_ids: list[int],
    group_key: str | None,
) -> list[InsertedRow]:
    """INSERT ... SELECT, one row per recipient; a grouped row carries its group's size as
    the inbox shows it (Done rows left out)."""
    data_param = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    count_sql, count_params = "1", []
    if group_key is not None:
        count_sql = (
            f"1 + (SELECT COUNT(*) FROM {NOTIFICATIONS} g "
            f"WHERE g.recipient_id = u.id AND g.group_key = %s AND g.done_at IS NULL)"
        )
        count_params = [group_key]
    marks = ", ".join(["%s"] * len(recipient_ids))
    sql = (
        f"INSERT INTO {NOTIFICATIONS} (recipient_id, actor_id, type, post_id, data, created_at, "
        f"read_at, pushed, group_key, group_count) "
        f"SELECT u.id, %s, %s, %s, {data_param}, %s, NULL, "
        f"NOT EXISTS (SELECT 1 FROM {PREFERENCES} p WHERE p.user_id = u.id "
        f"AND p.{type}_realtime = FALSE), %s, {count_sql} "
        f"FROM {USERS} u WHERE u.id IN ({marks}) "
        f"RETURNING id, recipient_id, pushed, group_key, group_count"
    )
    values = [
        actor_id,
        type,
        post_id,
        to_json(data),
        connection.ops.adapt_datetimefield_value(created_at),
        group_key,
        *count_params,
        *recipient_ids,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        inserted: list[InsertedRow] = cursor.fetchall()
        return inserted
