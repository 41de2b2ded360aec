"""The user model: Django's user, swappable from the first migration."""

from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A Ripple account. Extra profile fields belong here, not in a side table.

    A suspended user keeps their data but cannot use the API, the WebSocket or the pages.
    A limited one can use everything, but their friend requests are always filtered and
    their posts, replies and mentions notify only people who are already their friends.
    """

    suspended_at = models.DateTimeField(null=True, blank=True)
    suspension_reason = models.TextField(blank=True, default="", db_default="")
    limited_at = models.DateTimeField(null=True, blank=True)
    limit_reason = models.TextField(blank=True, default="", db_default="")

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        permissions = [
            ("suspend_user", "Can suspend users and lift suspensions"),
            ("limit_user", "Can limit accounts and lift limits"),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    @property
    def is_limited(self) -> bool:
        return self.limited_at is not None


def active_members() -> models.QuerySet[User]:
    """The users who can use Ripple: active and not suspended, as the API's permission asks.

    Here rather than in the selectors so that the serializers' user-id field can use it."""
    return User.objects.filter(is_active=True, suspended_at__isnull=True)
