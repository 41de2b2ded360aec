"""Who gets a push, and what happens after each answer.

A stored notification is pushed to each subscription of its recipient when the recipient
allows the type on the `push` channel, has not read it (or marked it done) meanwhile, and
has no open connection anywhere (realtime.presence, shared by every worker in Redis with an
expiry). Selection is two queries and one presence lookup whatever the number of rows.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .. import metrics
from ..models import Notification, NotificationPreference, PushSubscription
from ..realtime.presence import PresenceUnavailable, online_users
from ..serializers import notification_frame, user_ref
from . import eventloop
from .keys import VapidKeys
from .payload import notification_payload, removal_payloads, topic_for
from .quiet import quiet_until
from .sender import Message, Outcome, Result, Target, send_all

logger = logging.getLogger(__name__)

# The recipient waits for these on a phone: a message, a friend request and its answer.
HIGH_URGENCY = frozenset({Notification.Type.NEW_MESSAGE})


def _push_default(kind: str) -> bool:
    field = NotificationPreference._meta.get_field(f"{kind}_push")
    assert isinstance(field, models.BooleanField)
    return bool(field.default)


# A missing preference record means these (the model's defaults).
PUSH_DEFAULTS = {kind: _push_default(kind) for kind in Notification.Type.values}
# The presence lookup gives up after this long; the push then goes to everyone selected.
PRESENCE_TIMEOUT_SECONDS = 2.0

# (subscription id, notification id) pairs to try again, the attempt they will be, and the
# seconds to wait before it.
Retry = tuple[list[tuple[int, int]], int, float]


@dataclass
class Batch:
    """Pushes to send now, and those held by quiet hours: (subscription id, notification
    id) pairs by the UTC timestamp their recipient's window ends."""

    messages: list[Message] = field(default_factory=list)
    deferred: dict[float, list[tuple[int, int]]] = field(default_factory=dict)


def messages_for_range(
    *, type: str, actor_id: int, post_id: int | None, first_id: int, last_id: int
) -> Batch:
    """The pushes owed for one writer's rows: ids in [first_id, last_id] of this type, actor
    and post (so another writer's rows in the range are not this call's)."""
    if type not in PUSH_DEFAULTS:
        raise ValueError(f"unknown notification type {type!r}")
    rows = Notification.objects.filter(
        id__gte=first_id, id__lte=last_id, type=type, actor_id=actor_id
    )
    rows = rows.filter(post__isnull=True) if post_id is None else rows.filter(post_id=post_id)
    return _messages(rows, type_known=type)


def messages_for_pairs(pairs: Sequence[tuple[int, int]]) -> Batch:
    """The pushes to try again, or held until quiet hours ended: these (subscription,
    notification) pairs, when both still exist and the notification is still unread.
    Presence and quiet hours are checked again; of one group (a burst of posts, the replies
    to a post) only the newest goes to each browser."""
    wanted = set(pairs)
    rows = Notification.objects.filter(id__in={notification for _, notification in pairs})
    batch = _messages(rows, type_known=None)
    newest: dict[tuple[int, str], Message] = {}
    for message in batch.messages:
        if (message.target.subscription_id, message.notification_id) in wanted:
            key = (message.target.subscription_id, message.topic or str(message.notification_id))
            newest[key] = message  # in id order: the last is the newest
    batch.messages = list(newest.values())
    batch.deferred = {
        until: [pair for pair in held if pair in wanted] for until, held in batch.deferred.items()
    }
    return batch


def _messages(rows: Any, *, type_known: str | None) -> Batch:
    rows = rows.filter(read_at__isnull=True, done_at__isnull=True).filter(
        Exists(PushSubscription.objects.filter(user_id=OuterRef("recipient_id")))
    )
    if type_known is not None:
        rows = rows.annotate(allowed=_allowed(type_known)).filter(allowed=True)
    else:
        allowed = Q()
        for kind in PUSH_DEFAULTS:
            allowed |= Q(type=kind, **{f"allowed_{kind}": True})
        rows = rows.annotate(**{f"allowed_{kind}": _allowed(kind) for kind in PUSH_DEFAULTS})
        rows = rows.filter(allowed)
    notifications = list(rows.select_related("actor").order_by("id"))
    if not notifications:
        return Batch()
    offline = _offline({n.recipient_id for n in notifications})
    notifications = [n for n in notifications if n.recipient_id in offline]
    subscriptions: dict[int, list[PushSubscription]] = defaultdict(list)
    for subscription in PushSubscription.objects.filter(user_id__in=offline):
        subscriptions[subscription.user_id].append(subscription)
    batch = Batch()
    quiet = _quiet_ends(offline)
    messages = batch.messages
    for notification in notifications:
        until = quiet.get(notification.recipient_id)
        if until is not None and not (
            notification.type == Notification.Type.NEW_MESSAGE and until[1]
        ):
            batch.deferred.setdefault(until[0], []).extend(
                (subscription.pk, notification.pk)
                for subscription in subscriptions[notification.recipient_id]
            )
            continue
        payload = notification_payload(
            recipient_id=notification.recipient_id, frame=_frame(notification)
        )
        messages.extend(
            Message(
                target=_target(subscription),
                payload=payload,
                ttl=settings.RIPPLE_WEBPUSH_TTL_SECONDS,
                urgency="high" if notification.type in HIGH_URGENCY else "normal",
                topic=topic_for(notification.group_key) if notification.group_key else None,
                notification_id=notification.pk,
            )
            for subscription in subscriptions[notification.recipient_id]
        )
    return batch


