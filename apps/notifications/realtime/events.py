"""Every realtime event, typed, and the one table that names it on each tier.

An event travels as a channel-layer message (`{"type": "<layer name>", ...}`), Channels
calls the consumer method named after it (dots become underscores), and the consumer sends
the client a JSON frame. The layer name and the wire name are the same word: the layer's
`unread.count` is the consumer's `unread_count` and the client's `unread_count` frame. The
one exception is a new notification, whose frame is the stored item itself, typed by the
notification's own type (`{"type": "new_post", "id": ..., ...}`), as the feature contract
requires.
"""

from typing import Any, Literal, NotRequired, TypedDict

# A notification exactly as the REST inbox returns it (NotificationSerializer): the client
# merges a pushed item into a fetched page without rebuilding it.
NotificationFrame = dict[str, Any]


class NotificationCreated(TypedDict):
    """One stored notification. `prev_id` is the recipient's newest id before it: a
    connection that has not sent `prev_id` yet missed something and replays the gap first."""

    type: Literal["notification.created"]
    frame: NotificationFrame
    prev_id: int | None


class NotificationRemoved(TypedDict):
    """Notifications withdrawn (a post removed, an actor suspended, a friendship ended)."""

    type: Literal["notification.removed"]
    ids: list[int]


class UnreadCount(TypedDict):
    """The recipient's unread count after a change, read after the change committed."""

    type: Literal["unread.count"]
    count: int


# What a triage change did to the items it names.
TriageState = Literal["read", "unread", "done", "undone", "seen"]


class InboxCounts(TypedDict):
    unread: int
    unseen: int
    last_seen_id: int
    version: int


class NotificationUpdated(TypedDict):
    """Items of one user changed state (read, unread, done, undone) or the seen marker moved
    ("seen", `ids` empty), with the counts read after the change committed. `read_at` is the
    items' new read time (read) or None; `items` are the frames of undone items, which a tab
    that had dropped them shows again; `up_to` bounds a bulk change."""

    type: Literal["notification.updated"]
    ids: list[int]
    state: TriageState
    counts: InboxCounts
    read_at: NotRequired[str | None]
    items: NotRequired[list[NotificationFrame]]
    up_to: NotRequired[int | None]


class SessionTerminated(TypedDict):
    """Every open connection of the user closes (with 4403): the account was suspended."""

    type: Literal["session.terminated"]
    reason: str


class PostCounts(TypedDict):
    """A post's like and reply counts changed. Not a notification: nothing is stored, it
    carries no id and leaves the connection's cursor where it was; a client that misses
    one reads the counts with the post."""

    type: Literal["post.counts"]
    post_id: int
    likes_count: int
    reply_count: int


Event = (
    NotificationCreated
    | NotificationRemoved
    | UnreadCount
    | NotificationUpdated
    | SessionTerminated
    | PostCounts
)

# (recipient id, event)
Push = tuple[int, Event]


class WireFrame(TypedDict):
    type: str
    data: NotRequired[dict[str, Any]]
    reason: NotRequired[str]


# The naming table: layer name -> wire frame type (None: the frame is the notification).
WIRE_TYPES: dict[str, str | None] = {
    "notification.created": None,
    "notification.removed": "notification_removed",
    "unread.count": "unread_count",
    "notification.updated": "notification_updated",
    "session.terminated": "session_terminated",
    "post.counts": "post_counts",
}


def user_group(user_id: int) -> str:
    """The channel-layer group holding every open connection of one user."""
    return f"notifications.user.{user_id}"


def notification_created(*, frame: NotificationFrame, prev_id: int | None) -> NotificationCreated:
    return {"type": "notification.created", "frame": frame, "prev_id": prev_id}


def notification_removed(*, ids: list[int]) -> NotificationRemoved:
    return {"type": "notification.removed", "ids": ids}


def unread_count(*, count: int) -> UnreadCount:
    return {"type": "unread.count", "count": count}


def notification_updated(
    *,
    ids: list[int],
    state: TriageState,
    counts: InboxCounts,
    read_at: str | None = None,
    items: list[NotificationFrame] | None = None,
    up_to: int | None = None,
) -> NotificationUpdated:
    event: NotificationUpdated = {
        "type": "notification.updated",
        "ids": ids,
        "state": state,
        "counts": counts,
    }
    if state == "read":
        event["read_at"] = read_at
    if items is not None:
        event["items"] = items
    if up_to is not None:
        event["up_to"] = up_to
    return event


def session_terminated(*, reason: str) -> SessionTerminated:
    return {"type": "session.terminated", "reason": reason}


def post_counts(*, post_id: int, likes_count: int, reply_count: int) -> PostCounts:
    return {
        "type": "post.counts",
        "post_id": post_id,
        "likes_count": likes_count,
        "reply_count": reply_count,
    }


def wire_frame(
    event: NotificationRemoved | UnreadCount | NotificationUpdated | SessionTerminated | PostCounts,
) -> WireFrame:
    """The frame a client receives for a control event."""
    wire_type = WIRE_TYPES[event["type"]]
    assert wire_type is not None
    if event["type"] == "notification.updated":
        data = {name: value for name, value in event.items() if name != "type"}
        return {"type": wire_type, "data": data}
    if event["type"] == "notification.removed":
        return {"type": wire_type, "data": {"ids": event["ids"]}}
    if event["type"] == "unread.count":
        return {"type": wire_type, "data": {"count": event["count"]}}
    if event["type"] == "post.counts":
        counts = {
            "post_id": event["post_id"],
            "likes_count": event["likes_count"],
            "reply_count": event["reply_count"],
        }
        return {"type": wire_type, "data": counts}
    return {"type": wire_type, "reason": event["reason"]}
