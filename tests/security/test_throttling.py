"""API write limits: each throttled endpoint answers 429 with a JSON error and Retry-After.

The test settings raise every rate so the rest of the suite is never throttled; these tests
lower them to 2 a minute.
"""

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient

from tests.factories import PASSWORD, UserFactory, make_friends
from tests.security.conftest import snapshot, token_client

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
RATE = 2
SCOPES = ("posts", "friend_requests", "blocks", "messages", "auth")
THROTTLED = re.compile(r"^Request was throttled\. Expected available in \d+ seconds?\.$")


@pytest.fixture(autouse=True)
def low_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(SCOPES, f"{RATE}/min"),
    }
    cache.clear()
    yield
    cache.clear()


def post(client: APIClient, path: str, data: dict, **extra: Any):
    return client.post(path, data, format="json", **extra)


def post_writer(user) -> Callable[[int], Any]:
    client = token_client(user)
    return lambda n: post(client, "/api/posts/", {"content": f"post {n}", "type": "thoughts"})


def friend_request_writer(user) -> Callable[[int], Any]:
    client, targets = token_client(user), UserFactory.create_batch(RATE + 1)
    return lambda n: post(client, "/api/friend-requests/", {"to_user": targets[n].pk})


def message_writer(user) -> Callable[[int], Any]:
    client, friend = token_client(user), UserFactory()
    make_friends(user, friend)
    return lambda n: post(client, "/api/messages/", {"to": friend.pk, "text": f"hi {n}"})


def block_writer(user) -> Callable[[int], Any]:
    client, targets = token_client(user), UserFactory.create_batch(RATE + 1)
    return lambda n: post(client, "/api/blocks/", {"user": targets[n].pk})


def register_writer(user) -> Callable[[int], Any]:
    client = APIClient()
    names = count()
    return lambda n: post(
        client, "/api/auth/register/", {"username": f"new{next(names)}", "password": PASSWORD}
    )


def login_writer(user) -> Callable[[int], Any]:
    client = APIClient()
    return lambda n: post(
        client, "/api/auth/token/", {"username": user.username, "password": PASSWORD}
    )


WRITERS = {
    "posts": (post_writer, 201),
    "friend_requests": (friend_request_writer, 201),
    "blocks": (block_writer, 201),
    "messages": (message_writer, 201),
    "register": (register_writer, 201),
    "login": (login_writer, 200),
}


@pytest.mark.parametrize("name", WRITERS)
def test_write_over_the_rate_is_429_with_json_error_and_retry_after(name, user):
    make_writer, ok = WRITERS[name]
    write = make_writer(user)
    allowed = [write(n).status_code for n in range(RATE)]
    before = snapshot()

    refused = write(RATE)

    assert allowed == [ok] * RATE
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "throttled"
    assert THROTTLED.match(body["detail"]), body
    assert 0 < int(refused["Retry-After"]) <= 60
    assert snapshot() == before


def test_reads_of_a_throttled_view_are_not_counted(user):
    client = token_client(user)
    for n in range(RATE):
        post(client, "/api/posts/", {"content": f"{n}", "type": "thoughts"})

    reads = [client.get("/api/posts/").status_code for _ in range(RATE + 3)]
    refused = post(client, "/api/posts/", {"content": "one more", "type": "thoughts"})

    assert reads == [200] * (RATE + 3)
    assert refused.status_code == 429


def test_each_user_has_their_own_count(user):
    write = post_writer(user)
    for n in range(RATE + 1):
        write(n)

    other = post_writer(UserFactory())

    assert other(0).status_code == 201


def test_sign_up_and_login_share_one_count_per_client_ip(user):
    client = APIClient()
    post(client, "/api/auth/register/", {"username": "newcomer", "password": PASSWORD})
    post(client, "/api/auth/token/", {"username": user.username, "password": PASSWORD})

    refused = post(client, "/api/auth/token/", {"username": user.username, "password": PASSWORD})
    other_ip = post(
        client,
        "/api/auth/token/",
        {"username": user.username, "password": PASSWORD},
        REMOTE_ADDR="10.9.8.7",
    )

    assert refused.status_code == 429
    assert other_ip.status_code == 200


def test_x_forwarded_for_does_not_buy_a_new_count(user):
    """The client IP is REMOTE_ADDR (set by uvicorn from the trusted proxy); a client's own
    X-Forwarded-For header must not pick a fresh throttle key."""
    client = APIClient()
    login = {"username": user.username, "password": PASSWORD}
    for n in range(RATE):
        post(client, "/api/auth/token/", login, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")

    refused = post(client, "/api/auth/token/", login, HTTP_X_FORWARDED_FOR="198.51.100.99")

    assert refused.status_code == 429


def test_writes_go_through_uncounted_when_the_cache_is_down(user):
    dead_redis = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    write = post_writer(user)

    with override_settings(CACHES=dead_redis):
        statuses = [write(n).status_code for n in range(RATE + 2)]

    assert statuses == [201] * (RATE + 2)


# --- The configured rates and the cache they count in ------------------------------------


def dev_settings(*names: str, **env: str) -> dict:
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "project.settings.dev",
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_default_rates_and_a_per_process_cache_without_redis():
    values = dev_settings("REST_FRAMEWORK", "CACHES")

    assert values["REST_FRAMEWORK"]["DEFAULT_THROTTLE_RATES"] == {
        "posts": "30/min",
        "friend_requests": "20/min",
        "blocks": "30/min",
        "messages": "60/min",
        "auth": "10/min",
    }
    assert values["REST_FRAMEWORK"]["NUM_PROXIES"] == 0
    assert values["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")


def test_rates_come_from_the_environment_and_redis_url_shares_the_count():
    values = dev_settings(
        "REST_FRAMEWORK",
        "CACHES",
        RIPPLE_THROTTLE_POSTS="5/hour",
        REDIS_URL="redis://a.invalid:6379/0,redis://b.invalid:6379/0",
    )

    assert values["REST_FRAMEWORK"]["DEFAULT_THROTTLE_RATES"]["posts"] == "5/hour"
    cache_settings = values["CACHES"]["default"]
    assert cache_settings["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert cache_settings["LOCATION"] == "redis://a.invalid:6379/0"


def test_redis_cache_url_overrides_the_channel_layer_redis():
    values = dev_settings(
        "CACHES", REDIS_URL="redis://a.invalid:6379/0", REDIS_CACHE_URL="redis://c.invalid/1"
    )

    assert values["CACHES"]["default"]["LOCATION"] == "redis://c.invalid/1"
