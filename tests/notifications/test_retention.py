"""Retention: `notifications_prune` and `manage.py prune_notifications`."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.notifications.models import Notification
from apps.notifications.retention import (
    Cutoffs,
    notification_expired_counts,
    notifications_prune,
)
from apps.notifications.services import notification_mark_read
from tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db


def _aged(days: float, *, read: bool, **kwargs) -> Notification:
    created = timezone.now() - timedelta(days=days)
    return NotificationFactory(
        created_at=created, read_at=created + timedelta(minutes=1) if read else None, **kwargs
    )


def _cutoffs(read_days: int = 30, unread_days: int = 180) -> Cutoffs:
    return Cutoffs.from_days(read_days=read_days, unread_days=unread_days)


def _remaining_ids() -> set[int]:
    return set(Notification.objects.values_list("id", flat=True))


def test_prune_deletes_read_notifications_older_than_read_days_and_keeps_newer_ones():
    old_read = _aged(31, read=True)
    recent_read = _aged(29, read=True)

    result = notifications_prune(cutoffs=_cutoffs())

    assert _remaining_ids() == {recent_read.id}
    assert (result.read, result.unread) == (1, 0)
    assert not Notification.objects.filter(id=old_read.id).exists()


def test_prune_treats_done_notifications_as_read_whether_read_or_not():
    done_unread = _aged(31, read=False, done_at=timezone.now() - timedelta(days=30))
    recent_done = _aged(29, read=False, done_at=timezone.now())
    still_unread = _aged(31, read=False)

    result = notifications_prune(cutoffs=_cutoffs())

    assert _remaining_ids() == {recent_done.id, still_unread.id}
    assert (result.read, result.unread) == (1, 0)
    assert not Notification.objects.filter(id=done_unread.id).exists()


def test_prune_keeps_unread_notifications_until_unread_days():
    unread_past_read_limit = _aged(100, read=False)
    old_unread = _aged(181, read=False)

    result = notifications_prune(cutoffs=_cutoffs())

    assert _remaining_ids() == {unread_past_read_limit.id}
    assert (result.read, result.unread) == (0, 1)
    assert not Notification.objects.filter(id=old_unread.id).exists()


def test_prune_never_touches_unexpired_notifications():
    kept = [
        _aged(0, read=False),
        _aged(29.9, read=True),
        _aged(179.9, read=False),
        _aged(1, read=True),
    ]
    before = {n.id: (n.read_at, n.data) for n in Notification.objects.all()}
    _aged(400, read=True)
    _aged(400, read=False)

    notifications_prune(cutoffs=_cutoffs(), batch_size=1)

    after = {n.id: (n.read_at, n.data) for n in Notification.objects.all()}
    assert after == before
    assert set(after) == {n.id for n in kept}


def test_prune_deletes_in_batches_no_larger_than_batch_size():
    for index in range(5):
        _aged(200 + index, read=index % 2 == 0)
    kept = _aged(1, read=False)

    result = notifications_prune(cutoffs=_cutoffs(), batch_size=2)

    assert (result.total, result.batches) == (5, 3)
    assert (result.read, result.unread) == (3, 2)
    assert _remaining_ids() == {kept.id}


def test_prune_each_delete_statement_names_at_most_batch_size_ids():
    rows = [_aged(365, read=False) for _ in range(7)]

    with CaptureQueriesContext(connection) as queries:
        notifications_prune(cutoffs=_cutoffs(), batch_size=3)

    id_lists = [
        q["sql"].split(" IN (", 1)[1].split(")", 1)[0]
        for q in queries.captured_queries
        if q["sql"].startswith("DELETE") and " IN (" in q["sql"]
    ]
    # Three batches (3 + 3 + 1 ids), each one DELETE for read rows and one for unread.
    assert [len(ids.split(",")) for ids in id_lists] == [3, 3, 3, 3, 1, 1]
    assert Notification.objects.filter(id__in=[row.id for row in rows]).count() == 0


def test_prune_reports_running_totals_after_each_batch():
    for _ in range(5):
        _aged(365, read=True)
    seen = []

    notifications_prune(cutoffs=_cutoffs(), batch_size=2, on_batch=lambda r: seen.append(r.total))

    assert seen == [2, 4, 5]


def test_a_notification_read_now_is_pruned_once_read_days_have_passed(clock):
    # Every clock involved moves together: the row's default created_at, the read service's
    # read_at and the command's cutoffs all read timezone.now().
    notification = NotificationFactory()
    notification_mark_read(user=notification.recipient, notification_id=notification.id)
    clock.advance(days=29)
    assert _command()[0].startswith("Deleted 0 notifications")

    clock.advance(days=2)
    out, _ = _command()

    assert "Deleted 1 notifications (1 read, 0 unread)" in out
    assert _remaining_ids() == set()


def test_prune_judges_each_row_by_its_state_at_delete_time():
    # Read 40 days ago, but marked unread again before the batch ran: now an unread row
    # younger than the unread limit, so it stays.
    row = _aged(40, read=True)
    Notification.objects.filter(id=row.id).update(read_at=None)

    result = notifications_prune(cutoffs=_cutoffs())

    assert result.total == 0
    assert _remaining_ids() == {row.id}


def test_prune_rejects_a_batch_size_below_one():
    with pytest.raises(ValueError, match="batch_size"):
        notifications_prune(cutoffs=_cutoffs(), batch_size=0)


def test_expired_counts_split_read_and_unread():
    _aged(31, read=True)
    _aged(31, read=False)
    _aged(181, read=False)

    counts = notification_expired_counts(cutoffs=_cutoffs())

    assert (counts.read, counts.unread) == (1, 1)


def _command(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("prune_notifications", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_dry_run_counts_without_deleting():
    _aged(31, read=True)
    _aged(200, read=False)
    _aged(1, read=False)

    out, _ = _command("--dry-run")

    assert "Would delete 2 notifications (1 read, 1 unread)" in out
    assert Notification.objects.count() == 3


def test_command_deletes_with_the_retention_settings_by_default(settings):
    settings.RIPPLE_RETENTION_READ_DAYS = 5
    settings.RIPPLE_RETENTION_UNREAD_DAYS = 10
    _aged(6, read=True)
    _aged(11, read=False)
    kept = _aged(9, read=False)

    out, _ = _command()

    assert "Deleted 2 notifications (1 read, 1 unread)" in out
    assert _remaining_ids() == {kept.id}


def test_command_days_and_batch_size_options_override_the_settings():
    _aged(3, read=True)
    _aged(3, read=False)
    _aged(3, read=False)

    out, _ = _command("--read-days", "2", "--unread-days", "2", "--batch-size", "1")

    assert "Deleted 3 notifications (1 read, 2 unread) in 3 batches." in out
    assert Notification.objects.count() == 0


def test_command_draws_a_progress_bar_on_stderr_when_asked():
    for _ in range(4):
        _aged(365, read=False)

    out, err = _command("--batch-size", "2", "--progress")

    assert "\r[" in err
    assert "4/4 (100%)" in err
    assert err.endswith("\n")
    assert "[" not in out


def test_command_without_a_terminal_draws_no_progress_bar():
    _aged(365, read=False)

    _, err = _command()

    assert err == ""


def test_command_rejects_a_batch_size_below_one():
    with pytest.raises(CommandError, match="batch-size"):
        _command("--batch-size", "0")
