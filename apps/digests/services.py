"""Digest rounds: who is due (in batches), and sending each batch exactly once per period.

A round is two calls, shaped for a Celery beat task and a Celery task: `digests_due(now)`
returns batches of user ids and `digest_send_batch(user_ids, period)` sends one batch.
`digests_send_round` runs both in-process (`manage.py send_digests`, for a cron line).
"""

import logging
import zoneinfo
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection as db
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.notifications.models import InboxMarker, NotificationPreference
from apps.notifications.selectors import preference_email_types
from apps.notifications.services import users_online

from .emails import DigestContent, digest_content, digest_message
from .models import Digest, DigestSettings
from .selectors import digest_due_users, digest_last_through_ids, digest_period

logger = logging.getLogger(__name__)


class DigestBatch(NamedTuple):
    """One unit of work: users due the digest of `period` (a list, so it serialises)."""

    period: str
    user_ids: list[int]


def digests_due(now: datetime | None = None) -> list[DigestBatch]:
    """The batches of a round at `now`: a constant number of queries, however many users."""
    due = digest_due_users(now=now or timezone.now())
    by_period: dict[str, list[int]] = {}
    for user in due:
        by_period.setdefault(user.period, []).append(user.user_id)
    size = max(1, settings.RIPPLE_DIGEST_BATCH_SIZE)
    return [
        DigestBatch(period, ids[start : start + size])
        for period, ids in sorted(by_period.items())
        for start in range(0, len(ids), size)
    ]


def digest_send_batch(user_ids: list[int], period: str, now: datetime | None = None) -> int:
    """Send the digest of `period` to those of `user_ids` still due it; how many were sent.

    Everything is read again here, so a batch that waited (or is retried) leaves out who
    turned the digest off, came back, or is online, and each digest says what is true now.
    Safe to run twice, concurrently or not: see `_send_one`.
    """
    now = now or timezone.now()
    quiet_start = now - timedelta(seconds=settings.RIPPLE_DIGEST_QUIET_SECONDS)
    users = list(
        User.objects.filter(pk__in=user_ids, is_active=True, suspended_at__isnull=True)
        .exclude(email="")
        .order_by("pk")
    )
    ids = [user.pk for user in users]
    chosen = {s.user_id: s for s in DigestSettings.objects.filter(user_id__in=ids)}
    preferences = {p.user_id: p for p in NotificationPreference.objects.filter(user_id__in=ids)}
    markers = {m.user_id: m for m in InboxMarker.objects.filter(user_id__in=ids)}
    through = digest_last_through_ids(user_ids=ids)
    # Unknown presence (Redis down) does not hold the digests back: the quiet period
    # already says the user saw nothing for hours.
    online = users_online(user_ids=ids) or set()
    jobs: list[tuple[User, dict[str, Any]]] = []
    for user in users:
        marker = markers.get(user.pk)
        if user.pk in online or (marker is not None and marker.updated_at > quiet_start):
            continue
        if not _is_due(chosen.get(user.pk) or DigestSettings(), period, now):
            continue
        preference = preferences.get(user.pk) or NotificationPreference(user_id=user.pk)
        job = {
            "after_id": max(marker.last_seen_id if marker else 0, through.get(user.pk, 0)),
            "created_before": quiet_start,
            "types": preference_email_types(preference=preference),
        }
        jobs.append((user, job))
    if not jobs:
        return 0
    # One SMTP connection for the batch, opened only when there is something to send.
    with get_connection() as connection:
        return sum(
            _send_one(user=user, period=period, job=job, connection=connection)
            for user, job in jobs
        )


def _is_due(chosen: DigestSettings, period: str, now: datetime) -> bool:
    """Still on, and `period` is still this user's current one (not a stale batch)."""
    if chosen.frequency == DigestSettings.Frequency.OFF:
        return False
    local = now.astimezone(zoneinfo.ZoneInfo(chosen.time_zone))
    return digest_period(frequency=chosen.frequency, local=local) == period


def _send_one(
    *, user: User, period: str, job: dict[str, Any], connection: BaseEmailBackend
) -> bool:
    """Compose from a fresh read, then claim (user, period) and send in one transaction.

    The claim's unique constraint is the guard: a second sender's insert waits for this
    transaction and then conflicts, so it sends nothing; if sending fails, the claim rolls
    back with it and a retry may send. The one gap left is a crash between the SMTP
    server's acceptance and the commit, which would send again on the retry.
    """
    content = digest_content(user_id=user.pk, limit=settings.RIPPLE_DIGEST_MAX_ENTRIES, **job)
    if content is None:
        return False
    with transaction.atomic():
        if not _claim(user_id=user.pk, period=period, content=content):
            return False
        digest_message(user=user, content=content, connection=connection).send()
    return True


def _claim(*, user_id: int, period: str, content: DigestContent) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING: one statement, and whether this sender won."""
    sql = (
        f"INSERT INTO {Digest._meta.db_table} "
        "(user_id, period, through_id, entry_count, sent_at) VALUES (%s, %s, %s, %s, %s) "
        "ON CONFLICT (user_id, period) DO NOTHING RETURNING id"
    )
    params: list[int | str | datetime] = [
        user_id,
        period,
        content.through_id,
        content.total,
        timezone.now(),
    ]
    # The claim commits durably (no synchronous_commit = off): a claim the database forgot
    # in a crash would send that digest a second time.
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


def digests_send_round(now: datetime | None = None) -> tuple[int, int]:
    """A whole round in this process: (batches, emails sent)."""
    now = now or timezone.now()
    batches = digests_due(now)
    sent = sum(digest_send_batch(batch.user_ids, batch.period, now) for batch in batches)
    logger.info("digest round: %d batches, %d sent", len(batches), sent)
    return len(batches), sent


@transaction.atomic
def digest_settings_update(*, user: User, changes: dict[str, Any]) -> DigestSettings:
    """Apply validated changes (frequency, hour, weekday, time_zone); creates the row."""
    chosen, _ = DigestSettings.objects.select_for_update().get_or_create(user=user)
    for name, value in changes.items():
        setattr(chosen, name, value)
    chosen.full_clean()
    chosen.save()
    return chosen


@transaction.atomic
def digest_unsubscribe(*, user_id: int) -> None:
    """Turn the digest off (the one-click link); a deleted user's link does nothing."""
    if not User.objects.filter(pk=user_id).exists():
        return
    chosen, _ = DigestSettings.objects.select_for_update().get_or_create(user_id=user_id)
    chosen.frequency = DigestSettings.Frequency.OFF
    chosen.save(update_fields=["frequency", "updated_at"])
