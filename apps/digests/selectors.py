"""Reads for digests: a user's settings, and who is due a digest now (set-based)."""

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Max

from apps.accounts.models import User
from apps.notifications.models import InboxMarker, Notification, NotificationPreference

from .models import DEFAULT_HOUR, DEFAULT_TIME_ZONE, Digest, DigestSettings


def digest_settings_for(*, user_id: int) -> DigestSettings:
    """The user's digest settings, or an unsaved record of the defaults."""
    found = DigestSettings.objects.filter(user_id=user_id).first()
    return found or DigestSettings(user_id=user_id)


def digest_period(*, frequency: str, local: datetime) -> str:
    """The period a digest sent at local time `local` belongs to: its day or ISO week."""
    if frequency == DigestSettings.Frequency.WEEKLY:
        year, week, _ = local.isocalendar()
        return f"w{year}-W{week:02d}"
    return f"d{local.date().isoformat()}"


@dataclass
class _Slot:
    """The time zones that share a local hour and date at the instant of a run."""

    hour: int
    weekday: int
    daily: str
    weekly: str
    zones: list[str] = field(default_factory=list)


def _slots(now: datetime, zones: Iterable[str]) -> list[_Slot]:
    slots: dict[tuple[int, str], _Slot] = {}
    for name in zones:
        local = now.astimezone(zoneinfo.ZoneInfo(name))
        daily = digest_period(frequency=DigestSettings.Frequency.DAILY, local=local)
        weekly = digest_period(frequency=DigestSettings.Frequency.WEEKLY, local=local)
        slot = slots.setdefault(
            (local.hour, daily), _Slot(local.hour, local.weekday(), daily, weekly)
        )
        slot.zones.append(name)
    return list(slots.values())


def _email_type_sql() -> str:
    """The types whose `email` switch is on, a missing preference row meaning the defaults."""
    clauses = []
    for kind in Notification.Type.values:
        default = NotificationPreference().switch(kind, "email")
        clauses.append(
            f"(n.type = '{kind}' AND COALESCE(p.{kind}_email, {'TRUE' if default else 'FALSE'}))"
        )
    return " OR ".join(clauses)


def _due_sql(slots: list[_Slot]) -> tuple[str, list[str | int]]:
    sent = f"SELECT 1 FROM {Digest._meta.db_table} d WHERE d.user_id = u.id AND d.period = %s"
    clauses: list[str] = []
    params: list[str | int] = []
    for slot in slots:
        zones = ", ".join(["%s"] * len(slot.zones))
        clauses.append(
            f"(COALESCE(s.time_zone, %s) IN ({zones}) AND COALESCE(s.hour, %s) = %s "
            f"AND ((COALESCE(s.frequency, 'daily') = 'daily' AND NOT EXISTS ({sent})) "
            f"OR (s.frequency = 'weekly' AND s.weekday = %s AND NOT EXISTS ({sent}))))"
        )
        params += [DEFAULT_TIME_ZONE, *slot.zones, DEFAULT_HOUR, slot.hour]
        params += [slot.daily, slot.weekday, slot.weekly]
    return " OR ".join(clauses), params


@dataclass(frozen=True)
class DueUser:
    user_id: int
    period: str


def digest_due_users(*, now: datetime) -> list[DueUser]:
    """Everyone due a digest at `now`, in two queries whatever their number.

    Due: an email address, an active account, the digest's local hour (and weekday) in
    their time zone, no digest yet for this period, nothing seen for the quiet period, and
    a notification the email digest may tell (unread, not done, unseen, newer than the last
    digest, older than the quiet period, of a type with the email switch on). Presence is
    checked when sending, where it is freshest.
    """
    zones = set(DigestSettings.objects.values_list("time_zone", flat=True).distinct().order_by())
    slots = _slots(now, zones | {DEFAULT_TIME_ZONE})
    periods = {
        (zone, frequency): period
        for slot in slots
        for zone in slot.zones
        for frequency, period in (("daily", slot.daily), ("weekly", slot.weekly))
    }
    due, due_params = _due_sql(slots)
    cutoff = now - timedelta(seconds=settings.RIPPLE_DIGEST_QUIET_SECONDS)
    sql = (
        "SELECT u.id, COALESCE(s.time_zone, %s), COALESCE(s.frequency, 'daily') "
        f"FROM {User._meta.db_table} u "
        f"LEFT JOIN {DigestSettings._meta.db_table} s ON s.user_id = u.id "
        f"LEFT JOIN {NotificationPreference._meta.db_table} p ON p.user_id = u.id "
        f"LEFT JOIN {InboxMarker._meta.db_table} m ON m.user_id = u.id "
        "WHERE u.email <> '' AND u.is_active AND u.suspended_at IS NULL "
        "AND (m.user_id IS NULL OR m.updated_at <= %s) "
        f"AND ({due}) "
        f"AND EXISTS (SELECT 1 FROM {Notification._meta.db_table} n "
        "WHERE n.recipient_id = u.id AND n.read_at IS NULL AND n.done_at IS NULL "
        "AND n.id > COALESCE(m.last_seen_id, 0) AND n.created_at <= %s "
        f"AND n.id > COALESCE((SELECT MAX(d.through_id) FROM {Digest._meta.db_table} d "
        "WHERE d.user_id = u.id), 0) "
        f"AND ({_email_type_sql()})) "
        "ORDER BY u.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [DEFAULT_TIME_ZONE, cutoff, *due_params, cutoff])
        rows = cursor.fetchall()
    return [DueUser(user_id, periods[(zone, frequency)]) for user_id, zone, frequency in rows]


def digest_last_through_ids(*, user_ids: Iterable[int]) -> dict[int, int]:
    """The newest notification id each user's last digest covered (users with none omitted)."""
    rows = (
        Digest.objects.filter(user_id__in=list(user_ids))
        .values("user_id")
        .annotate(through=Max("through_id"))
        .order_by()
    )
    return {row["user_id"]: row["through"] for row in rows}
