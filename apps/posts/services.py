"""Post writes: create, delete, like, reply."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.accounts.models import User
from apps.common.exceptions import ApplicationError, ForbiddenError, NotFoundError
from apps.friends.selectors import friendship_exists
from apps.friends.services import friendship_hold
from apps.notifications.services import (
    notifications_create_for_like,
    notifications_create_for_mentions,
    notifications_create_for_post,
    notifications_create_for_reply,
    notifications_retract_for_posts,
    notifications_retract_for_reply,
    notifications_retract_like,
    post_counts_announce,
)

from .models import Like, Post, Reply
from .selectors import POST_NOT_FOUND

TARGET_NOT_FRIEND = "You can only post on your own profile or a friend's."
NOT_AUTHOR = "Only the author can delete this post."
NOT_REPLY_AUTHOR = "Only the reply's author or the post's author can delete this reply."
DELETED_BY_AUTHOR = "Deleted by the author."


def _check_target_profile(*, author: User, target_profile: User | None) -> None:
    if target_profile is None or target_profile.pk == author.pk:
        return
    if not friendship_exists(user_id=author.pk, other_id=target_profile.pk):
        raise ApplicationError(TARGET_NOT_FRIEND, field="target_profile")


@transaction.atomic
def post_create(
    *, author: User, content: str, type: str, target_profile: User | None = None
) -> Post:
    _check_target_profile(author=author, target_profile=target_profile)
    post = Post(author=author, content=content, type=type, target_profile=target_profile)
    post.full_clean()
    post.save()
    notifications_create_for_post(post=post)
    notifications_create_for_mentions(post=post)
    return post


@transaction.atomic
def post_delete(*, post: Post, user: User) -> None:
    """The author removes their post: as a moderator's removal, its notifications go too."""
    if post.author_id != user.pk:
        raise ForbiddenError(NOT_AUTHOR, code="permission_denied")
    posts_remove(post_ids=[post.pk], by=user, reason=DELETED_BY_AUTHOR)


@transaction.atomic
def posts_remove(*, post_ids: list[int], by: User, reason: str) -> tuple[list[int], int]:
    """Soft-delete posts and retract their notifications, set-based.

    Returns the ids that were removed now (not already removed) and how many notifications
    were retracted.
    """
    ids = list(
        Post.objects.select_for_update()
        .filter(pk__in=post_ids, removed_at__isnull=True)
        .values_list("pk", flat=True)
    )
    Post.objects.filter(pk__in=ids).update(
        removed_at=timezone.now(), removed_by=by, removal_reason=reason
    )
    return ids, notifications_retract_for_posts(post_ids=ids)


def _hold_visibility(*, post: Post, user: User) -> None:
    """Hold the user's friendship with the author until commit (nothing to hold for the
    author). The caller found the post visible without a lock: a block or an unfriending
    committed since reads as not found, and one that starts now waits for this transaction,
    so its retraction sees what this one stores."""
    if user.pk != post.author_id and not friendship_hold(user_id=post.author_id, other_id=user.pk):
        raise NotFoundError(POST_NOT_FOUND, code="not_found")


@transaction.atomic
def post_like(*, post: Post, user: User) -> Post:
    """Like once; liking again changes nothing. The author is notified (unless it is their
    own like) and every open feed that shows the post gets the new count."""
    _hold_visibility(post=post, user=user)
    try:
        with transaction.atomic():
            Like.objects.create(post=post, user=user)
    except IntegrityError:
        return post
    Post.objects.filter(pk=post.pk).update(likes_count=F("likes_count") + 1)
    post.refresh_from_db(fields=["likes_count"])
    notifications_create_for_like(post=post, actor=user)
    post_counts_announce(post_id=post.pk, author_id=post.author_id)
    return post


@transaction.atomic
def post_unlike(*, post: Post, user: User) -> Post:
    """Take a like back, and the notification it caused."""
    deleted, _ = Like.objects.filter(post=post, user=user).delete()
    if deleted:
        Post.objects.filter(pk=post.pk).update(likes_count=F("likes_count") - 1)
        post.refresh_from_db(fields=["likes_count"])
        notifications_retract_like(post_id=post.pk, actor_id=user.pk)
        post_counts_announce(post_id=post.pk, author_id=post.author_id)
    return post


@transaction.atomic
def reply_create(*, post: Post, author: User, content: str) -> Reply:
    """Store a reply; notifies the post's author, its earlier repliers and the mentioned."""
    _hold_visibility(post=post, user=author)
    reply = Reply(post=post, author=author, content=content)
    reply.full_clean()
    reply.save()
    Post.objects.filter(pk=post.pk).update(reply_count=F("reply_count") + 1)
    notifications_create_for_reply(reply=reply)
    post_counts_announce(post_id=post.pk, author_id=post.author_id)
    return reply


@transaction.atomic
def reply_delete(*, reply: Reply, user: User) -> None:
    """The reply's author, or the post's, deletes it, and every notification it caused."""
    post = reply.post
    if user.pk not in (reply.author_id, post.author_id):
        raise ForbiddenError(NOT_REPLY_AUTHOR, code="permission_denied")
    reply_id = reply.pk
    reply.delete()
    Post.objects.filter(pk=post.pk).update(reply_count=F("reply_count") - 1)
    notifications_retract_for_reply(post_id=post.pk, reply_id=reply_id)
    post_counts_announce(post_id=post.pk, author_id=post.author_id)
