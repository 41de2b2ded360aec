"""Blocks: what a block ends and retracts, what it hides, and that the blocked user is never
told."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.common.exceptions import NotFoundError
from apps.friends.models import Block, FriendRequest, Friendship
from apps.friends.services import (
    BLOCK_SELF,
    NOT_BLOCKED,
    REQUEST_NOT_FOUND,
    YOU_BLOCKED,
    block_create,
    block_delete,
    friend_request_accept,
    friend_request_create,
    friendship_delete,
)
from apps.notifications.models import Notification
from apps.notifications.realtime.events import notification_removed, unread_count
from apps.notifications.services import (
    notification_create,
    notification_mark_read,
    notifications_create_for_post,
)
from apps.posts.models import Post
from apps.posts.services import post_create
from tests.factories import (
    BlockFactory,
    FriendRequestFactory,
    NotificationFactory,
    PostFactory,
    UserFactory,
    make_friends,
)

pytestmark = pytest.mark.django_db

BLOCKS_URL = "/api/blocks/"


def _pair_notifications(a, b) -> list[Notification]:
    return list(Notification.objects.filter(recipient__in=[a, b], actor__in=[a, b]).order_by("id"))


@pytest.fixture
def pair_with_history():
    """Two friends with notifications of every kind in both directions, some read."""
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    make_friends(alice, bob)
    post_create(author=alice, content="a", type=Post.Type.THOUGHTS)
    post_create(author=bob, content="b", type=Post.Type.THOUGHTS)
    for recipient, actor, type in [
        (alice, bob, Notification.Type.NEW_MESSAGE),
        (bob, alice, Notification.Type.FRIEND_ACCEPTED),
        (alice, bob, Notification.Type.FRIEND_REQUEST),
    ]:
        NotificationFactory(recipient=recipient, actor=actor, type=type, data={})
    read = Notification.objects.filter(recipient=bob).first()
    assert read is not None
    notification_mark_read(user=bob, notification_id=read.pk)
    return alice, bob


def test_block_ends_the_friendship_and_retracts_every_notification_both_ways(
    pair_with_history, pushes, django_capture_on_commit_callbacks
):
    alice, bob = pair_with_history
    carol = UserFactory()
    make_friends(alice, carol)
    kept = NotificationFactory(recipient=alice, actor=carol)
    before: dict[int, list[int]] = {alice.id: [], bob.id: []}
    for n in _pair_notifications(alice, bob):
        before[n.recipient_id].append(n.id)
    assert len(before[alice.id]) == 3
    assert len(before[bob.id]) == 2

    with django_capture_on_commit_callbacks(execute=True):
        block_create(blocker=alice, blocked=bob)

    assert not Friendship.objects.filter(user__in=[alice, bob], friend__in=[alice, bob]).exists()
    assert Friendship.objects.filter(user=alice, friend=carol).exists()
    assert _pair_notifications(alice, bob) == []
    assert Notification.objects.filter(pk=kept.pk).exists()
    assert sorted(pushes, key=lambda push: (push[0], push[1]["type"])) == sorted(
        [
            (alice.id, notification_removed(ids=before[alice.id])),
            (bob.id, notification_removed(ids=before[bob.id])),
            (alice.id, unread_count(count=1)),  # carol's stays
            (bob.id, unread_count(count=0)),
        ],
        key=lambda push: (push[0], push[1]["type"]),
    )


def test_block_again_changes_nothing_and_pushes_nothing(pushes, django_capture_on_commit_callbacks):
    alice, bob = UserFactory(), UserFactory()
    first = block_create(blocker=alice, blocked=bob)
    NotificationFactory(recipient=alice, actor=UserFactory())

    with django_capture_on_commit_callbacks(execute=True):
        again = block_create(blocker=alice, blocked=bob)

    assert again.pk == first.pk
    assert Block.objects.count() == 1
    assert pushes == []


def test_block_self_is_refused_naming_the_field(client_for, user):
    response = client_for(user).post(BLOCKS_URL, {"user": user.id}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": BLOCK_SELF,
        "code": "block_self",
        "fields": {"user": [BLOCK_SELF]},
    }


def test_block_unknown_user_is_400_naming_the_field(client_for, user):
    response = client_for(user).post(BLOCKS_URL, {"user": 10**9}, format="json")

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"user"}


def test_block_api_creates_lists_and_unblocks(client_for):
    alice, bob, carol = UserFactory(), UserFactory(username="bob"), UserFactory()
    api = client_for(alice)

    created = api.post(BLOCKS_URL, {"user": bob.id}, format="json")
    again = api.post(BLOCKS_URL, {"user": bob.id}, format="json")
    BlockFactory(blocker=carol, blocked=alice)  # carol's block of alice is not alice's to see
    listed = api.get(BLOCKS_URL)

    assert created.status_code == again.status_code == 201
    assert created.json() == again.json()
    assert created.json()["user"] == {"id": bob.id, "username": "bob"}
    assert [row["user"]["id"] for row in listed.json()["results"]] == [bob.id]
    assert client_for(bob).get(BLOCKS_URL).json()["results"] == []
    assert api.delete(f"{BLOCKS_URL}{bob.id}/").status_code == 204
    assert api.get(BLOCKS_URL).json()["results"] == []


def test_unblock_without_a_block_is_404(client_for):
    alice, bob = UserFactory(), UserFactory()
    BlockFactory(blocker=bob, blocked=alice)

    response = client_for(alice).delete(f"{BLOCKS_URL}{bob.id}/")

    assert response.status_code == 404
    assert response.json() == {"detail": NOT_BLOCKED, "code": "not_found"}
    assert Block.objects.filter(blocker=bob, blocked=alice).exists()


def test_unblock_restores_nothing_and_declines_the_hidden_requests(
    pair_with_history, pushes, django_capture_on_commit_callbacks
):
    alice, bob = pair_with_history
    block_create(blocker=alice, blocked=bob)
    hidden = friend_request_create(from_user=bob, to_user=alice)

    with django_capture_on_commit_callbacks(execute=True):
        block_delete(blocker=alice, blocked_id=bob.pk)

    hidden.refresh_from_db()
    assert not Block.objects.exists()
    assert not Friendship.objects.filter(user=alice, friend=bob).exists()
    assert _pair_notifications(alice, bob) == []
    assert hidden.status == FriendRequest.Status.DECLINED
    assert pushes == []


def test_pending_requests_at_block_time(pushes, django_capture_on_commit_callbacks):
    """The blocked user's request is hidden from the blocker but stays pending for its
    sender; the blocker's own request to them is withdrawn."""
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory()
    from_bob = friend_request_create(from_user=bob, to_user=alice)
    to_carol = friend_request_create(from_user=alice, to_user=carol)

    block_create(blocker=alice, blocked=bob)
    block_create(blocker=alice, blocked=carol)

    from_bob.refresh_from_db()
    assert (from_bob.status, from_bob.delivery) == ("pending", FriendRequest.Delivery.HIDDEN)
    assert not FriendRequest.objects.filter(pk=to_carol.pk).exists()
    assert not Notification.objects.filter(type=Notification.Type.FRIEND_REQUEST).exists()


