"""Account services: registration and token issue."""

import pytest
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from rest_framework.authtoken.models import Token

from apps.accounts.models import User
from apps.accounts.services import (
    BAD_CREDENTIALS,
    USERNAME_TAKEN,
    token_obtain,
    user_register,
)
from apps.common.exceptions import ApplicationError
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_user_register_valid_input_stores_hashed_password_and_token():
    user, key = user_register(username="alice", password=PASSWORD)

    user.refresh_from_db()
    assert user.password != PASSWORD
    assert user.check_password(PASSWORD)
    assert Token.objects.get(user=user).key == key


def test_user_register_taken_username_raises_and_creates_nothing():
    UserFactory(username="alice")

    with pytest.raises(ApplicationError) as excinfo:
        user_register(username="Alice", password=PASSWORD)

    assert (excinfo.value.message, excinfo.value.field) == (USERNAME_TAKEN, "username")


def test_user_register_weak_password_raises_on_password_and_creates_nothing():
    with pytest.raises(ValidationError) as excinfo:
        user_register(username="alice", password="123")

    assert set(excinfo.value.message_dict) == {"password"}
    assert not User.objects.exists()


def test_token_obtain_called_twice_returns_same_key(user):
    first = token_obtain(username=user.username, password=PASSWORD)

    assert token_obtain(username=user.username, password=PASSWORD) == first


def test_token_obtain_inactive_user_raises_bad_credentials():
    user = UserFactory(is_active=False)

    with pytest.raises(ApplicationError, match=BAD_CREDENTIALS):
        token_obtain(username=user.username, password=PASSWORD)


def test_user_register_username_taken_after_checks_raises_username_taken(monkeypatch):
    real_validate = password_validation.validate_password

    def validate_while_someone_else_signs_up(password, user=None):
        # A concurrent sign-up takes the name after the uniqueness checks have passed.
        real_validate(password, user)
        UserFactory(username="alice")

    monkeypatch.setattr(
        password_validation, "validate_password", validate_while_someone_else_signs_up
    )

    with pytest.raises(ApplicationError) as excinfo:
        user_register(username="alice", password=PASSWORD)

    assert (excinfo.value.message, excinfo.value.field) == (USERNAME_TAKEN, "username")
