"""Reads over posts: the feed and visibility-scoped lookups."""

from django.db.models import Q, QuerySet

from apps.accounts.models import User
from apps.common.exceptions import NotFoundError
from apps.friends.selectors import block_related_ids, friend_ids

from .models import Post, Reply

POST_NOT_FOUND = "Post not found."
REPLY_NOT_FOUND = "Reply not found."


def post_feed(*, user: User) -> QuerySet[Post]:
    """The user's own posts and their friends' posts (order is left to the paginator)."""
    return Post.objects.filter(
        Q(author_id=user.pk) | Q(author_id__in=friend_ids(user_id=user.pk)),
        removed_at__isnull=True,
    ).select_related("author", "target_profile")


def post_get_visible(*, user: User, post_id: int) -> Post:
    """A post its author or a friend of its author may see; anyone else gets not-found."""
    post = post_feed(user=user).filter(pk=post_id).first()
    if post is None:
        raise NotFoundError(POST_NOT_FOUND, code="not_found")
    return post


def reply_list(*, post: Post, user: User) -> QuerySet[Reply]:
    """The post's replies as `user` sees them: none by someone a block stands between
    (either way), as the feed shows none of their posts."""
    return (
        post.replies.exclude(author_id__in=block_related_ids(user_id=user.pk))
        .select_related("author")
        .order_by("created_at", "id")
    )


def reply_get(*, post: Post, reply_id: int) -> Reply:
    """A reply of a post the caller may see (found with `post_get_visible`)."""
    reply = post.replies.select_related("author").filter(pk=reply_id).first()
    if reply is None:
        raise NotFoundError(REPLY_NOT_FOUND, code="not_found")
    return reply
