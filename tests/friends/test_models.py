"""Database constraints on friend requests and friendship edges."""

import pytest
from django.db import IntegrityError

from apps.friends.models import FriendRequest
from tests.factories import FriendRequestFactory, FriendshipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_friend_request_to_self_violates_constraint(user):
    with pytest.raises(IntegrityError):
        FriendRequestFactory(from_user=user, to_user=user)


@pytest.mark.parametrize("reverse", [False, True], ids=["same-direction", "reversed"])
def test_friend_request_second_pending_for_pair_violates_constraint(reverse):
    first = FriendRequestFactory()
    from_user, to_user = first.from_user, first.to_user
    if reverse:
        from_user, to_user = to_user, from_user

    with pytest.raises(IntegrityError):
        FriendRequestFactory(from_user=from_user, to_user=to_user)


def test_friend_request_answered_request_allows_a_new_pending_one():
    first = FriendRequestFactory(status=FriendRequest.Status.DECLINED)

    again = FriendRequestFactory(from_user=first.from_user, to_user=first.to_user)

    assert again.status == FriendRequest.Status.PENDING


def test_friendship_duplicate_edge_violates_constraint():
    edge = FriendshipFactory()

    with pytest.raises(IntegrityError):
        FriendshipFactory(user=edge.user, friend=edge.friend)


def test_friendship_edge_to_self_violates_constraint():
    user = UserFactory()

    with pytest.raises(IntegrityError):
        FriendshipFactory(user=user, friend=user)