def test_blocked_users_request_looks_sent_but_never_reaches_the_blocker(
    client_for, pushes, django_capture_on_commit_callbacks
):
    alice, bob, eve = UserFactory(), UserFactory(), UserFactory()
    block_create(blocker=alice, blocked=bob)
    stranger = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        blocked = client_for(bob).post(
            "/api/friend-requests/", {"to_user": alice.id}, format="json"
        )
        normal = client_for(eve).post(
            "/api/friend-requests/", {"to_user": stranger.id}, format="json"
        )
    outgoing = client_for(bob).get("/api/friend-requests/", {"direction": "outgoing"}).json()
    again = client_for(bob).post("/api/friend-requests/", {"to_user": alice.id}, format="json")
    again_normal = client_for(eve).post(
        "/api/friend-requests/", {"to_user": stranger.id}, format="json"
    )

    assert blocked.status_code == normal.status_code == 201
    assert set(blocked.json()) == set(normal.json())
    assert blocked.json()["status"] == normal.json()["status"] == "pending"
    assert [r["id"] for r in outgoing["results"]] == [blocked.json()["id"]]
    assert (again.status_code, again.json()["code"]) == (400, "request_already_pending")
    assert again.json()["detail"] == again_normal.json()["detail"]
    alice_api = client_for(alice)
    for direction in ["incoming", "filtered", None]:
        query = {"direction": direction} if direction else {}
        assert alice_api.get("/api/friend-requests/", query).json()["results"] == []
    assert not Notification.objects.filter(recipient=alice).exists()
    assert [user_id for user_id, _ in pushes] == [stranger.id]
    accept = alice_api.post(f"/api/friend-requests/{blocked.json()['id']}/accept/")
    assert (accept.status_code, accept.json()["detail"]) == (404, REQUEST_NOT_FOUND)