def _quiet_ends(user_ids: set[int]) -> dict[int, tuple[float, bool]]:
    """Users in their quiet hours now: when the window ends (a UTC timestamp) and whether
    messages come through. One query."""
    now = timezone.now()
    ends = {}
    for preference in NotificationPreference.objects.filter(
        user_id__in=user_ids, quiet_start__isnull=False
    ):
        until = quiet_until(preference, now)
        if until is not None:
            ends[preference.user_id] = (until.timestamp(), preference.quiet_allow_messages)
    return ends


def _allowed(kind: str) -> Coalesce:
    switch = NotificationPreference.objects.filter(user_id=OuterRef("recipient_id"))
    return Coalesce(Subquery(switch.values(f"{kind}_push")[:1]), Value(PUSH_DEFAULTS[kind]))


def _frame(notification: Notification) -> dict[str, Any]:
    return notification_frame(
        notification_id=notification.pk,
        type=notification.type,
        actor=user_ref(notification.actor),
        created_at=notification.created_at,
        data=notification.data,
        group_key=notification.group_key,
        group_count=notification.group_count,
    )


def _target(subscription: PushSubscription) -> Target:
    return Target(
        subscription_id=subscription.pk,
        endpoint=subscription.endpoint,
        p256dh=subscription.p256dh,
        auth=subscription.auth,
    )


def messages_for_removal(removed: dict[int, list[int]]) -> list[Message]:
    """Pushes that close removed notifications on every browser of their recipients,
    connected or not (a phone may show one while a desktop tab is open). One query."""
    if not removed:
        return []
    return [
        Message(
            target=_target(subscription),
            payload=payload,
            ttl=settings.RIPPLE_WEBPUSH_TTL_SECONDS,
            urgency="normal",
        )
        for subscription in PushSubscription.objects.filter(user_id__in=removed)
        for payload in removal_payloads(ids=sorted(removed[subscription.user_id]))
    ]


def deliver(messages: Sequence[Message], keys: VapidKeys, *, attempt: int) -> Retry | None:
    """Send; delete the subscriptions a push service says are gone; return what to retry
    (None when nothing, or when the attempts are used up)."""
    results = send_all(messages, keys)
    _record(results)
    gone = {r.message.target.subscription_id for r in results if r.outcome is Outcome.GONE}
    if gone:
        PushSubscription.objects.filter(id__in=gone).delete()
    retry = [r for r in results if r.outcome is Outcome.RETRY]
    if not retry:
        return None
    if attempt >= settings.RIPPLE_WEBPUSH_MAX_ATTEMPTS:
        metrics.incr("webpush_given_up", len(retry))
        logger.warning("%d pushes given up after %d attempts", len(retry), attempt)
        return None
    # Removal pushes carry no notification id and are not retried: the notification they
    # would close is gone from the inbox either way.
    pairs = [
        (r.message.target.subscription_id, r.message.notification_id)
        for r in retry
        if r.message.notification_id is not None
    ]
    if not pairs:
        return None
    return pairs, attempt + 1, backoff_seconds(attempt + 1, (r.retry_after for r in retry))


def backoff_seconds(attempt: int, retry_after: Iterable[float | None] = ()) -> float:
    """Before attempt `attempt` (2, 3...): 2, 4, 8... s, or the longest Retry-After given,
    never over RIPPLE_WEBPUSH_BACKOFF_MAX_SECONDS."""
    delay = settings.RIPPLE_WEBPUSH_BACKOFF_SECONDS * 2 ** max(0, attempt - 2)
    asked = [value for value in retry_after if value is not None]
    if asked:
        delay = max(delay, *asked)
    return float(min(delay, settings.RIPPLE_WEBPUSH_BACKOFF_MAX_SECONDS))


def _record(results: Sequence[Result]) -> None:
    counts: dict[Outcome, int] = defaultdict(int)
    for result in results:
        counts[result.outcome] += 1
    for outcome, count in counts.items():
        metrics.incr(f"webpush_{outcome.value}", count)


def _offline(user_ids: set[int]) -> set[int]:
    """Those of these users with no open connection. If presence cannot be told (Redis
    down), everyone: the service worker still shows nothing while a tab is focused."""
    try:
        online = eventloop.run(online_users(user_ids), PRESENCE_TIMEOUT_SECONDS)
    except (PresenceUnavailable, TimeoutError) as error:
        logger.warning("presence unknown (%s): pushing to all %d", error, len(user_ids))
        return user_ids
    return user_ids - online
