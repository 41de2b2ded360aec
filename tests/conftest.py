"""Shared fixtures: API clients, users, the channel layer, and the real-services gate."""

import os
from collections.abc import Callable

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.accounts.models import User
from tests.factories import UserFactory, make_friends


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db) -> User:
    return UserFactory()


@pytest.fixture
def client_for(db) -> Callable[[User], APIClient]:
    """An API client authenticated with the user's token."""

    def make(user: User) -> APIClient:
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def friends(db) -> tuple[User, User]:
    a, b = UserFactory(), UserFactory()
    make_friends(a, b)
    return a, b


@pytest.fixture(autouse=True)
def _in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tests marked `services` need real PostgreSQL and Redis.

    On a laptop without them they skip, saying why; under CI=true a missing service fails.
    """
    if "services" not in item.keywords:
        return
    from tests.services import missing_services

    missing = missing_services()
    if not missing:
        return
    reason = "needs " + " and ".join(missing)
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but this test {reason}", pytrace=False)
    pytest.skip(reason)
