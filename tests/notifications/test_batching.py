"""Rapid posts by one author share a group per recipient window; `clock` moves time on."""

import pytest

from apps.notifications.models import Notification, NotificationPreference
from apps.notifications.services import notifications_create_for_post
from tests.factories import NotificationFactory, PostFactory, UserFactory, make_friends

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_push(pushes):
    """Pushes are captured, not sent."""


def post_by(author):
    notifications_create_for_post(post=PostFactory(author=author))


def groups_of(user) -> list[tuple[str, int]]:
    return [
        (n.group["key"], n.group["count"])
        for n in Notification.objects.filter(recipient=user).order_by("id")
    ]


def test_posts_within_the_window_share_a_group_and_count_up(clock):
    author, friend = UserFactory(), UserFactory()
    make_friends(author, friend)

    for _ in range(3):
        post_by(author)
        clock.advance(seconds=20)

    groups = groups_of(friend)
    assert len({key for key, _ in groups}) == 1
    assert [count for _, count in groups] == [1, 2, 3]


def test_post_after_the_window_starts_a_new_group(clock):
    author, friend = UserFactory(), UserFactory()
    make_friends(author, friend)

    post_by(author)
    clock.advance(seconds=59)
    post_by(author)
    clock.advance(seconds=2)  # 61 s after the group began
    post_by(author)

    (k1, c1), (k2, c2), (k3, c3) = groups_of(friend)
    assert k1 == k2 != k3
    assert (c1, c2, c3) == (1, 2, 1)


def test_windows_differ_per_recipient(clock):
    author, patient, hasty, unbatched = UserFactory(), UserFactory(), UserFactory(), UserFactory()
    for friend in (patient, hasty, unbatched):
        make_friends(author, friend)
    NotificationPreference.objects.create(user=patient, batch_window_seconds=600)
    NotificationPreference.objects.create(user=hasty, batch_window_seconds=10)
    NotificationPreference.objects.create(user=unbatched, batch_window_seconds=0)

    post_by(author)
    clock.advance(seconds=30)
    post_by(author)

    assert [count for _, count in groups_of(patient)] == [1, 2]
    assert [count for _, count in groups_of(hasty)] == [1, 1]
    assert len({key for key, _ in groups_of(hasty)}) == 2
    unbatched_rows = list(Notification.objects.filter(recipient=unbatched).order_by("id"))
    assert [n.group for n in unbatched_rows] == [
        {"key": f"n{n.id}", "count": 1} for n in unbatched_rows
    ]


def test_groups_are_per_author(clock):
    pablo, tito, friend = UserFactory(), UserFactory(), UserFactory()
    make_friends(pablo, friend)
    make_friends(tito, friend)

    post_by(pablo)
    post_by(tito)
    post_by(pablo)

    keys = [key for key, _ in groups_of(friend)]
    assert keys[0] == keys[2] != keys[1]


def test_other_notification_types_stand_alone():
    notification = NotificationFactory(type="friend_request")

    assert notification.group == {"key": f"n{notification.id}", "count": 1}


def test_a_post_after_the_friend_marked_the_batch_done_starts_a_new_group(clock):
    # Done took the batch off the inbox: the next post must not count it again.
    author, friend = UserFactory(), UserFactory()
    make_friends(author, friend)
    post_by(author)
    Notification.objects.filter(recipient=friend).update(done_at=clock.now())
    clock.advance(seconds=5)

    post_by(author)

    (first_key, _), (second_key, second_count) = groups_of(friend)
    assert second_key != first_key
    assert second_count == 1
