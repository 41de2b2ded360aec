"""Friend request and friendship services."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.common.exceptions import ApplicationError, NotFoundError
from apps.friends import services
from apps.friends.models import FriendRequest, Friendship
from apps.friends.services import (
    ALREADY_FRIENDS,
    ALREADY_PENDING,
    NOT_FRIENDS,
    REQUEST_NOT_FOUND,
    REQUEST_TO_SELF,
    friend_request_accept,
    friend_request_create,
    friend_request_decline,
    friendship_delete,
)
from apps.notifications.models import Notification
from apps.notifications.realtime.events import notification_removed, unread_count
from apps.notifications.services import notification_mark_read, preference_update
from apps.posts.services import post_create
from tests.factories import FriendRequestFactory, NotificationFactory, UserFactory, make_friends

pytestmark = pytest.mark.django_db


def _edges() -> set[tuple[int, int]]:
    return set(Friendship.objects.values_list("user_id", "friend_id"))


def test_friend_request_create_valid_pair_returns_pending_request():
    alice, bob = UserFactory(), UserFactory()

    request = friend_request_create(from_user=alice, to_user=bob)

    assert (request.from_user, request.to_user) == (alice, bob)
    assert request.status == FriendRequest.Status.PENDING


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("self", REQUEST_TO_SELF),
        ("friend", ALREADY_FRIENDS),
        ("pending", ALREADY_PENDING),
        ("pending-reversed", ALREADY_PENDING),
    ],
)
def test_friend_request_create_invalid_target_raises_on_to_user(case, message):
    alice, bob = UserFactory(), UserFactory()
    target = alice if case == "self" else bob
    if case == "friend":
        make_friends(alice, bob)
    elif case == "pending":
        FriendRequestFactory(from_user=alice, to_user=bob)
    elif case == "pending-reversed":
        FriendRequestFactory(from_user=bob, to_user=alice)

    with pytest.raises(ApplicationError) as excinfo:
        friend_request_create(from_user=alice, to_user=target)

    assert (excinfo.value.message, excinfo.value.field) == (message, "to_user")


def test_friend_request_accept_writes_both_friendship_rows():
    request = FriendRequestFactory()

    accepted = friend_request_accept(request_id=request.pk, user=request.to_user)

    assert accepted.status == FriendRequest.Status.ACCEPTED
    assert accepted.responded_at is not None
    a, b = request.from_user_id, request.to_user_id
    assert _edges() == {(a, b), (b, a)}


def test_friend_request_accept_failure_after_rows_rolls_everything_back(monkeypatch):
    request = FriendRequestFactory()

    def fail(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "notification_create", fail)

    with pytest.raises(RuntimeError):
        friend_request_accept(request_id=request.pk, user=request.to_user)

    request.refresh_from_db()
    assert request.status == FriendRequest.Status.PENDING
    assert _edges() == set()


@pytest.mark.parametrize("actor", ["sender", "stranger"])
def test_friend_request_accept_by_non_addressee_raises_not_found(actor):
    request = FriendRequestFactory()
    user = request.from_user if actor == "sender" else UserFactory()

    with pytest.raises(NotFoundError, match=REQUEST_NOT_FOUND):
        friend_request_accept(request_id=request.pk, user=user)

    assert _edges() == set()


def test_friend_request_accept_already_answered_raises_not_found():
    request = FriendRequestFactory(status=FriendRequest.Status.DECLINED)

    with pytest.raises(NotFoundError, match=REQUEST_NOT_FOUND):
        friend_request_accept(request_id=request.pk, user=request.to_user)


def test_friend_request_decline_marks_declined_without_friendship():
    request = FriendRequestFactory()

    declined = friend_request_decline(request_id=request.pk, user=request.to_user)

    assert declined.status == FriendRequest.Status.DECLINED
    assert declined.responded_at is not None
    assert _edges() == set()


def test_friendship_delete_removes_both_rows_and_keeps_other_friendships():
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory()
    make_friends(alice, bob)
    make_friends(alice, carol)

    friendship_delete(user=alice, friend_id=bob.pk)

    assert _edges() == {(alice.pk, carol.pk), (carol.pk, alice.pk)}


def test_friendship_delete_not_friends_raises_not_found():
    alice, bob = UserFactory(), UserFactory()

    with pytest.raises(NotFoundError, match=NOT_FRIENDS):
        friendship_delete(user=alice, friend_id=bob.pk)


def _pushed_by_user(batches: list[list]) -> dict[int, list[dict]]:
    events: dict[int, list[dict]] = {}
    for batch in batches:
        for user_id, event in batch:
            events.setdefault(user_id, []).append(event)
    return events


def test_friendship_delete_retracts_each_sides_post_notifications_of_the_other(
    pushes, django_capture_on_commit_callbacks
):
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory()
    for a, b in [(alice, bob), (alice, carol), (bob, carol)]:
        make_friends(a, b)
    preference_update(user=alice, changes={"batch_window_seconds": 0})
    preference_update(user=bob, changes={"batch_window_seconds": 0})
    bobs_post = post_create(author=bob, content="bob's", type="thoughts")
    alices_post = post_create(author=alice, content="alice's", type="thoughts")
    post_create(author=carol, content="carol's", type="thoughts")
    to_alice = Notification.objects.get(recipient=alice, post=bobs_post)
    to_bob = Notification.objects.get(recipient=bob, post=alices_post)
    notification_mark_read(user=bob, notification_id=to_bob.pk)
    request = friend_request_create(from_user=UserFactory(), to_user=alice)
    untouched = set(
        Notification.objects.exclude(pk__in=[to_alice.pk, to_bob.pk]).values_list("pk", flat=True)
    )
    assert len(untouched) == 5  # carol's post to both, both posts to carol, the request

    with django_capture_on_commit_callbacks(execute=True):
        friendship_delete(user=alice, friend_id=bob.pk)

    assert set(Notification.objects.values_list("pk", flat=True)) == untouched
    assert Notification.objects.filter(recipient=alice, data__request_id=request.pk).exists()
    assert _pushed_by_user(pushes.batches) == {
        # Alice's count goes from 3 to 2 (carol's post, the request); bob's read one changes
        # no count.
        alice.pk: [notification_removed(ids=[to_alice.pk]), unread_count(count=2)],
        bob.pk: [notification_removed(ids=[to_bob.pk])],
    }


def test_friendship_delete_kept_notifications_when_not_friends(
    pushes, django_capture_on_commit_callbacks
):
    alice, bob = UserFactory(), UserFactory()
    NotificationFactory(recipient=alice, actor=bob)

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(NotFoundError):
        friendship_delete(user=alice, friend_id=bob.pk)

    assert Notification.objects.count() == 1
    assert pushes == []


@pytest.mark.parametrize("by", ["alice", "bob"])
def test_friendship_delete_runs_a_constant_number_of_queries(
    pushes, django_capture_on_commit_callbacks, by
):
    def unfriend_queries(posts: int) -> list[str]:
        alice, bob = UserFactory(), UserFactory()
        make_friends(alice, bob)
        for _ in range(posts):
            NotificationFactory(recipient=alice, actor=bob, type=Notification.Type.NEW_POST)
            NotificationFactory(recipient=bob, actor=alice, type=Notification.Type.NEW_POST)
        user, other = (alice, bob) if by == "alice" else (bob, alice)
        # The on-commit work (the unread counts) runs inside the count.
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks(execute=True),
        ):
            friendship_delete(user=user, friend_id=other.pk)
        assert not Notification.objects.filter(recipient__in=[alice, bob]).exists()
        return [query["sql"] for query in queries]

    few, many = unfriend_queries(1), unfriend_queries(40)

    assert len(few) == len(many)
    table = Notification._meta.db_table
    # One for the posts each side was notified of, one for replies and mentions about them.
    assert len([sql for sql in many if sql.startswith(f"DELETE FROM {table}")]) == 2
