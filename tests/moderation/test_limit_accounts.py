"""Limiting an account from the admin: filtered requests, friends-only reach, the log."""

import pytest
from django.contrib.auth.models import Group

from apps.friends.models import FriendRequest
from apps.friends.services import friend_request_create
from apps.moderation.models import ModerationLog
from apps.moderation.services import REASON_REQUIRED
from apps.notifications.models import Notification
from apps.posts.services import post_create
from tests.factories import UserFactory, make_friends
from tests.moderation.test_admin_actions import run_action

pytestmark = pytest.mark.django_db

USERS = "/admin/accounts/user/"


@pytest.fixture(autouse=True)
def _no_push(pushes):
    """Pushes are captured, not sent."""


@pytest.fixture
def moderator():
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


def test_limit_action_files_pending_requests_as_filtered_and_is_logged(moderator, client_for):
    spammer, alice, bob = UserFactory(), UserFactory(), UserFactory()
    to_alice = friend_request_create(from_user=spammer, to_user=alice)
    to_bob = friend_request_create(from_user=spammer, to_user=bob)
    Notification.objects.filter(recipient=bob).update(read_at=to_bob.created_at)

    response = run_action(moderator, USERS, "limit_users", [spammer.id], "spam requests")

    assert "Limited 1 account(s)." in response.content.decode()
    spammer.refresh_from_db()
    assert spammer.is_limited
    assert spammer.limit_reason == "spam requests"
    deliveries = set(FriendRequest.objects.values_list("delivery", flat=True))
    assert deliveries == {FriendRequest.Delivery.FILTERED}
    alice_api = client_for(alice)
    filtered = alice_api.get("/api/friend-requests/", {"direction": "filtered"}).json()
    assert [r["id"] for r in filtered["results"]] == [to_alice.id]
    # The unread notification goes; bob's read one stays as history.
    assert not Notification.objects.filter(recipient=alice).exists()
    assert Notification.objects.filter(recipient=bob).count() == 1
    log = ModerationLog.objects.get()
    assert (log.moderator, log.action, log.object_ids, log.reason) == (
        moderator,
        "limit_users",
        [spammer.id],
        "spam requests",
    )
    assert log.details == {"requests_filtered": 2, "notifications_retracted": 1}


def test_limited_accounts_new_requests_are_filtered_and_its_posts_reach_friends_only(
    moderator, client_for
):
    limited, friend, stranger = UserFactory(), UserFactory(), UserFactory()
    make_friends(limited, friend)
    run_action(moderator, USERS, "limit_users", [limited.id])

    response = client_for(limited).post(
        "/api/friend-requests/", {"to_user": stranger.id}, format="json"
    )
    post_create(author=limited, content="hello", type="thoughts")

    assert response.status_code == 201
    assert FriendRequest.objects.get().delivery == FriendRequest.Delivery.FILTERED
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {friend.id}


def test_lift_limit_delivers_new_requests_again_and_is_logged(moderator):
    user, alice, bob = UserFactory(), UserFactory(), UserFactory()
    run_action(moderator, USERS, "limit_users", [user.id], "spam")
    user.refresh_from_db()
    while_limited = friend_request_create(from_user=user, to_user=alice)

    response = run_action(moderator, USERS, "lift_limit", [user.id], "appeal won")
    user.refresh_from_db()
    after = friend_request_create(from_user=user, to_user=bob)

    assert "Lifted 1 limit(s)." in response.content.decode()
    assert not user.is_limited
    while_limited.refresh_from_db()
    assert while_limited.delivery == FriendRequest.Delivery.FILTERED
    assert after.delivery == FriendRequest.Delivery.DELIVERED
    assert list(ModerationLog.objects.order_by("id").values_list("action", flat=True)) == [
        "limit_users",
        "lift_limit",
    ]


def test_limit_without_reason_changes_nothing(moderator):
    user = UserFactory()

    response = run_action(moderator, USERS, "limit_users", [user.id], reason=" ")

    assert REASON_REQUIRED in response.content.decode()
    user.refresh_from_db()
    assert not user.is_limited
    assert not ModerationLog.objects.exists()


def test_staff_without_the_limit_permission_cannot_limit():
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(
        *Group.objects.get(name="Moderators").permissions.filter(
            codename__in=["view_user", "suspend_user"]
        )
    )
    user = UserFactory()

    run_action(staff, USERS, "limit_users", [user.id])

    user.refresh_from_db()
    assert not user.is_limited
    assert not ModerationLog.objects.exists()


def test_moderator_cannot_limit_themselves(moderator):
    run_action(moderator, USERS, "limit_users", [moderator.id], "oops")

    moderator.refresh_from_db()
    assert not moderator.is_limited
    assert ModerationLog.objects.get().object_ids == []
