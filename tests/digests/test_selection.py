"""Who is due a digest: set-based, time zones, the quiet period, what was already told."""

from datetime import UTC, datetime, timedelta

import factory
import pytest
import time_machine
from django.utils import timezone

from apps.digests.models import Digest, DigestSettings
from apps.digests.services import digests_due
from apps.notifications.models import InboxMarker, Notification, NotificationPreference
from tests.factories import NotificationFactory, UserFactory

from .conftest import pending

pytestmark = pytest.mark.django_db


def due_ids(now: datetime | None = None) -> set[int]:
    return {uid for batch in digests_due(now) for uid in batch.user_ids}


def test_default_is_daily_at_six_pm_utc(at_six_pm):
    user = UserFactory()
    pending(user)

    assert due_ids() == {user.pk}
    assert due_ids(at_six_pm + timedelta(hours=1)) == set()
    assert due_ids(at_six_pm - timedelta(hours=1)) == set()


def test_the_periods_are_the_local_day_and_iso_week(at_six_pm):
    daily, weekly = UserFactory(), UserFactory()
    DigestSettings.objects.create(user=weekly, frequency="weekly", weekday=at_six_pm.weekday())
    pending(daily)
    pending(weekly)

    batches = {batch.period: batch.user_ids for batch in digests_due()}

    assert batches == {"d2026-03-10": [daily.pk], "w2026-W11": [weekly.pk]}


def test_weekly_only_on_its_weekday(at_six_pm):
    user = UserFactory()
    DigestSettings.objects.create(user=user, frequency="weekly", weekday=at_six_pm.weekday() + 1)
    pending(user, hours=30)

    assert due_ids() == set()
    assert due_ids(at_six_pm + timedelta(days=1)) == {user.pk}


@pytest.mark.parametrize(
    ("zone", "hour", "utc", "period"),
    [
        # 23:00 in Los Angeles is 07:00 UTC the next day: the period is the local day.
        ("America/Los_Angeles", 23, datetime(2026, 3, 11, 6, 0, tzinfo=UTC), "d2026-03-10"),
        # 00:00 in Tokyo is 15:00 UTC the day before: the period is already the next day.
        ("Asia/Tokyo", 0, datetime(2026, 3, 10, 15, 0, tzinfo=UTC), "d2026-03-11"),
        # Half-hour offsets are due in the run after their hour starts.
        ("Asia/Kolkata", 7, datetime(2026, 3, 10, 2, 0, tzinfo=UTC), "d2026-03-10"),
    ],
)
def test_local_hour_on_both_sides_of_midnight(zone, hour, utc, period):
    with time_machine.travel(utc - timedelta(hours=6), tick=False):
        user = UserFactory()
        DigestSettings.objects.create(user=user, hour=hour, time_zone=zone)
        pending(user, hours=0)
    with time_machine.travel(utc, tick=False):
        assert [(b.period, b.user_ids) for b in digests_due()] == [(period, [user.pk])]
        assert due_ids(utc - timedelta(hours=1)) == set()
        assert due_ids(utc + timedelta(hours=1)) == set()


def test_who_is_left_out(at_six_pm):
    due = UserFactory()
    pending(due)
    pending(UserFactory(email=""))
    pending(UserFactory(is_active=False))
    pending(UserFactory(suspended_at=timezone.now()))
    pending(UserFactory(), read_at=timezone.now())
    pending(UserFactory(), done_at=timezone.now())
    pending(UserFactory(), hours=3)  # newer than the quiet period
    off = UserFactory()
    DigestSettings.objects.create(user=off, frequency="off")
    pending(off)
    liked = UserFactory()
    pending(liked, type=Notification.Type.POST_LIKED)  # email is off for likes by default
    muted = UserFactory()
    NotificationPreference.objects.create(user=muted, new_post_email=False)
    pending(muted)
    looked = UserFactory()
    InboxMarker.objects.create(user=looked, last_seen_id=0)  # seen just now
    pending(looked)
    saw = UserFactory()
    seen = pending(saw)
    with time_machine.travel(at_six_pm - timedelta(hours=5), tick=False):
        InboxMarker.objects.create(user=saw, last_seen_id=seen.pk)
    told = UserFactory()
    told_about = pending(told)
    Digest.objects.create(user=told, period="d2026-03-09", through_id=told_about.pk)
    already = UserFactory()
    pending(already)
    Digest.objects.create(user=already, period="d2026-03-10", through_id=0)

    assert due_ids() == {due.pk}


def test_likes_count_once_the_user_turns_their_email_on(at_six_pm):
    user = UserFactory()
    NotificationPreference.objects.create(user=user, post_liked_email=True)
    pending(user, type=Notification.Type.POST_LIKED)

    assert due_ids() == {user.pk}


def test_batches_are_lists_of_the_configured_size(at_six_pm, settings):
    settings.RIPPLE_DIGEST_BATCH_SIZE = 3
    users = UserFactory.create_batch(7)
    for user in users:
        pending(user)

    batches = digests_due()

    assert [len(batch.user_ids) for batch in batches] == [3, 3, 1]
    assert sorted(uid for batch in batches for uid in batch.user_ids) == [u.pk for u in users]


def _users_with_pending(count: int) -> None:
    zones = ["UTC", "Europe/Madrid", "Asia/Tokyo", "America/New_York"]
    users = UserFactory.create_batch(count)
    DigestSettings.objects.bulk_create(
        DigestSettings(user=user, time_zone=zones[i % len(zones)], hour=(18 + i) % 24)
        for i, user in enumerate(users)
    )
    created = timezone.now() - timedelta(hours=5)
    NotificationFactory.create_batch(count, created_at=created, recipient=factory.Iterator(users))


@pytest.mark.parametrize("count", [4, 40])
def test_selection_reads_in_a_constant_number_of_queries(
    at_six_pm, count, django_assert_num_queries
):
    _users_with_pending(count)

    with django_assert_num_queries(2):
        batches = digests_due()

    assert batches
