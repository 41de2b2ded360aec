"""A block racing a request, an acceptance, a message or a post: nothing between the two
survives it.

`block_create` first locks the blocked user's row, which their request takes too, then
settles the pair's pending requests first (waiting for an acceptance that
holds one), then deletes the friendship rows (waiting for a message that holds one, and
for a fan-out), then retracts; each later statement sees what the one it waited for
wrote. A message holds its friendship row FOR KEY SHARE, which stops a block's DELETE but
not a fan-out's batching UPDATE, so a message and a post of the same user never deadlock.

Real PostgreSQL transactions in threads, each held open at the interesting point.
"""

import threading

import pytest
from django.db import transaction

from apps.common.exceptions import NotFoundError
from apps.direct_messages.services import message_send
from apps.friends.models import Friendship
from apps.friends.services import block_create, friend_request_accept, friend_request_create
from apps.notifications.models import Notification
from apps.notifications.services import notification_create
from apps.posts.services import post_create
from tests.factories import UserFactory, make_friends
from tests.security.test_unfriend_race import WAIT, start, wait_until_blocked_on_a_lock

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def between(a, b) -> list[str]:
    return list(
        Notification.objects.filter(recipient__in=[a, b], actor__in=[a, b]).values_list(
            "type", flat=True
        )
    )


def friends(a, b) -> bool:
    return Friendship.objects.filter(user__in=[a, b], friend__in=[a, b]).exists()


def test_block_reaching_a_message_in_flight_waits_for_it_then_retracts_it():
    alice, bob = UserFactory(), UserFactory()
    make_friends(alice, bob)
    sent, release = threading.Event(), threading.Event()

    def message_and_hold() -> None:
        with transaction.atomic():
            message_send(sender=bob, recipient=alice, text="just before")
            sent.set()
            assert release.wait(WAIT)

    messaging = start(message_and_hold)
    assert sent.wait(WAIT)
    blocking = start(lambda: block_create(blocker=alice, blocked=bob))
    wait_until_blocked_on_a_lock(blocking)
    release.set()
    messaging.outcome()
    blocking.outcome()

    assert between(alice, bob) == []
    assert not friends(alice, bob)


def test_block_reaching_an_acceptance_in_flight_waits_then_ends_the_new_friendship():
    alice, bob = UserFactory(), UserFactory()
    request = friend_request_create(from_user=bob, to_user=alice)
    accepted, release = threading.Event(), threading.Event()

    def accept_and_hold() -> None:
        with transaction.atomic():
            friend_request_accept(request_id=request.pk, user=alice)
            accepted.set()
            assert release.wait(WAIT)

    accepting = start(accept_and_hold)
    assert accepted.wait(WAIT)
    blocking = start(lambda: block_create(blocker=bob, blocked=alice))
    wait_until_blocked_on_a_lock(blocking)
    release.set()
    accepting.outcome()
    blocking.outcome()

    assert not friends(alice, bob)
    assert between(alice, bob) == []


def test_acceptance_reaching_a_block_in_flight_waits_then_finds_no_request():
    alice, bob = UserFactory(), UserFactory()
    request = friend_request_create(from_user=bob, to_user=alice)
    blocked, release = threading.Event(), threading.Event()

    def block_and_hold() -> None:
        with transaction.atomic():
            block_create(blocker=bob, blocked=alice)
            blocked.set()
            assert release.wait(WAIT)

    blocking = start(block_and_hold)
    assert blocked.wait(WAIT)
    accepting = start(lambda: friend_request_accept(request_id=request.pk, user=alice))
    wait_until_blocked_on_a_lock(accepting)
    release.set()
    blocking.outcome()

    with pytest.raises(NotFoundError):
        accepting.outcome()
    assert not friends(alice, bob)
    assert between(alice, bob) == []


def test_message_holding_its_friendship_does_not_deadlock_a_post_of_the_sender(monkeypatch):
    """The message holds its friendship row, then waits for the notification-id lock that
    the post's fan-out holds while it updates that same row: with a stronger row lock the
    two would wait on each other."""
    alice, bob = UserFactory(), UserFactory()
    make_friends(alice, bob)
    held, go = threading.Event(), threading.Event()

    def gated(**kwargs):
        held.set()
        assert go.wait(WAIT)
        return notification_create(**kwargs)

    monkeypatch.setattr("apps.direct_messages.services.notification_create", gated)
    messaging = start(lambda: message_send(sender=bob, recipient=alice, text="hi"))
    assert held.wait(WAIT)
    posting = start(lambda: post_create(author=bob, content="post", type="thoughts"))
    post = posting.outcome()  # the fan-out's UPDATE did not wait for the message
    go.set()
    messaging.outcome()

    assert sorted(between(alice, bob)) == ["new_message", "new_post"]
    assert Notification.objects.filter(post=post, recipient=alice).exists()


def test_block_reaching_a_request_of_the_blocked_user_in_flight_hides_it():
    alice, bob = UserFactory(), UserFactory()
    sent, release = threading.Event(), threading.Event()

    def request_and_hold():
        with transaction.atomic():
            request = friend_request_create(from_user=bob, to_user=alice)
            sent.set()
            assert release.wait(WAIT)
        return request

    requesting = start(request_and_hold)
    assert sent.wait(WAIT)
    blocking = start(lambda: block_create(blocker=alice, blocked=bob))
    wait_until_blocked_on_a_lock(blocking)
    release.set()
    request = requesting.outcome()
    blocking.outcome()

    request.refresh_from_db()
    assert (request.status, request.delivery) == ("pending", "hidden")
    assert between(alice, bob) == []


def test_request_reaching_a_block_in_flight_waits_then_is_hidden():
    alice, bob = UserFactory(), UserFactory()
    blocked, release = threading.Event(), threading.Event()

    def block_and_hold() -> None:
        with transaction.atomic():
            block_create(blocker=alice, blocked=bob)
            blocked.set()
            assert release.wait(WAIT)

    blocking = start(block_and_hold)
    assert blocked.wait(WAIT)
    requesting = start(lambda: friend_request_create(from_user=bob, to_user=alice))
    wait_until_blocked_on_a_lock(requesting)
    release.set()
    blocking.outcome()
    request = requesting.outcome()

    assert (request.status, request.delivery) == ("pending", "hidden")
    assert between(alice, bob) == []
