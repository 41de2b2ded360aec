"""Who is online: the users some worker process holds an open WebSocket for.

Shared by every worker through the channel layer's index of occupied groups (layer.py): a
worker marks a user's group when it joins a connection to it and refreshes the marks of its
connections' groups more often than CHANNEL_LAYER_PRESENCE_EXPIRY (the reconciler's
membership upkeep); the worker that removes a group's last member clears the mark. The push
reads group members only for the users found here, and a later sender (Web Push, email) can
send only to the users not found here.

The answer can be wrong for a short while, in known ways:

- online too long: a worker that died leaves its users marked until the expiry (60 s by
  default), as does a leave that failed until it is retried;
- offline too early: while Redis has forgotten a join (it restarted, a write failed) until
  the reconciler re-adds it, within a reconcile interval of Redis answering again. A push
  missed meanwhile is replayed from the database, so no notification is lost.
"""

from collections.abc import Iterable
from typing import cast

from channels.layers import get_channel_layer

from .events import user_group
from .layer import RealtimeLayer


class PresenceUnavailable(Exception):
    """The channel layer did not answer (Redis down or hung): presence is unknown."""


async def online_users(user_ids: Iterable[int]) -> set[int]:
    """Which of these users have an open connection somewhere; one Redis command per shard,
    bounded by the layer's command timeout. Raises PresenceUnavailable if it cannot tell."""
    groups = {user_group(user_id): user_id for user_id in user_ids}
    if not groups:
        return set()
    # The settings name one of the layers in layer.py; both have RealtimeLayer's interface.
    layer = cast(RealtimeLayer, get_channel_layer())
    try:
        occupied = await layer.occupied_groups(groups)
    except Exception as error:
        raise PresenceUnavailable(type(error).__name__) from error
    return {groups[group] for group in occupied}


async def online_users_all(*, limit: int) -> set[int] | None:
    """Every user with an open connection somewhere, or None when more than `limit` are
    (then ask about the users of interest with `online_users`). One Redis command per
    shard, bounded by the layer's command timeout. Raises PresenceUnavailable if it cannot
    tell."""
    layer = cast(RealtimeLayer, get_channel_layer())
    try:
        occupied = await layer.occupied_groups_all(limit=limit)
    except Exception as error:
        raise PresenceUnavailable(type(error).__name__) from error
    if occupied is None:
        return None
    prefix = user_group(0)[:-1]
    return {int(group[len(prefix) :]) for group in occupied if group.startswith(prefix)}


async def is_online(user_id: int) -> bool:
    """Whether the user has an open connection on some worker (see `online_users`)."""
    return user_id in await online_users([user_id])
