"""Who may send a friend request, the flood limits, and the filtered "Requests" section."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.friends.models import FriendPreference, FriendRequest, Friendship
from apps.friends.services import (
    ALREADY_PENDING,
    RECENTLY_DECLINED,
    TOO_MANY_PENDING,
    friend_preference_update,
    friend_request_create,
    friend_request_decline,
)
from apps.notifications.models import Notification
from tests.factories import FriendRequestFactory, UserFactory, make_friends

pytestmark = pytest.mark.django_db

REQUESTS_URL = "/api/friend-requests/"
PREFERENCES_URL = "/api/friend-preferences/"
Delivery = FriendRequest.Delivery
RequestsFrom = FriendPreference.RequestsFrom


def send(client_for, sender, to_user):
    return client_for(sender).post(REQUESTS_URL, {"to_user": to_user.id}, format="json")


def old_user(**kwargs):
    return UserFactory(date_joined=timezone.now() - timedelta(days=30), **kwargs)


# --- The policy ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "sender", "delivery"),
    [
        (RequestsFrom.ANYONE, "stranger", Delivery.DELIVERED),
        (RequestsFrom.FRIENDS_OF_FRIENDS, "stranger", Delivery.FILTERED),
        (RequestsFrom.FRIENDS_OF_FRIENDS, "friend_of_friend", Delivery.DELIVERED),
        (RequestsFrom.NOBODY, "stranger", Delivery.FILTERED),
        (RequestsFrom.NOBODY, "friend_of_friend", Delivery.FILTERED),
    ],
)
def test_request_policy_decides_delivery(
    client_for, pushes, django_capture_on_commit_callbacks, policy, sender, delivery
):
    alice, mutual = old_user(), old_user()
    senders = {"stranger": old_user(), "friend_of_friend": old_user()}
    make_friends(alice, mutual)
    make_friends(mutual, senders["friend_of_friend"])
    friend_preference_update(user=alice, requests_from=policy)

    with django_capture_on_commit_callbacks(execute=True):
        response = send(client_for, senders[sender], alice)

    assert response.status_code == 201
    request = FriendRequest.objects.get(pk=response.json()["id"])
    assert request.delivery == delivery
    notified = Notification.objects.filter(recipient=alice).exists()
    assert notified == (delivery == Delivery.DELIVERED)
    assert bool(pushes) == notified


def test_filtered_request_shows_only_in_the_requests_section_and_can_be_accepted(
    client_for, pushes, django_capture_on_commit_callbacks
):
    alice, bob = old_user(), old_user(username="bob")
    friend_preference_update(user=alice, requests_from=RequestsFrom.NOBODY)
    alice_api = client_for(alice)

    with django_capture_on_commit_callbacks(execute=True):
        sent = send(client_for, bob, alice).json()

    def listed(direction):
        query = {"direction": direction} if direction else {}
        return [r["id"] for r in alice_api.get(REQUESTS_URL, query).json()["results"]]

    assert listed("filtered") == [sent["id"]]
    assert listed("incoming") == listed(None) == []
    assert alice_api.get("/api/notifications/unread-count/").json() == {"count": 0}
    assert pushes == []
    # The sender sees an ordinary pending request.
    outgoing = client_for(bob).get(REQUESTS_URL, {"direction": "outgoing"}).json()["results"]
    assert outgoing == [sent]

    with django_capture_on_commit_callbacks(execute=True):
        accepted = alice_api.post(f"{REQUESTS_URL}{sent['id']}/accept/")

    assert accepted.status_code == 200
    assert Friendship.objects.filter(user=alice, friend=bob).exists()
    assert [(user_id, event["type"]) for user_id, event in pushes] == [
        (bob.id, "notification.created")
    ]
    assert listed("filtered") == []


def test_filtered_request_can_be_declined(client_for):
    alice, bob = old_user(), old_user()
    friend_preference_update(user=alice, requests_from=RequestsFrom.NOBODY)
    request = friend_request_create(from_user=bob, to_user=alice)

    response = client_for(alice).post(f"{REQUESTS_URL}{request.pk}/decline/")

    assert response.json()["status"] == "declined"


def test_friend_preferences_api_reads_default_then_updates(client_for, user):
    api = client_for(user)

    default = api.get(PREFERENCES_URL)
    patched = api.patch(PREFERENCES_URL, {"requests_from": "friends_of_friends"}, format="json")
    empty = api.patch(PREFERENCES_URL, {}, format="json")

    assert default.json() == {"requests_from": "anyone"}
    assert patched.json() == empty.json() == {"requests_from": "friends_of_friends"}
    assert FriendPreference.objects.get(user=user).requests_from == "friends_of_friends"


def test_friend_preferences_api_refuses_an_unknown_policy_naming_the_field(client_for, user):
    response = client_for(user).patch(PREFERENCES_URL, {"requests_from": "cats"}, format="json")

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"requests_from"}
    assert not FriendPreference.objects.exists()


# --- The flood limits ---------------------------------------------------------------------


def test_pending_requests_per_sender_are_capped_with_a_named_error(client_for, settings):
    settings.RIPPLE_FRIEND_REQUESTS_MAX_PENDING = 2
    sender = old_user()
    first, second, third = old_user(), old_user(), old_user()
    send(client_for, sender, first)
    send(client_for, sender, second)

    refused = send(client_for, sender, third)
    friend_request_decline(request_id=FriendRequest.objects.get(to_user=first).pk, user=first)
    after_an_answer = send(client_for, sender, third)

    assert refused.status_code == 400
    assert refused.json() == {
        "detail": TOO_MANY_PENDING.format(limit=2),
        "code": "too_many_pending",
    }
    assert after_an_answer.status_code == 201


def test_one_pending_request_per_pair_with_a_named_error(client_for):
    alice, bob = old_user(), old_user()
    send(client_for, alice, bob)

    again, reverse = send(client_for, alice, bob), send(client_for, bob, alice)

    for response in (again, reverse):
        assert response.status_code == 400
        assert response.json() == {
            "detail": ALREADY_PENDING,
            "code": "request_already_pending",
            "fields": {"to_user": [ALREADY_PENDING]},
        }


def test_declined_request_cannot_be_sent_again_for_30_days(client_for, clock):
    alice, bob = old_user(), old_user()
    request = friend_request_create(from_user=alice, to_user=bob)
    friend_request_decline(request_id=request.pk, user=bob)

    clock.advance(days=29)
    refused = send(client_for, alice, bob)
    the_other_way = send(client_for, bob, alice)
    clock.advance(days=1, seconds=1)
    later = send(client_for, alice, FriendRequest.objects.get(pk=request.pk).to_user)

    message = RECENTLY_DECLINED.format(days=30)
    assert refused.status_code == 400
    assert refused.json() == {
        "detail": message,
        "code": "request_declined_recently",
        "fields": {"to_user": [message]},
    }
    assert the_other_way.status_code == 201  # bob may still ask alice
    assert later.status_code == 400  # now only because bob's request is pending
    assert later.json()["code"] == "request_already_pending"


def test_declined_cooldown_ends_after_30_days(client_for, clock):
    alice, bob = old_user(), old_user()
    request = friend_request_create(from_user=alice, to_user=bob)
    friend_request_decline(request_id=request.pk, user=bob)

    clock.advance(days=30, seconds=1)
    response = send(client_for, alice, bob)

    assert response.status_code == 201


def test_requests_from_new_accounts_beyond_the_hourly_allowance_are_filtered(
    client_for, settings, clock
):
    settings.RIPPLE_NEW_ACCOUNT_REQUESTS_PER_HOUR = 2
    target = old_user()
    old_sender = old_user()
    new_senders = [UserFactory() for _ in range(4)]

    first = [send(client_for, sender, target) for sender in new_senders[:3]]
    from_an_old_account = send(client_for, old_sender, target)
    clock.advance(hours=1, seconds=1)
    next_hour = send(client_for, new_senders[3], target)

    deliveries = [
        FriendRequest.objects.get(pk=r.json()["id"]).delivery
        for r in [*first, from_an_old_account, next_hour]
    ]
    assert all(r.status_code == 201 for r in [*first, from_an_old_account, next_hour])
    assert deliveries == [
        Delivery.DELIVERED,
        Delivery.DELIVERED,
        Delivery.FILTERED,
        Delivery.DELIVERED,
        Delivery.DELIVERED,
    ]


def test_request_from_a_limited_account_is_filtered(client_for):
    alice, limited = old_user(), old_user(limited_at=timezone.now())

    response = send(client_for, limited, alice)

    assert response.status_code == 201
    assert FriendRequest.objects.get(pk=response.json()["id"]).delivery == Delivery.FILTERED
    assert not Notification.objects.filter(recipient=alice).exists()


def test_existing_pending_requests_count_toward_the_cap_whatever_their_delivery(
    client_for, settings
):
    settings.RIPPLE_FRIEND_REQUESTS_MAX_PENDING = 1
    sender, target = old_user(), old_user()
    FriendRequestFactory(from_user=sender, delivery=Delivery.HIDDEN)

    response = send(client_for, sender, target)

    assert response.json()["code"] == "too_many_pending"
