"""Notification writes, split by concern; import them from here."""

from .activity import (
    notifications_create_for_like,
    notifications_create_for_mentions,
    notifications_create_for_reply,
    notifications_retract_activity_between,
    notifications_retract_for_reply,
    notifications_retract_like,
    post_counts_announce,
)
from .fanout import notifications_create_for_post
from .preferences import muted_user_create, muted_user_delete, preference_update
from .presence import users_online
from .read_state import (
    inbox_mark_seen,
    notification_mark_done,
    notification_mark_read,
    notification_mark_undone,
    notification_mark_unread,
    notifications_mark_all_done,
    notifications_mark_all_read,
)
from .retraction import (
    connections_close_for_users,
    notifications_retract_all_between,
    notifications_retract_between,
    notifications_retract_for_posts,
    notifications_retract_unread_from,
)
from .single import notification_create

__all__ = [
    "inbox_mark_seen",
    "notification_mark_done",
    "notification_mark_undone",
    "notifications_mark_all_done",
    "connections_close_for_users",
    "notifications_retract_all_between",
    "notifications_retract_between",
    "notifications_retract_for_posts",
    "notifications_retract_unread_from",
    "muted_user_create",
    "muted_user_delete",
    "notification_create",
    "notifications_create_for_like",
    "notifications_create_for_mentions",
    "notifications_create_for_reply",
    "notifications_retract_activity_between",
    "notifications_retract_for_reply",
    "notifications_retract_like",
    "post_counts_announce",
    "notification_mark_read",
    "notification_mark_unread",
    "notifications_create_for_post",
    "notifications_mark_all_read",
    "preference_update",
    "users_online",
]
