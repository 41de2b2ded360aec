"""Digest settings per user, and one record per digest sent (the exactly-once guard)."""

import zoneinfo
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

DEFAULT_HOUR = 18
DEFAULT_TIME_ZONE = "UTC"
UNKNOWN_TIME_ZONE = "Unknown time zone; use an IANA name such as Europe/Madrid."


@cache
def time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(name: str) -> None:
    # Membership rather than ZoneInfo(name): the constructor also opens arbitrary tzdata
    # resource paths, and only real zone names should reach the scheduler.
    if name not in time_zone_names():
        raise ValidationError(UNKNOWN_TIME_ZONE, code="invalid_time_zone")


class DigestSettings(models.Model):
    """When a user gets the email digest; a missing row means every default below."""

    class Frequency(models.TextChoices):
        OFF = "off", "Off"
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="digest_settings",
    )
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.DAILY)
    # The local hour (0-23) the digest is sent at, in `time_zone`.
    hour = models.PositiveSmallIntegerField(
        default=DEFAULT_HOUR, validators=[MaxValueValidator(23)]
    )
    # The weekly digest's day: 0 is Monday, 6 Sunday (datetime.weekday()).
    weekday = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(6)])
    time_zone = models.CharField(
        max_length=64, default=DEFAULT_TIME_ZONE, validators=[validate_time_zone]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "digest settings"
        constraints = [
            models.CheckConstraint(condition=Q(hour__lte=23), name="digest_hour_in_day"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="digest_weekday_in_week"),
        ]

    def __str__(self) -> str:
        return f"Digest settings of {self.user_id}"


class Digest(models.Model):
    """One digest for one user and period (`d2026-12-05`, `w2026-W49`).

    Inserted before the email is sent, in the transaction that sends it: the unique
    constraint makes a retry, a second scheduler or a restart find the row and send nothing.
    `through_id` is the newest notification it covered; the next digest starts after it.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=16)
    through_id = models.BigIntegerField(default=0)
    entry_count = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "period"], name="digest_once_per_period"),
        ]
        indexes = [
            # The selection's "newer than the last digest": an index-only MAX per user.
            models.Index(fields=["user", "through_id"], name="digest_user_through"),
        ]

    def __str__(self) -> str:
        return f"Digest {self.period} for {self.user_id}"
