"""Presence for senders outside the request: who has an open connection right now."""

from collections.abc import Iterable

from asgiref.sync import async_to_sync

from ..realtime.presence import PresenceUnavailable, online_users, online_users_all


def users_online(*, user_ids: Iterable[int]) -> set[int] | None:
    """Which of these users have an open connection (realtime/presence.py), from sync code;
    None when presence cannot be told (Redis down), bounded by the layer's command timeout.

    A service rather than a selector: the realtime package reads the selectors, so they
    cannot read it back."""
    try:
        return async_to_sync(online_users)(list(user_ids))
    except PresenceUnavailable:
        return None


def users_online_all(*, limit: int) -> set[int] | None:
    """Every user with an open connection (see `users_online`), or None when more than
    `limit` are. Raises PresenceUnavailable when presence cannot be told, which a caller
    that would fall back to `users_online` must tell apart from "too many"."""
    return async_to_sync(online_users_all)(limit=limit)
