"""Account reads: finding users by name."""

from typing import Any

from django.db.models import QuerySet
from django.db.models.functions import Lower

from .models import User, active_members

__all__ = ["active_members", "user_get_by_username", "user_list"]


def user_get_by_username(*, username: str) -> User | None:
    """The active user called exactly `username` (ignoring case), or None."""
    return User.objects.filter(is_active=True, username__iexact=username).first()


def user_list(
    *, username: str, exclude_id: int | None = None, hidden_ids: QuerySet[Any, Any] | None = None
) -> QuerySet[User]:
    """Active users whose username starts with `username`, ignoring case, leaving out
    `hidden_ids` (a values queryset of ids, e.g. the people a block stands between).

    Ordered by lower-cased username (exposed as `username_lower`), so an exact match always
    comes first: it is a prefix of every other match.
    """
    users = User.objects.filter(is_active=True, username__istartswith=username)
    if exclude_id is not None:
        users = users.exclude(pk=exclude_id)
    if hidden_ids is not None:
        users = users.exclude(pk__in=hidden_ids)
    return users.annotate(username_lower=Lower("username")).order_by("username_lower", "id")