def test_blocker_cannot_send_a_request_to_the_blocked_user(client_for):
    alice, bob = UserFactory(), UserFactory()
    block_create(blocker=alice, blocked=bob)

    response = client_for(alice).post("/api/friend-requests/", {"to_user": bob.id}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "blocked_by_you"
    assert response.json()["fields"] == {"to_user": [YOU_BLOCKED]}


def test_accepting_a_request_between_blocked_users_is_404():
    """Belt and braces: a request that escaped settling (here made by hand) still fails."""
    alice, bob = UserFactory(), UserFactory()
    request = FriendRequestFactory(from_user=bob, to_user=alice)
    BlockFactory(blocker=bob, blocked=alice)

    with pytest.raises(NotFoundError):
        friend_request_accept(request_id=request.pk, user=alice)
    assert not Friendship.objects.exists()


@pytest.mark.parametrize("who_blocks", ["searcher", "found"])
def test_user_search_hides_each_from_the_other(client_for, who_blocks):
    alice, bob = UserFactory(username="alice"), UserFactory(username="alicia")
    control = UserFactory(username="alina")
    if who_blocks == "searcher":
        block_create(blocker=alice, blocked=bob)
    else:
        block_create(blocker=bob, blocked=alice)

    alice_sees = client_for(alice).get("/api/users/", {"username": "ali"}).json()["results"]
    bob_sees = client_for(bob).get("/api/users/", {"username": "ali"}).json()["results"]

    assert [u["id"] for u in alice_sees] == [control.id]
    assert [u["id"] for u in bob_sees] == [control.id]


def test_blocked_user_messaging_gets_what_any_ex_friend_gets(client_for):
    alice, bob, eve = UserFactory(), UserFactory(), UserFactory()
    make_friends(alice, bob)
    make_friends(alice, eve)
    block_create(blocker=alice, blocked=bob)
    friendship_delete(user=alice, friend_id=eve.pk)

    blocked = client_for(bob).post("/api/messages/", {"to": alice.id, "text": "hi"}, format="json")
    ex_friend = client_for(eve).post(
        "/api/messages/", {"to": alice.id, "text": "hi"}, format="json"
    )

    assert blocked.status_code == ex_friend.status_code == 403
    assert blocked.json() == ex_friend.json()
    assert not Notification.objects.filter(recipient=alice).exists()


def test_no_response_to_the_blocked_user_mentions_a_block(client_for):
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    make_friends(alice, bob)
    block_create(blocker=alice, blocked=bob)
    api = client_for(bob)

    responses = [
        api.post("/api/friend-requests/", {"to_user": alice.id}, format="json"),
        api.post("/api/friend-requests/", {"to_user": alice.id}, format="json"),
        api.get("/api/friend-requests/"),
        api.get("/api/users/", {"username": "alice"}),
        api.get("/api/friends/"),
        api.post("/api/messages/", {"to": alice.id, "text": "hi"}, format="json"),
        api.get("/api/notifications/"),
        api.get(BLOCKS_URL),
        api.get("/api/friend-preferences/"),
    ]

    for response in responses:
        assert "block" not in response.content.decode().lower(), response.content


def test_post_fan_out_runs_the_same_queries_with_blocks_in_play(
    pushes, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """Blocks live outside the friendship table the fan-out reads; a block removes the
    friendship, so the fan-out skips blocked people with no statement of its own."""

    def author_with(friend_count: int):
        author = UserFactory()
        friends = [UserFactory() for _ in range(friend_count)]
        for friend in friends:
            make_friends(author, friend)
        # Blocks in both directions, and between the friends themselves.
        block_create(blocker=author, blocked=friends[0])
        block_create(blocker=friends[1], blocked=author)
        BlockFactory(blocker=friends[2], blocked=friends[3])
        BlockFactory(blocker=author, blocked=UserFactory())
        return author, friends

    small_author, _ = author_with(5)
    large_author, large_friends = author_with(60)
    small_post, large_post = PostFactory(author=small_author), PostFactory(author=large_author)
    with django_capture_on_commit_callbacks(), CaptureQueriesContext(connection) as small:
        notifications_create_for_post(post=small_post)

    with (
        django_capture_on_commit_callbacks(execute=True),
        django_assert_num_queries(len(small.captured_queries)),
    ):
        stored = notifications_create_for_post(post=large_post)

    assert stored == 58
    recipients = set(
        Notification.objects.filter(post=large_post).values_list("recipient_id", flat=True)
    )
    assert recipients == {friend.id for friend in large_friends[2:]}
    assert {user_id for user_id, _ in pushes} == recipients


@pytest.mark.parametrize("who_blocks", ["recipient", "actor"])
def test_no_single_notification_crosses_a_block_whatever_its_type(
    pushes, django_capture_on_commit_callbacks, who_blocks
):
    """The guard for every notification type to come (likes, replies, mentions): those go
    through `notification_create`, which stores nothing across a block."""
    recipient, actor = UserFactory(), UserFactory()
    if who_blocks == "recipient":
        BlockFactory(blocker=recipient, blocked=actor)
    else:
        BlockFactory(blocker=actor, blocked=recipient)

    with django_capture_on_commit_callbacks(execute=True):
        created = [
            notification_create(recipient_id=recipient.pk, actor=actor, type=type, data={})
            for type in Notification.Type.values
        ]

    assert created == [None] * len(Notification.Type.values)
    assert not Notification.objects.exists()
    assert pushes == []
