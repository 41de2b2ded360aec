"""Post writes: create, delete, like, reply."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.accounts.models import User
from apps.common.exceptions import ApplicationError, ForbiddenError
from apps.friends.selectors import friendship_exists
from apps.notifications.services import (
    notifications_create_for_post,
    notifications_retract_for_posts,
)

from .models import Like, Post, Reply

TARGET_NOT_FRIEND = "You can only post on your own profile or a friend's."
NOT_AUTHOR = "Only the author can delete this post."
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


@transaction.atomic
def post_like(*, post: Post, user: User) -> Post:
    """Like once; liking again changes nothing."""
    try:
        with transaction.atomic():
            Like.objects.create(post=post, user=user)
    except IntegrityError:
        return post
    Post.objects.filter(pk=post.pk).update(likes_count=F("likes_count") + 1)
    post.refresh_from_db(fields=["likes_count"])
    return post


@transaction.atomic
def post_unlike(*, post: Post, user: User) -> Post:
    deleted, _ = Like.objects.filter(post=post, user=user).delete()
    if deleted:
        Post.objects.filter(pk=post.pk).update(likes_count=F("likes_count") - 1)
        post.refresh_from_db(fields=["likes_count"])
    return post


@transaction.atomic
def reply_create(*, post: Post, author: User, content: str) -> Reply:
    reply = Reply(post=post, author=author, content=content)
    reply.full_clean()
    reply.save()
    Post.objects.filter(pk=post.pk).update(reply_count=F("reply_count") + 1)
    return reply
