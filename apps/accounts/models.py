"""The user model: Django's user, swappable from the first migration."""

from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A Ripple account. Extra profile fields belong here, not in a side table."""

    def __str__(self) -> str:
        return self.username
