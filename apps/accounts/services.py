"""Account writes: registration and API tokens."""

from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from rest_framework.authtoken.models import Token

from apps.common.exceptions import ApplicationError

from .models import User

USERNAME_TAKEN = "A user with that username already exists."
BAD_CREDENTIALS = "Unable to log in with the provided credentials."


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
    token, _ = Token.objects.get_or_create(user=user)
    return token.key
