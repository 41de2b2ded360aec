"""Retention: delete read notifications after N days and unread ones after M days, in batches.

A Done notification counts as read: it has left the inbox and its counts, like a read one
that nobody will look at again.

A notification's age is counted from `created_at`. Deletion walks the table in primary-key
order, a small batch at a time, each batch its own short statement: the inbox keeps
writing and reading while a large backlog is pruned, and no statement holds many row locks
for long.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from .models import Notification

DEFAULT_BATCH_SIZE = 1000


@dataclass(frozen=True)
class Cutoffs:
    """Notifications created before these instants are expired."""

    read_before: datetime
    unread_before: datetime

    @classmethod
    def from_days(
        cls, *, read_days: int, unread_days: int, now: datetime | None = None
    ) -> "Cutoffs":
        now = now or timezone.now()
        return cls(
            read_before=now - timedelta(days=read_days),
            unread_before=now - timedelta(days=unread_days),
        )

    def read_q(self) -> Q:
        handled = Q(read_at__isnull=False) | Q(done_at__isnull=False)
        return handled & Q(created_at__lt=self.read_before)

    def unread_q(self) -> Q:
        return Q(read_at__isnull=True, done_at__isnull=True, created_at__lt=self.unread_before)


@dataclass(frozen=True)
class PruneResult:
    read: int = 0
    unread: int = 0
    batches: int = 0

    @property
    def total(self) -> int:
        return self.read + self.unread


def notification_expired_counts(*, cutoffs: Cutoffs) -> PruneResult:
    """How many notifications are past retention now, read and unread (one query)."""
    counts = Notification.objects.aggregate(
        read=Count("id", filter=cutoffs.read_q()),
        unread=Count("id", filter=cutoffs.unread_q()),
    )
    return PruneResult(read=counts["read"], unread=counts["unread"])


def notifications_prune(
    *,
    cutoffs: Cutoffs,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: Callable[[PruneResult], None] | None = None,
) -> PruneResult:
    """Delete every expired notification, `batch_size` rows per DELETE; returns the counts.

    Each batch picks the next expired ids above the last one seen (an index range scan on
    the primary key, never rescanning what is already gone), then deletes those ids that
    are still expired: a row marked read or unread in between is judged by its new state.
    `on_batch` gets the running totals after each batch.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    result = PruneResult()
    last_id = 0
    while ids := _next_expired_ids(cutoffs=cutoffs, after_id=last_id, limit=batch_size):
        last_id = ids[-1]
        result = _delete_batch(ids=ids, cutoffs=cutoffs, so_far=result)
        if on_batch is not None:
            on_batch(result)
        if len(ids) < batch_size:
            break
    return result


def _next_expired_ids(*, cutoffs: Cutoffs, after_id: int, limit: int) -> list[int]:
    return list(
        Notification.objects.filter(cutoffs.read_q() | cutoffs.unread_q(), id__gt=after_id)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )


def _delete_batch(*, ids: list[int], cutoffs: Cutoffs, so_far: PruneResult) -> PruneResult:
    # Nothing references a notification, so each delete() is one DELETE ... WHERE id IN.
    batch = Notification.objects.filter(id__in=ids)
    read, _ = batch.filter(cutoffs.read_q()).delete()
    unread, _ = batch.filter(cutoffs.unread_q()).delete()
    return PruneResult(
        read=so_far.read + read, unread=so_far.unread + unread, batches=so_far.batches + 1
    )
