"""Preferences and mutes, applied inside the set-based fan-out."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.notifications.models import MutedUser, Notification, NotificationPreference
from apps.notifications.services import notification_create, notifications_create_for_post
from tests.factories import PostFactory, UserFactory, make_friends

pytestmark = pytest.mark.django_db


def author_with(*friends):
    author = UserFactory()
    for friend in friends:
        make_friends(author, friend)
    return author


def fan_out(post, capture):
    with capture(execute=True):
        return notifications_create_for_post(post=post)


def pushed_to(pushes) -> set[int]:
    return {user_id for user_id, _ in pushes}


def test_inbox_off_stores_and_pushes_nothing(pushes, django_capture_on_commit_callbacks):
    quiet, normal = UserFactory(), UserFactory()
    NotificationPreference.objects.create(user=quiet, new_post_inbox=False)
    post = PostFactory(author=author_with(quiet, normal))

    fan_out(post, django_capture_on_commit_callbacks)

    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {normal.id}
    assert pushed_to(pushes) == {normal.id}


def test_realtime_off_stores_but_does_not_push(pushes, django_capture_on_commit_callbacks):
    offline, normal = UserFactory(), UserFactory()
    NotificationPreference.objects.create(user=offline, new_post_realtime=False)
    post = PostFactory(author=author_with(offline, normal))

    fan_out(post, django_capture_on_commit_callbacks)

    rows = {n.recipient_id: n.pushed for n in Notification.objects.all()}
    assert rows == {offline.id: False, normal.id: True}
    assert pushed_to(pushes) == {normal.id}


def test_muted_author_creates_nothing_for_the_muter_and_keeps_the_friendship(
    pushes, django_capture_on_commit_callbacks
):
    muter, other = UserFactory(), UserFactory()
    author = author_with(muter, other)
    MutedUser.objects.create(user=muter, muted=author)

    fan_out(PostFactory(author=author), django_capture_on_commit_callbacks)

    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {other.id}
    assert author.friendships.filter(friend=muter).exists()


@pytest.mark.parametrize(("post_type", "notified"), [("milestone", False), ("thoughts", True)])
def test_muted_post_type_is_skipped_other_types_are_not(
    pushes, django_capture_on_commit_callbacks, post_type, notified
):
    friend = UserFactory()
    NotificationPreference.objects.create(user=friend, muted_post_types=["milestone"])
    post = PostFactory(author=author_with(friend), type=post_type)

    fan_out(post, django_capture_on_commit_callbacks)

    assert Notification.objects.filter(recipient=friend).exists() is notified


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("friend_request", {"request_id": 1}),
        ("friend_accepted", {"user": {"id": 1}}),
        ("new_message", {"message_id": 1}),
    ],
)
def test_single_notification_respects_inbox_and_realtime_switches(
    pushes, django_capture_on_commit_callbacks, kind, data
):
    actor, no_inbox, no_push = UserFactory(), UserFactory(), UserFactory()
    NotificationPreference.objects.create(user=no_inbox, **{f"{kind}_inbox": False})
    NotificationPreference.objects.create(user=no_push, **{f"{kind}_realtime": False})

    with django_capture_on_commit_callbacks(execute=True):
        skipped = notification_create(recipient_id=no_inbox.id, actor=actor, type=kind, data=data)
        stored = notification_create(recipient_id=no_push.id, actor=actor, type=kind, data=data)

    assert skipped is None
    assert stored is not None
    assert stored.pushed is False
    assert pushes == []


def test_fan_out_query_count_is_constant_with_every_preference_in_play(
    pushes, django_capture_on_commit_callbacks
):
    def author_with_varied_friends(count):
        friends = UserFactory.create_batch(count)
        author = author_with(*friends)
        for index, friend in enumerate(friends):
            if index % 5 == 0:
                NotificationPreference.objects.create(user=friend, new_post_inbox=False)
            elif index % 5 == 1:
                NotificationPreference.objects.create(user=friend, new_post_realtime=False)
            elif index % 5 == 2:
                NotificationPreference.objects.create(
                    user=friend, muted_post_types=["thoughts"], batch_window_seconds=0
                )
            elif index % 5 == 3:
                MutedUser.objects.create(user=friend, muted=author)
        return author

    counts = []
    for size in (5, 60):
        post = PostFactory(author=author_with_varied_friends(size))
        with CaptureQueriesContext(connection) as queries:
            stored = fan_out(post, django_capture_on_commit_callbacks)
        counts.append(len(queries.captured_queries))
        assert stored == size // 5 * 2  # realtime-off rows and untouched friends

    assert counts[0] == counts[1]
