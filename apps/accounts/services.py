"""Account writes: registration and API tokens."""

from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from apps.common.exceptions import ApplicationError, ForbiddenError
from apps.notifications.services import (
    connections_close_for_users,
    notifications_retract_unread_from,
)

from .errors import ACCOUNT_SUSPENDED, BAD_CREDENTIALS, USERNAME_TAKEN
from .models import User

__all__ = ["ACCOUNT_SUSPENDED", "BAD_CREDENTIALS", "USERNAME_TAKEN"]


@transaction.atomic
def user_register(*, username: str, password: str) -> tuple[User, str]:
    """Create a user with a validated password and return it with its API token key."""
    if User.objects.filter(username__iexact=username).exists():
        raise ApplicationError(USERNAME_TAKEN, field="username", code="unique")
    user = User(username=username)
    user.full_clean(exclude=["password"])
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    try:
        # The savepoint keeps the outer transaction usable when a concurrent sign-up wins.
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise ApplicationError(USERNAME_TAKEN, field="username", code="unique") from exc
    token = Token.objects.create(user=user)
    return user, token.key


def token_obtain(*, username: str, password: str) -> str:
    user = authenticate(username=username, password=password)
    if user is None:
        raise ApplicationError(BAD_CREDENTIALS, code="authentication_failed")
    if user.is_suspended:
        raise ForbiddenError(ACCOUNT_SUSPENDED, code="suspended")
    token, _ = Token.objects.get_or_create(user=user)
    key: str = token.key
    return key


@transaction.atomic
def users_suspend(*, user_ids: list[int], reason: str) -> list[int]:
    """Suspend these users: their open sockets close and their unread notifications to
    others are retracted. Returns the ids that were not already suspended."""
    ids = list(
        User.objects.filter(pk__in=user_ids, suspended_at__isnull=True).values_list("pk", flat=True)
    )
    User.objects.filter(pk__in=ids).update(suspended_at=timezone.now(), suspension_reason=reason)
    notifications_retract_unread_from(actor_ids=ids)
    connections_close_for_users(user_ids=ids, reason=ACCOUNT_SUSPENDED)
    return ids


@transaction.atomic
def users_lift_suspension(*, user_ids: list[int]) -> list[int]:
    ids = list(
        User.objects.filter(pk__in=user_ids, suspended_at__isnull=False).values_list(
            "pk", flat=True
        )
    )
    User.objects.filter(pk__in=ids).update(suspended_at=None, suspension_reason="")
    return ids


@transaction.atomic
def users_limit(*, user_ids: list[int], reason: str) -> list[int]:
    """Limit these accounts: from now on their friend requests are filtered. Returns the
    ids that were not already limited."""
    ids = list(
        User.objects.filter(pk__in=user_ids, limited_at__isnull=True).values_list("pk", flat=True)
    )
    User.objects.filter(pk__in=ids).update(limited_at=timezone.now(), limit_reason=reason)
    return ids


@transaction.atomic
def users_lift_limit(*, user_ids: list[int]) -> list[int]:
    ids = list(
        User.objects.filter(pk__in=user_ids, limited_at__isnull=False).values_list("pk", flat=True)
    )
    User.objects.filter(pk__in=ids).update(limited_at=None, limit_reason="")
    return ids
