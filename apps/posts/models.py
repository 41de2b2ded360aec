"""Posts, likes and replies."""

from django.conf import settings
from django.core.validators import MaxLengthValidator, MinLengthValidator
from django.db import models
from django.utils import timezone

CONTENT_MAX_LENGTH = 5000
# TextField's max_length only sizes form widgets; the validator makes full_clean enforce it.
CONTENT_VALIDATORS = [MinLengthValidator(1), MaxLengthValidator(CONTENT_MAX_LENGTH)]


class Post(models.Model):
    class Type(models.TextChoices):
        THOUGHTS = "thoughts", "Thoughts"
        MILESTONE = "milestone", "Milestone"
        QUESTION = "question", "Question"

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts"
    )
    content = models.TextField(max_length=CONTENT_MAX_LENGTH, validators=CONTENT_VALIDATORS)
    type = models.CharField(max_length=16, choices=Type.choices, default=Type.THOUGHTS)
    target_profile = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="profile_posts",
        help_text="The user whose profile the post is on: the author or one of their friends.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Counters kept by the like and reply services with F() updates, so a feed page
    # needs no aggregate per post.
    likes_count = models.PositiveIntegerField(default=0)
    reply_count = models.PositiveIntegerField(default=0)
    # Removal is soft, so moderation keeps a record; removed posts are invisible everywhere.
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    removal_reason = models.TextField(blank=True, default="", db_default="")

    class Meta:
        indexes = [
            models.Index(fields=["author", "-created_at", "-id"], name="post_author_recent"),
        ]
        permissions = [("remove_post", "Can remove posts and retract their notifications")]

    def __str__(self) -> str:
        return f"Post {self.pk} by {self.author_id}"


class Like(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="like_once")]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.post_id}"


class Reply(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    content = models.TextField(max_length=CONTENT_MAX_LENGTH, validators=CONTENT_VALIDATORS)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "replies"
        indexes = [models.Index(fields=["post", "created_at"], name="reply_post_order")]

    def __str__(self) -> str:
        return f"Reply {self.pk} on {self.post_id}"
