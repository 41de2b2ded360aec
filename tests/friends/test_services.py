"""Friend request and friendship services."""

import pytest

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
from tests.factories import FriendRequestFactory, UserFactory, make_friends

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
