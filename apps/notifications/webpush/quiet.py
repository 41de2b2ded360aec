"""Quiet hours: whether a recipient's daily window is open now, and until when."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..models import NotificationPreference


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def quiet_until(preference: NotificationPreference, now: datetime) -> datetime | None:
    """The end (UTC) of the quiet window `now` falls in, or None outside it.

    The window is [start, end) in the user's time zone, and crosses midnight when end is
    before start (22:00 to 07:00); start equal to end is no window at all.
    """
    start, end = preference.quiet_start, preference.quiet_end
    if start is None or end is None or start == end:
        return None
    tz = zone(preference.time_zone)
    local = now.astimezone(tz)
    moment = local.time().replace(tzinfo=None)
    crosses_midnight = end < start
    inside = (moment >= start or moment < end) if crosses_midnight else start <= moment < end
    if not inside:
        return None
    day = local.date() if moment < end else local.date() + timedelta(days=1)
    return datetime.combine(day, time(end.hour, end.minute), tzinfo=tz).astimezone(UTC)
