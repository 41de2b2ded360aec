"""Web Push end to end in one process: writers enqueue after commit, the (eager) tasks
select, encrypt and post to a local push service that verifies and decrypts every push."""

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.direct_messages.services import message_send
from apps.notifications.models import Notification, NotificationPreference, PushSubscription
from apps.notifications.realtime.events import user_group
from apps.notifications.services import notifications_retract_for_posts
from apps.notifications.webpush.delivery import messages_for_range
from apps.notifications.webpush.payload import topic_for
from apps.notifications.webpush.subscriptions import push_subscription_save
from apps.posts.models import Post
from apps.posts.services import post_create
from tests.factories import UserFactory, make_friends
from tests.notifications.webpush.pushservice import configured_keys

pytestmark = pytest.mark.django_db


def subscribe(service, user, name):
    keys = service.subscriber(name).subscription()
    push_subscription_save(user=user, endpoint=keys["endpoint"], **keys["keys"])


def online(user):
    layer = get_channel_layer()
    assert layer is not None
    async_to_sync(layer.group_add)(user_group(user.id), f"test.{user.id}")


def post_as(author, callbacks, content="hello"):
    with callbacks(execute=True):
        return post_create(author=author, content=content, type=Post.Type.THOUGHTS)


def test_a_post_reaches_each_browser_of_each_offline_friend_who_allows_it_once(
    push_service, django_capture_on_commit_callbacks, settings
):
    author = UserFactory(username="pablo")
    offline, connected, unwilling, unsubscribed = UserFactory.create_batch(4)
    for friend in (offline, connected, unwilling, unsubscribed):
        make_friends(author, friend)
    subscribe(push_service, offline, "offline-phone")
    subscribe(push_service, offline, "offline-laptop")
    subscribe(push_service, connected, "connected")
    subscribe(push_service, unwilling, "unwilling")
    online(connected)
    NotificationPreference.objects.create(user=unwilling, new_post_push=False)

    post = post_as(author, django_capture_on_commit_callbacks)

    assert push_service.refused == []
    assert sorted(a.name for a in push_service.arrivals) == ["offline-laptop", "offline-phone"]
    stored = Notification.objects.get(recipient=offline)
    for arrival in push_service.arrivals:
        frame = arrival.payload["notification"]
        assert arrival.payload["kind"] == "notification"
        assert arrival.payload["recipient_id"] == offline.id
        assert (frame["id"], frame["type"], frame["actor"]["username"]) == (
            stored.id,
            "new_post",
            "pablo",
        )
        assert frame["data"]["id"] == post.id
        assert frame["group"] == {"key": stored.group_key, "count": 1}
        assert arrival.headers["ttl"] == str(settings.RIPPLE_WEBPUSH_TTL_SECONDS)
        assert arrival.headers["topic"] == topic_for(stored.group_key or "")
        assert arrival.headers["urgency"] == "normal"
        assert arrival.public_key == configured_keys().public_key


def test_a_burst_of_posts_shares_one_topic_so_the_push_service_keeps_the_latest(
    push_service, django_capture_on_commit_callbacks
):
    author, friend = UserFactory.create_batch(2)
    make_friends(author, friend)
    subscribe(push_service, friend, "phone")

    post_as(author, django_capture_on_commit_callbacks)
    post_as(author, django_capture_on_commit_callbacks)

    first, second = push_service.delivered()
    assert first.headers["topic"] == second.headers["topic"]
    assert second.payload["notification"]["group"]["count"] == 2
    assert len(first.headers["topic"]) <= 32


def test_a_message_is_urgent(push_service, django_capture_on_commit_callbacks):
    sender, recipient = UserFactory.create_batch(2)
    make_friends(sender, recipient)
    subscribe(push_service, recipient, "phone")

    with django_capture_on_commit_callbacks(execute=True):
        message_send(sender=sender, recipient=recipient, text="are you there?")

    (arrival,) = push_service.delivered()
    assert arrival.headers["urgency"] == "high"
    assert arrival.payload["notification"]["type"] == "new_message"


