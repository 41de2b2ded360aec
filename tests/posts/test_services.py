"""Post services: create, delete, likes and replies."""

import pytest
from django.core.exceptions import ValidationError

from apps.common.exceptions import ApplicationError, ForbiddenError
from apps.posts.models import CONTENT_MAX_LENGTH, Like, Post
from apps.posts.selectors import post_feed
from apps.posts.services import (
    NOT_AUTHOR,
    TARGET_NOT_FRIEND,
    post_create,
    post_delete,
    post_like,
    post_unlike,
    reply_create,
)
from tests.factories import LikeFactory, PostFactory, UserFactory, make_friends

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("target", ["none", "self", "friend"])
def test_post_create_allowed_target_saves_post(friends, target):
    author, friend = friends
    target_profile = {"none": None, "self": author, "friend": friend}[target]

    post = post_create(
        author=author, content="Hello", type=Post.Type.MILESTONE, target_profile=target_profile
    )

    post.refresh_from_db()
    assert (post.author, post.content, post.type) == (author, "Hello", Post.Type.MILESTONE)
    assert post.target_profile == target_profile


def test_post_create_target_not_a_friend_raises_and_saves_nothing(user):
    with pytest.raises(ApplicationError) as excinfo:
        post_create(
            author=user, content="Hi", type=Post.Type.THOUGHTS, target_profile=UserFactory()
        )

    assert (excinfo.value.message, excinfo.value.field) == (TARGET_NOT_FRIEND, "target_profile")
    assert not Post.objects.exists()


@pytest.mark.parametrize(
    ("content", "type"),
    [
        ("", Post.Type.THOUGHTS),
        ("x" * (CONTENT_MAX_LENGTH + 1), Post.Type.THOUGHTS),
        ("Hi", "rant"),
    ],
    ids=["empty", "too-long", "unknown-type"],
)
def test_post_create_invalid_fields_raise_validation_error(user, content, type):
    with pytest.raises(ValidationError):
        post_create(author=user, content=content, type=type)

    assert not Post.objects.exists()


def test_post_delete_by_author_removes_post():
    post = PostFactory()

    post_delete(post=post, user=post.author)

    post.refresh_from_db()
    assert post.removed_at is not None
    assert post.removed_by == post.author
    assert not post_feed(user=post.author).exists()


def test_post_delete_by_other_user_raises_forbidden():
    post = PostFactory()

    with pytest.raises(ForbiddenError, match=NOT_AUTHOR):
        post_delete(post=post, user=UserFactory())

    assert Post.objects.filter(pk=post.pk).exists()


def test_post_like_twice_stores_one_like_and_counts_one(user):
    post = PostFactory()
    make_friends(post.author, user)

    post_like(post=post, user=user)
    post = post_like(post=post, user=user)

    assert post.likes_count == 1
    assert Like.objects.filter(post=post).count() == 1


def test_post_unlike_removes_like_once_and_never_goes_negative(user):
    post = PostFactory(likes_count=1)
    LikeFactory(post=post, user=user)

    post_unlike(post=post, user=user)
    post = post_unlike(post=post, user=user)

    assert post.likes_count == 0
    assert not Like.objects.exists()


def test_reply_create_increments_reply_count(user):
    post = PostFactory()
    make_friends(post.author, user)

    reply_create(post=post, author=user, content="Nice")
    reply_create(post=post, author=user, content="Really nice")

    post.refresh_from_db()
    assert post.reply_count == 2
    assert list(post.replies.values_list("content", flat=True).order_by("id")) == [
        "Nice",
        "Really nice",
    ]
