"""Post endpoints: create, feed, detail, delete, likes and replies."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.serializers import UNKNOWN_USER
from apps.friends.services import block_create
from apps.posts.api import CONTENT_BLANK
from apps.posts.models import CONTENT_MAX_LENGTH, Post
from apps.posts.services import NOT_AUTHOR, TARGET_NOT_FRIEND
from tests.factories import PostFactory, ReplyFactory, UserFactory, make_friends

pytestmark = pytest.mark.django_db

POSTS_URL = "/api/posts/"
POST_KEYS = {
    "id",
    "author",
    "content",
    "type",
    "created_at",
    "target_profile",
    "likes_count",
    "reply_count",
}


def _ref(user) -> dict:
    return {"id": user.id, "username": user.username}


def _detail_url(post: Post, suffix: str = "") -> str:
    return f"{POSTS_URL}{post.id}/{suffix}"


def test_post_create_returns_201_with_exact_post_shape(client_for, user):
    response = client_for(user).post(
        POSTS_URL, {"content": "Hello", "type": "question"}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == POST_KEYS
    assert body["author"] == _ref(user)
    assert (body["content"], body["type"]) == ("Hello", "question")
    assert body["target_profile"] is None
    assert (body["likes_count"], body["reply_count"]) == (0, 0)
    assert body["created_at"].endswith("Z")
    assert Post.objects.get(pk=body["id"]).author == user


def test_post_create_on_friends_profile_returns_target_ref(client_for, friends):
    author, friend = friends

    response = client_for(author).post(
        POSTS_URL,
        {"content": "Happy birthday", "type": "thoughts", "target_profile": friend.id},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["target_profile"] == _ref(friend)


def test_post_create_content_at_max_length_is_accepted(client_for, user):
    content = "x" * CONTENT_MAX_LENGTH

    response = client_for(user).post(
        POSTS_URL, {"content": content, "type": "thoughts"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["content"] == content


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"content": ""}, "content", CONTENT_BLANK),
        ({"content": "  \n\t "}, "content", CONTENT_BLANK),
        ({"content": "x" * (CONTENT_MAX_LENGTH + 1)}, "content", None),
        ({"type": "rant"}, "type", None),
        ({"target_profile": "unknown"}, "target_profile", UNKNOWN_USER),
        ({"target_profile": "stranger"}, "target_profile", TARGET_NOT_FRIEND),
    ],
    ids=["empty", "whitespace", "too-long", "unknown-type", "unknown-target", "stranger-target"],
)
def test_post_create_invalid_input_returns_400_naming_field(
    client_for, user, payload, field, message
):
    targets = {"unknown": user.id + 1000, "stranger": UserFactory().id}
    payload = {"content": "Hello", "type": "thoughts", **payload}
    if "target_profile" in payload:
        payload["target_profile"] = targets[payload["target_profile"]]

    response = client_for(user).post(POSTS_URL, payload, format="json")

    assert response.status_code == 400
    fields = response.json()["fields"]
    assert set(fields) == {field}
    if message:
        assert fields[field] == [message]
    assert not Post.objects.exists()


def test_post_feed_lists_own_and_friends_posts_newest_first(client_for, friends):
    reader, friend = friends
    now = timezone.now()
    oldest = PostFactory(author=friend, created_at=now - timedelta(minutes=2))
    middle = PostFactory(author=reader, created_at=now - timedelta(minutes=1))
    newest = PostFactory(author=friend, created_at=now)
    PostFactory(author=UserFactory())  # a stranger's post
    PostFactory(author=UserFactory(), target_profile=reader)  # on the reader's profile

    response = client_for(reader).get(POSTS_URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    assert [item["id"] for item in body["results"]] == [newest.id, middle.id, oldest.id]
    assert set(body["results"][0]) == POST_KEYS


def test_post_feed_cursor_pages_cover_every_post_once_in_order(client_for, user):
    now = timezone.now()
    posts = [PostFactory(author=user, created_at=now - timedelta(seconds=i)) for i in range(5)]
    # Posts with the same timestamp: the id breaks the tie.
    posts += PostFactory.create_batch(2, author=user, created_at=now - timedelta(seconds=2))
    expected = [p.id for p in sorted(posts, key=lambda p: (p.created_at, p.id), reverse=True)]
    client = client_for(user)

    seen, url = [], f"{POSTS_URL}?page_size=2"
    while url:
        body = client.get(url).json()
        seen += [item["id"] for item in body["results"]]
        url = body["next"]

    assert seen == expected


def test_post_feed_query_count_does_not_grow_with_posts(
    client_for, friends, django_assert_num_queries
):
    reader, friend = friends
    client = client_for(reader)
    PostFactory(author=friend, target_profile=UserFactory())
    with CaptureQueriesContext(connection) as one_post:
        client.get(POSTS_URL)
    for author in [friend, reader] * 9 + [friend]:
        PostFactory(author=author, target_profile=UserFactory())

    with django_assert_num_queries(len(one_post)):
        response = client.get(POSTS_URL)

    assert len(response.json()["results"]) == 20


@pytest.mark.parametrize("viewer", ["author", "friend"])
def test_post_detail_visible_to_author_and_friends(client_for, friends, viewer):
    author, friend = friends
    post = PostFactory(author=author)

    response = client_for(author if viewer == "author" else friend).get(_detail_url(post))

    assert response.status_code == 200
    assert response.json()["id"] == post.id
    assert response.json()["created_at"].endswith("Z")


def test_post_detail_non_friend_returns_404(client_for):
    post = PostFactory()

    response = client_for(UserFactory()).get(_detail_url(post))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_post_delete_by_author_returns_204(client_for):
    post = PostFactory()

    client = client_for(post.author)

    response = client.delete(_detail_url(post))

    assert response.status_code == 204
    assert client.get(_detail_url(post)).status_code == 404
    post.refresh_from_db()
    assert post.removed_at is not None


def test_post_delete_by_friend_returns_403(client_for, friends):
    author, friend = friends
    post = PostFactory(author=author)

    response = client_for(friend).delete(_detail_url(post))

    assert response.status_code == 403
    assert response.json() == {"detail": NOT_AUTHOR, "code": "permission_denied"}
    assert Post.objects.filter(pk=post.pk).exists()


def test_post_delete_by_non_friend_returns_404(client_for):
    post = PostFactory()

    response = client_for(UserFactory()).delete(_detail_url(post))

    assert response.status_code == 404
    assert Post.objects.filter(pk=post.pk).exists()


def test_post_like_is_idempotent_and_counts_each_user_once(client_for, friends):
    author, friend = friends
    post = PostFactory(author=author)
    url = _detail_url(post, "like/")

    client_for(friend).post(url)
    client_for(friend).post(url)
    response = client_for(author).post(url)

    assert response.status_code == 200
    assert response.json()["likes_count"] == 2


def test_post_unlike_is_idempotent_and_counts_true(client_for, friends):
    author, friend = friends
    post = PostFactory(author=author)
    url = _detail_url(post, "like/")
    client_for(friend).post(url)
    client_for(author).post(url)

    client_for(friend).delete(url)
    response = client_for(friend).delete(url)

    assert response.status_code == 200
    assert response.json()["likes_count"] == 1
    post.refresh_from_db()
    assert post.likes_count == 1


@pytest.mark.parametrize(("method", "suffix"), [("post", "like/"), ("get", "replies/")])
def test_post_actions_by_non_friend_return_404(client_for, method, suffix):
    post = PostFactory()

    response = getattr(client_for(UserFactory()), method)(_detail_url(post, suffix))

    assert response.status_code == 404


def test_post_reply_create_returns_201_and_counts_replies(client_for, friends):
    author, friend = friends
    post = PostFactory(author=author)
    url = _detail_url(post, "replies/")

    response = client_for(friend).post(url, {"content": "Congrats!"}, format="json")
    client_for(author).post(url, {"content": "Thanks"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "post", "author", "content", "created_at"}
    assert (body["post"], body["author"], body["content"]) == (post.id, _ref(friend), "Congrats!")
    assert client_for(author).get(_detail_url(post)).json()["reply_count"] == 2


@pytest.mark.parametrize("content", ["", "   "])
def test_post_reply_blank_content_returns_400_naming_content(client_for, user, content):
    post = PostFactory(author=user)

    response = client_for(user).post(
        _detail_url(post, "replies/"), {"content": content}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"content"}


def test_post_reply_list_returns_replies_oldest_first(client_for, user):
    post = PostFactory(author=user)
    now = timezone.now()
    later = ReplyFactory(post=post, created_at=now)
    earlier = ReplyFactory(post=post, created_at=now - timedelta(minutes=1))
    ReplyFactory()  # on another post

    response = client_for(user).get(_detail_url(post, "replies/"))

    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [earlier.id, later.id]


@pytest.mark.parametrize("direction", ["viewer_blocked_them", "they_blocked_viewer"])
def test_post_reply_list_leaves_out_replies_of_someone_a_block_stands_between(
    client_for, user, direction
):
    author, blocked = UserFactory(), UserFactory()
    make_friends(user, author)
    make_friends(blocked, author)
    post = PostFactory(author=author)
    kept = ReplyFactory(post=post, author=author)
    ReplyFactory(post=post, author=blocked)
    if direction == "viewer_blocked_them":
        block_create(blocker=user, blocked=blocked)
    else:
        block_create(blocker=blocked, blocked=user)

    response = client_for(user).get(_detail_url(post, "replies/"))

    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [kept.id]
    # The author, whom no block concerns, still sees both.
    assert len(client_for(author).get(_detail_url(post, "replies/")).json()["results"]) == 2


def test_post_feed_anonymous_returns_401(api_client):
    assert api_client.get(POSTS_URL).status_code == 401


def test_post_reply_delete_by_its_author_or_the_posts_returns_204(client_for, friends):
    author, friend = friends
    post = PostFactory(author=author, reply_count=2)
    mine, theirs = ReplyFactory(post=post, author=friend), ReplyFactory(post=post, author=friend)

    by_replier = client_for(friend).delete(_detail_url(post, f"replies/{mine.id}/"))
    by_author = client_for(author).delete(_detail_url(post, f"replies/{theirs.id}/"))

    assert (by_replier.status_code, by_author.status_code) == (204, 204)
    assert client_for(author).get(_detail_url(post)).json()["reply_count"] == 0


def test_post_reply_delete_by_another_friend_is_403_and_keeps_the_reply(client_for, friends):
    author, friend = friends
    other = UserFactory()
    from tests.factories import make_friends

    make_friends(author, other)
    post = PostFactory(author=author, reply_count=1)
    reply = ReplyFactory(post=post, author=friend)

    response = client_for(other).delete(_detail_url(post, f"replies/{reply.id}/"))

    assert response.status_code == 403
    assert post.replies.filter(pk=reply.pk).exists()


@pytest.mark.parametrize("wrong", ["stranger", "other_post"])
def test_post_reply_delete_of_an_unseen_post_or_another_posts_reply_is_404(
    client_for, friends, wrong
):
    author, friend = friends
    post = PostFactory(author=author, reply_count=1)
    reply = ReplyFactory(post=post, author=friend)
    if wrong == "stranger":
        user, url = UserFactory(), _detail_url(post, f"replies/{reply.id}/")
    else:
        user, url = friend, _detail_url(PostFactory(author=friend), f"replies/{reply.id}/")

    response = client_for(user).delete(url)

    assert response.status_code == 404
    assert post.replies.filter(pk=reply.pk).exists()