def test_likes_are_not_pushed_by_default(push_service, django_capture_on_commit_callbacks):
    from apps.posts.services import post_like

    author, friend = UserFactory.create_batch(2)
    make_friends(author, friend)
    subscribe(push_service, author, "phone")
    post = post_as(author, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        post_like(post=post, user=friend)

    assert Notification.objects.filter(recipient=author, type="post_liked").exists()
    assert push_service.arrivals == []


def test_410_deletes_the_subscription_and_keeps_the_others(
    push_service, django_capture_on_commit_callbacks
):
    author, friend = UserFactory.create_batch(2)
    make_friends(author, friend)
    subscribe(push_service, friend, "gone")
    subscribe(push_service, friend, "kept")
    push_service.answer("gone", 410)

    post_as(author, django_capture_on_commit_callbacks)

    assert [a.name for a in push_service.delivered()] == ["kept"]
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [
        push_service.subscribers["kept"].endpoint
    ]


@pytest.mark.parametrize("status", [429, 500, 503])
def test_429_and_5xx_are_retried_until_they_succeed(
    push_service, django_capture_on_commit_callbacks, status
):
    author, friend = UserFactory.create_batch(2)
    make_friends(author, friend)
    subscribe(push_service, friend, "busy")
    push_service.answer("busy", status, status)

    post_as(author, django_capture_on_commit_callbacks)

    assert [a.status for a in push_service.arrivals] == [status, status, 201]
    ids = {a.payload["notification"]["id"] for a in push_service.arrivals}
    assert len(ids) == 1  # the same notification each time: the service worker shows it once
    assert PushSubscription.objects.count() == 1


def test_retries_stop_after_the_last_attempt(
    push_service, django_capture_on_commit_callbacks, settings
):
    settings.RIPPLE_WEBPUSH_MAX_ATTEMPTS = 3
    author, friend = UserFactory.create_batch(2)
    make_friends(author, friend)
    subscribe(push_service, friend, "down")
    push_service.answer("down", *[500] * 10)

    post_as(author, django_capture_on_commit_callbacks)

    assert [a.status for a in push_service.arrivals] == [500, 500, 500]


def test_a_retry_skips_what_was_read_meanwhile(push_service, django_capture_on_commit_callbacks):
    from apps.notifications.webpush.delivery import messages_for_pairs

    author, friend = UserFactory.create_batch(2)
    make_friends(author, friend)
    subscribe(push_service, friend, "phone")
    post_as(author, django_capture_on_commit_callbacks)
    notification = Notification.objects.get(recipient=friend)
    subscription = PushSubscription.objects.get()

    before = messages_for_pairs([(subscription.id, notification.id)])
    Notification.objects.filter(id=notification.id).update(read_at=notification.created_at)
    after = messages_for_pairs([(subscription.id, notification.id)])

    assert len(before.messages) == 1
    assert after.messages == []


def test_a_removal_closes_the_notification_on_every_browser(
    push_service, django_capture_on_commit_callbacks
):
    author, friend = UserFactory.create_batch(2)
    make_friends(author, friend)
    subscribe(push_service, friend, "phone")
    online(friend)  # a removal reaches browsers whatever the presence
    post = post_as(author, django_capture_on_commit_callbacks)
    notification_id = Notification.objects.get(recipient=friend).id

    with django_capture_on_commit_callbacks(execute=True):
        notifications_retract_for_posts(post_ids=[post.id])

    (arrival,) = push_service.delivered()
    assert arrival.payload == {"kind": "removed", "ids": [notification_id]}


def test_a_long_post_is_cut_to_fit_and_keeps_its_ids(
    push_service, django_capture_on_commit_callbacks
):
    author, friend = UserFactory.create_batch(2)
    make_friends(author, friend)
    subscribe(push_service, friend, "phone")

    post = post_as(author, django_capture_on_commit_callbacks, content="ü" * 4900)

    (arrival,) = push_service.delivered()
    frame = arrival.payload["notification"]
    assert frame["data"]["id"] == post.id
    assert frame["id"] == Notification.objects.get(recipient=friend).id
    assert frame["data"]["content"].endswith("…")
    assert frame["data"]["content"].startswith("ü" * 100)


def test_one_vapid_token_serves_many_pushes_to_one_push_service(
    push_service, django_capture_on_commit_callbacks
):
    author = UserFactory()
    friends = UserFactory.create_batch(3)
    for index, friend in enumerate(friends):
        make_friends(author, friend)
        subscribe(push_service, friend, f"browser{index}")

    post_as(author, django_capture_on_commit_callbacks)
    post_as(author, django_capture_on_commit_callbacks)

    assert len(push_service.delivered()) == 6
    assert len({a.headers["authorization"] for a in push_service.arrivals}) == 1


def test_selection_takes_the_same_queries_for_few_and_many_recipients(
    push_service, django_capture_on_commit_callbacks, django_assert_num_queries
):
    def fan_out(count):
        author = UserFactory()
        for index in range(count):
            friend = UserFactory()
            make_friends(author, friend)
            subscribe(push_service, friend, f"{author.id}-{index}")
        post = post_as(author, django_capture_on_commit_callbacks)
        ids = list(Notification.objects.filter(post=post).values_list("id", flat=True))
        return {
            "type": "new_post",
            "actor_id": author.id,
            "post_id": post.id,
            "first_id": min(ids),
            "last_id": max(ids),
        }

    few, many = fan_out(2), fan_out(25)
    with CaptureQueriesContext(connection) as small:
        assert len(messages_for_range(**few).messages) == 2

    with django_assert_num_queries(len(small.captured_queries)):
        assert len(messages_for_range(**many).messages) == 25


def test_a_large_fan_out_is_split_into_bounded_tasks(
    push_service, django_capture_on_commit_callbacks, settings, monkeypatch
):
    from apps.notifications.webpush import tasks

    settings.RIPPLE_WEBPUSH_CHUNK = 4
    author = UserFactory()
    for index in range(10):
        friend = UserFactory()
        make_friends(author, friend)
        subscribe(push_service, friend, f"b{index}")
    ranges = []
    from apps.notifications.webpush.delivery import messages_for_range as original

    def spy(**kwargs):
        ranges.append((kwargs["first_id"], kwargs["last_id"]))
        return original(**kwargs)

    monkeypatch.setattr(tasks, "messages_for_range", spy)

    post_as(author, django_capture_on_commit_callbacks)

    assert len(ranges) == 3
    assert all(last - first < 4 for first, last in ranges)
    assert len(push_service.delivered()) == 10
