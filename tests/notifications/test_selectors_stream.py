"""Where a replay starts: the rows after a client's id, or the newest id, in one statement."""

import pytest
from django.utils import timezone

from apps.accounts.models import User
from apps.notifications.selectors import notification_stream_from
from apps.notifications.serializers import frame_for
from tests.factories import NotificationFactory, UserFactory
from tests.plans import rows_read_without_nested_loops, statements_of

pytestmark = pytest.mark.django_db


def test_rows_after_the_id_come_in_order_with_no_newest_id(django_assert_num_queries):
    alice = UserFactory()
    seen, *missed = NotificationFactory.create_batch(3, recipient=alice)
    NotificationFactory(recipient=UserFactory())

    with django_assert_num_queries(1):
        newest, rows = notification_stream_from(user_id=alice.id, after_id=seen.id, limit=10)

    assert newest is None
    assert rows == [(n.id, frame_for(n)) for n in missed]


def test_rows_are_limited_to_a_chunk():
    alice = UserFactory()
    seen, *missed = NotificationFactory.create_batch(4, recipient=alice)

    newest, rows = notification_stream_from(user_id=alice.id, after_id=seen.id, limit=2)

    assert (newest, [i for i, _ in rows]) == (None, [n.id for n in missed[:2]])


def test_nothing_newer_gives_the_newest_id(django_assert_num_queries):
    alice = UserFactory()
    newest = NotificationFactory.create_batch(2, recipient=alice)[-1]

    with django_assert_num_queries(1):
        up_to_date = notification_stream_from(user_id=alice.id, after_id=newest.id, limit=10)
    ahead = notification_stream_from(user_id=alice.id, after_id=newest.id + 100, limit=10)

    assert up_to_date == (newest.id, [])
    assert ahead == (newest.id, [])


def test_a_user_without_notifications_has_newest_id_zero():
    assert notification_stream_from(user_id=UserFactory().id, after_id=5, limit=10) == (0, [])


def test_frames_are_those_of_stored_rows_read_grouped_or_not_pushed():
    alice = UserFactory()
    seen = NotificationFactory(recipient=alice)
    read = NotificationFactory(recipient=alice, read=True, data={"text": "é", "n": [1, 2]})
    grouped = NotificationFactory(recipient=alice, group_key="p1-7", group_count=3)
    silent = NotificationFactory(recipient=alice, pushed=False)
    read.refresh_from_db()

    _, rows = notification_stream_from(user_id=alice.id, after_id=seen.id, limit=10)

    assert rows == [(read.id, frame_for(read)), (grouped.id, frame_for(grouped)), (silent.id, None)]


def test_a_done_row_is_replayed_as_a_gap_as_the_catch_up_api_leaves_it_out():
    alice = UserFactory()
    seen = NotificationFactory(recipient=alice)
    done = NotificationFactory(recipient=alice, done_at=timezone.now())
    kept = NotificationFactory(recipient=alice)

    _, rows = notification_stream_from(user_id=alice.id, after_id=seen.id, limit=10)

    assert rows == [(done.id, None), (kept.id, frame_for(kept))]


@pytest.mark.services
def test_a_replay_reads_one_user_row_per_notification_whatever_join_the_planner_prefers():
    UserFactory.create_batch(30)
    alice = UserFactory()
    seen, *missed = NotificationFactory.create_batch(3, recipient=alice)
    [replay] = statements_of(
        lambda: notification_stream_from(user_id=alice.id, after_id=seen.id, limit=500)
    )

    assert rows_read_without_nested_loops(replay, User._meta.db_table) == len(missed)
