"""Friend request, friend list and unfriend endpoints."""

import pytest

from apps.accounts.serializers import UNKNOWN_USER
from apps.friends.models import FriendRequest, Friendship
from apps.friends.services import (
    ALREADY_FRIENDS,
    ALREADY_PENDING,
    NOT_FRIENDS,
    REQUEST_NOT_FOUND,
    REQUEST_TO_SELF,
)
from tests.factories import FriendRequestFactory, UserFactory, make_friends

pytestmark = pytest.mark.django_db

REQUESTS_URL = "/api/friend-requests/"
FRIENDS_URL = "/api/friends/"


def _ref(user) -> dict:
    return {"id": user.id, "username": user.username}


def test_friend_request_create_returns_201_with_request(client_for):
    alice, bob = UserFactory(), UserFactory()

    response = client_for(alice).post(REQUESTS_URL, {"to_user": bob.id}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "from_user", "to_user", "status", "created_at"}
    assert body["from_user"] == _ref(alice)
    assert body["to_user"] == _ref(bob)
    assert body["status"] == "pending"
    assert FriendRequest.objects.filter(pk=body["id"]).exists()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("self", REQUEST_TO_SELF),
        ("friend", ALREADY_FRIENDS),
        ("unknown", UNKNOWN_USER),
        ("pending", ALREADY_PENDING),
        ("pending-reversed", ALREADY_PENDING),
    ],
)
def test_friend_request_create_invalid_target_returns_400_naming_to_user(client_for, case, message):
    alice, bob = UserFactory(), UserFactory()
    target_id = {"self": alice.id, "unknown": bob.id + 1000}.get(case, bob.id)
    if case == "friend":
        make_friends(alice, bob)
    elif case == "pending":
        FriendRequestFactory(from_user=alice, to_user=bob)
    elif case == "pending-reversed":
        FriendRequestFactory(from_user=bob, to_user=alice)

    response = client_for(alice).post(REQUESTS_URL, {"to_user": target_id}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {"to_user": [message]}
    assert FriendRequest.objects.count() == (1 if case.startswith("pending") else 0)


@pytest.mark.parametrize(
    ("direction", "expected"),
    [("incoming", {"incoming"}), ("outgoing", {"outgoing"}), (None, {"incoming", "outgoing"})],
)
def test_friend_request_list_direction_selects_pending_requests(
    client_for, user, direction, expected
):
    requests = {
        "incoming": FriendRequestFactory(to_user=user),
        "outgoing": FriendRequestFactory(from_user=user),
    }
    FriendRequestFactory(to_user=user, status=FriendRequest.Status.DECLINED)
    FriendRequestFactory()  # between two other users
    params = {"direction": direction} if direction else {}

    response = client_for(user).get(REQUESTS_URL, params)

    assert response.status_code == 200
    assert {item["id"] for item in response.json()["results"]} == {
        requests[name].id for name in expected
    }


def test_friend_request_list_bad_direction_returns_400_naming_direction(client_for, user):
    response = client_for(user).get(REQUESTS_URL, {"direction": "sideways"})

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"direction"}


def test_friend_request_accept_by_addressee_returns_accepted_and_makes_friends(client_for):
    request = FriendRequestFactory()

    response = client_for(request.to_user).post(f"{REQUESTS_URL}{request.id}/accept/")

    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    assert Friendship.objects.filter(user=request.from_user, friend=request.to_user).exists()
    assert Friendship.objects.filter(user=request.to_user, friend=request.from_user).exists()


def test_friend_request_decline_by_addressee_returns_declined_without_friendship(client_for):
    request = FriendRequestFactory()

    response = client_for(request.to_user).post(f"{REQUESTS_URL}{request.id}/decline/")

    assert response.status_code == 200
    assert response.json()["status"] == "declined"
    assert not Friendship.objects.exists()


@pytest.mark.parametrize("action", ["accept", "decline"])
@pytest.mark.parametrize("actor", ["sender", "stranger"])
def test_friend_request_answer_by_non_addressee_returns_404(client_for, action, actor):
    request = FriendRequestFactory()
    user = request.from_user if actor == "sender" else UserFactory()

    response = client_for(user).post(f"{REQUESTS_URL}{request.id}/{action}/")

    assert response.status_code == 404
    assert response.json() == {"detail": REQUEST_NOT_FOUND, "code": "not_found"}
    request.refresh_from_db()
    assert request.status == FriendRequest.Status.PENDING


def test_friend_list_returns_only_friends_as_user_refs(client_for, friends):
    alice, bob = friends
    carol = UserFactory()
    make_friends(bob, carol)

    response = client_for(alice).get(FRIENDS_URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    assert body["results"] == [_ref(bob)]


def test_friend_list_pages_cover_every_friend_once(client_for, user):
    others = UserFactory.create_batch(5)
    for other in others:
        make_friends(user, other)
    client = client_for(user)

    seen, url = [], f"{FRIENDS_URL}?page_size=2"
    while url:
        body = client.get(url).json()
        assert len(body["results"]) <= 2
        seen += [item["id"] for item in body["results"]]
        url = body["next"]

    assert sorted(seen) == sorted(other.id for other in others)
    assert len(seen) == len(others)


def test_friend_delete_friend_returns_204_and_removes_both_rows(client_for, friends):
    alice, bob = friends

    response = client_for(alice).delete(f"{FRIENDS_URL}{bob.id}/")

    assert response.status_code == 204
    assert not Friendship.objects.exists()


def test_friend_delete_takes_each_sides_posts_out_of_the_others_inbox(client_for, friends):
    alice, bob = friends
    alice_api, bob_api = client_for(alice), client_for(bob)
    posts = {
        user: api.post(
            "/api/posts/", {"content": "mine", "type": "thoughts"}, format="json"
        ).json()["id"]
        for user, api in [(alice, alice_api), (bob, bob_api)]
    }
    assert alice_api.get("/api/notifications/unread-count/").json() == {"count": 1}

    assert alice_api.delete(f"{FRIENDS_URL}{bob.id}/").status_code == 204

    for api, other in [(alice_api, bob), (bob_api, alice)]:
        assert api.get(f"/api/posts/{posts[other]}/").status_code == 404
        assert api.get("/api/notifications/").json()["results"] == []
        assert api.get("/api/notifications/?grouped=true").json()["results"] == []
        assert api.get("/api/notifications/unread-count/").json() == {"count": 0}


@pytest.mark.parametrize("known", [True, False], ids=["stranger", "unknown-user"])
def test_friend_delete_not_a_friend_returns_404(client_for, user, known):
    other_id = UserFactory().id if known else user.id + 1000

    response = client_for(user).delete(f"{FRIENDS_URL}{other_id}/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    if known:
        assert response.json()["detail"] == NOT_FRIENDS


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", REQUESTS_URL), ("post", REQUESTS_URL), ("get", FRIENDS_URL)],
)
def test_friend_endpoints_anonymous_returns_401(api_client, method, url):
    response = getattr(api_client, method)(url)

    assert response.status_code == 401
