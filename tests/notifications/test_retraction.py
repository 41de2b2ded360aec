"""Retraction: the rows go in one statement, then each recipient hears what went and
their new unread count. Runs on SQLite and on PostgreSQL (DATABASE_URL), which differ in
what `DELETE … RETURNING` gives back."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from apps.notifications.models import Notification
from apps.notifications.realtime.consumer import NotificationConsumer
from apps.notifications.realtime.events import Event, Push, notification_removed, unread_count
from apps.notifications.services import (
    notifications_retract_between,
    notifications_retract_for_posts,
    notifications_retract_unread_from,
)
from tests.conftest import with_user
from tests.factories import NotificationFactory, PostFactory, UserFactory


def by_user(batches: list[list[Push]]) -> dict[int, list[Event]]:
    events: dict[int, list[Event]] = {}
    for batch in batches:
        for user_id, event in batch:
            events.setdefault(user_id, []).append(event)
    return events


@pytest.mark.django_db
def test_retracting_a_post_pushes_removed_ids_and_the_new_unread_count(
    pushes, django_capture_on_commit_callbacks
):
    tito, ana = UserFactory(), UserFactory()
    post = PostFactory()
    unread = NotificationFactory(recipient=tito, post=post)
    NotificationFactory(recipient=tito)  # another unread one, which stays
    read = NotificationFactory(recipient=ana, post=post, read=True)

    with django_capture_on_commit_callbacks(execute=True):
        removed = notifications_retract_for_posts(post_ids=[post.id])
        assert pushes == []

    assert removed == 2
    assert by_user(pushes.batches) == {
        tito.id: [notification_removed(ids=[unread.id]), unread_count(count=1)],
        # Ana lost a read notification only: her count did not change, so no count push.
        ana.id: [notification_removed(ids=[read.id])],
    }


@pytest.mark.django_db
def test_retracting_an_actors_unread_notifications_pushes_the_count_that_remains(
    pushes, django_capture_on_commit_callbacks
):
    spammer, tito = UserFactory(), UserFactory()
    gone = NotificationFactory.create_batch(2, recipient=tito, actor=spammer)
    kept = NotificationFactory(recipient=tito, actor=spammer, read=True)

    with django_capture_on_commit_callbacks(execute=True):
        notifications_retract_unread_from(actor_ids=[spammer.id])

    assert list(Notification.objects.values_list("id", flat=True)) == [kept.id]
    assert by_user(pushes.batches) == {
        tito.id: [notification_removed(ids=[n.id for n in gone]), unread_count(count=0)]
    }


@pytest.mark.django_db
def test_retracting_between_two_users_takes_the_given_types_both_ways_and_nothing_else(
    pushes, django_capture_on_commit_callbacks
):
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory()
    new_post = Notification.Type.NEW_POST
    bobs_post_to_alice = NotificationFactory(recipient=alice, actor=bob, type=new_post)
    alices_post_to_bob = NotificationFactory(recipient=bob, actor=alice, type=new_post, read=True)
    kept = [
        NotificationFactory(recipient=alice, actor=bob, type=Notification.Type.FRIEND_REQUEST),
        NotificationFactory(recipient=alice, actor=carol, type=new_post),
        NotificationFactory(recipient=carol, actor=bob, type=new_post),
        NotificationFactory(recipient=carol, actor=alice, type=new_post),
        NotificationFactory(recipient=bob, actor=carol, type=new_post),
    ]

    with django_capture_on_commit_callbacks(execute=True):
        removed = notifications_retract_between(user_id=alice.id, other_id=bob.id, types=[new_post])

    assert removed == 2
    assert set(Notification.objects.values_list("id", flat=True)) == {n.id for n in kept}
    assert by_user(pushes.batches) == {
        alice.id: [notification_removed(ids=[bobs_post_to_alice.id]), unread_count(count=2)],
        bob.id: [notification_removed(ids=[alices_post_to_bob.id])],
    }


@pytest.mark.django_db
def test_retracting_between_with_no_types_does_nothing(pushes, django_capture_on_commit_callbacks):
    alice, bob = UserFactory(), UserFactory()
    NotificationFactory(recipient=alice, actor=bob)

    with django_capture_on_commit_callbacks(execute=True):
        removed = notifications_retract_between(user_id=alice.id, other_id=bob.id, types=[])

    assert removed == 0
    assert Notification.objects.count() == 1
    assert pushes == []


@pytest.mark.django_db(transaction=True)
async def test_an_open_socket_hears_the_retraction_and_its_new_unread_count():
    tito = await database_sync_to_async(UserFactory)()
    post = await database_sync_to_async(PostFactory)()
    gone = await database_sync_to_async(NotificationFactory)(recipient=tito, post=post)
    await database_sync_to_async(NotificationFactory)(recipient=tito)
    socket = WebsocketCommunicator(
        with_user(NotificationConsumer.as_asgi(), tito), "/ws/notifications/"
    )
    connected, _ = await socket.connect()
    assert connected

    await database_sync_to_async(notifications_retract_for_posts)(post_ids=[post.id])

    assert await socket.receive_json_from() == {
        "type": "notification_removed",
        "data": {"ids": [gone.id]},
    }
    assert await socket.receive_json_from() == {"type": "unread_count", "data": {"count": 1}}
    assert await socket.receive_nothing()
    await socket.disconnect()
