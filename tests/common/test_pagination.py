"""Cursors are client input: every list answers a tampered one with a 400, never a 500."""

from base64 import b64encode
from collections.abc import Callable
from datetime import timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.accounts.serializers import UserRefSerializer
from apps.common.pagination import NewestFirstCursorPagination, get_paginated_response
from apps.notifications.services import muted_user_create
from tests.factories import (
    BlockFactory,
    FriendRequestFactory,
    MessageFactory,
    NotificationFactory,
    PostFactory,
    ReplyFactory,
    UserFactory,
    make_friends,
)

pytestmark = pytest.mark.django_db

# Every list that pages with NewestFirstCursorPagination, one entry per ordering it uses.
# `{post}` and `{friend}` are filled in from the `world` fixture.
ENDPOINTS = {
    "notifications": "/api/notifications/",
    "notifications-after": "/api/notifications/?after=0",
    "notifications-grouped": "/api/notifications/?grouped=true",
    "friend-requests": "/api/friend-requests/",
    "friends": "/api/friends/",
    "posts": "/api/posts/",
    "replies": "/api/posts/{post}/replies/",
    "messages": "/api/messages/?with={friend}",
    "muted-users": "/api/muted-users/",
    "blocks": "/api/blocks/",
    "users": "/api/users/?username=u",
}

INVALID = {
    "detail": "cursor: Invalid cursor.",
    "code": "invalid",
    "fields": {"cursor": ["Invalid cursor."]},
}


def encode(querystring: str) -> str:
    return b64encode(querystring.encode()).decode()


def cursor(**tokens: str) -> str:
    """A cursor as DRF builds one: `p` position, `r` reverse, `o` offset."""
    return encode(urlencode(tokens))


@pytest.fixture
def world() -> dict:
    """A caller with something in every list, so each cursor reaches a real WHERE clause."""
    alice, bob, carol = UserFactory(), UserFactory(), UserFactory()
    make_friends(alice, bob)
    post = PostFactory(author=bob)
    ReplyFactory.create_batch(2, post=post, author=bob)
    MessageFactory.create_batch(2, sender=bob, recipient=alice)
    NotificationFactory.create_batch(2, recipient=alice, actor=bob, post=post)
    FriendRequestFactory(from_user=carol, to_user=alice)
    muted_user_create(user=alice, muted=carol)
    BlockFactory(blocker=alice)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(alice)
    return {"client": client, "post": post.pk, "friend": bob.pk}


def url_for(world: dict, name: str, cursor: str) -> str:
    path = ENDPOINTS[name].format(**world)
    return f"{path}{'&' if '?' in path else '?'}cursor={cursor}"


def _view_class(callback: Callable[..., Any]) -> type | None:
    """The APIView class behind an `as_view()` callback (DRF sets `cls` on it)."""
    return getattr(callback, "cls", None)


def _paginated_views(resolver: URLResolver) -> set[type]:
    views = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            views |= _paginated_views(pattern)
        elif isinstance(pattern, URLPattern):
            view = _view_class(pattern.callback)
            paginator = getattr(view, "pagination_class", None)
            if (
                view is not None
                and isinstance(paginator, type)
                and issubclass(paginator, NewestFirstCursorPagination)
            ):
                views.add(view)
    return views


def test_every_cursor_paginated_list_is_covered(world):
    paths = [path.format(**world).split("?")[0] for path in ENDPOINTS.values()]
    covered = {_view_class(resolve(path).func) for path in paths}

    assert _paginated_views(get_resolver()) <= covered


@pytest.mark.parametrize(
    ("name", "position"),
    [
        ("notifications", "abc"),  # the id ordering takes an integer
        ("notifications", str(2**63)),  # beyond 64 bits: SQLite overflows
        ("notifications-grouped", "abc"),  # an annotation's type counts too
        ("friends", "a\x00b"),  # PostgreSQL text cannot hold NUL
        ("users", "\x00"),
        ("posts", "yesterday"),
        ("posts", "9999-12-31 23:59:59-01:00"),  # past year 9999 in UTC
        ("replies", "0001-01-01 00:00:00+23:59"),  # before year 1 in UTC
    ],
)
def test_tampered_cursor_position_is_a_400_naming_cursor(world, name, position):
    response = world["client"].get(url_for(world, name, cursor(p=position)))

    assert response.status_code == 400
    assert response.json() == INVALID


@pytest.mark.parametrize(
    "value",
    [
        "cD1hYmM=",  # p=abc
        cursor(o="-1"),
        cursor(r="x"),
        "\N{SNOWMAN}",  # not ASCII, so not base64
        encode("p=\N{SNOWMAN}"),  # decodes, but DRF's cursors are ASCII
    ],
)
def test_undecodable_cursor_is_a_400_not_drf_404(world, value):
    response = world["client"].get(url_for(world, "notifications", value))

    assert response.status_code == 400
    assert response.json() == INVALID


def test_datetime_position_with_a_wide_offset_is_compared_in_utc(world):
    # PostgreSQL refuses offsets beyond ±15:59; the position is converted to UTC first.
    wide = cursor(p="2999-01-01 00:00:00+23:50")

    response = world["client"].get(url_for(world, "posts", wide))

    assert response.status_code == 200
    assert [post["id"] for post in response.json()["results"]] == [world["post"]]


def test_next_links_still_page_through_every_list(world):
    client = world["client"]
    for name in ENDPOINTS:
        path = ENDPOINTS[name].format(**world)
        url = f"{path}{'&' if '?' in path else '?'}page_size=1"
        pages = 0
        while url:
            response = client.get(url)
            assert response.status_code == 200, (name, response.json())
            url = response.json()["next"]
            pages += 1
        assert pages >= 1


offsets = st.timedeltas(
    min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)
).map(timezone)
values = st.one_of(
    st.text(),
    st.integers().map(str),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.datetimes(timezones=offsets).map(str),
    st.datetimes(timezones=offsets).map(lambda value: value.isoformat()),
    st.dates().map(str),
)
querystrings = st.lists(
    st.tuples(st.sampled_from(["p", "r", "o"]) | st.text(max_size=2), values), max_size=4
).map(urlencode)


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_random_decodable_cursors_never_cause_a_server_error(world, name):
    @settings(
        max_examples=60,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(querystring=querystrings)
    def check(querystring: str) -> None:
        # Each example in a savepoint of its own: a database error cannot spoil the next one.
        savepoint = transaction.savepoint()
        try:
            response = world["client"].get(url_for(world, name, encode(querystring)))
        finally:
            transaction.savepoint_rollback(savepoint)
        assert response.status_code < 500, (querystring, response.content)
        assert response["Content-Type"] == "application/json"
        body = response.json()
        if response.status_code == 400:
            assert body == INVALID
        else:
            assert response.status_code == 200
            assert set(body) == {"next", "previous", "results"}

    check()


class _TwoByName(NewestFirstCursorPagination):
    ordering = ("username", "id")
    page_size = 2


def _page_request(query: dict | None = None) -> Request:
    return Request(APIRequestFactory().get("/api/users/", query))


def test_paginated_response_serialises_one_page_with_its_links():
    users = [UserFactory(username=name) for name in ("c", "a", "b")]

    response = get_paginated_response(
        pagination_class=_TwoByName,
        serializer_class=UserRefSerializer,
        queryset=User.objects.filter(pk__in=[user.pk for user in users]),
        request=_page_request(),
        view=APIView(),
    )

    assert [row["username"] for row in response.data["results"]] == ["a", "b"]
    assert response.data["previous"] is None
    assert "cursor=" in response.data["next"]


def test_paginated_response_expands_only_the_rows_of_the_page():
    users = [UserFactory(username=name) for name in ("c", "a", "b")]
    seen: list[list[str]] = []

    def expand(page: list[User]) -> list[dict]:
        seen.append([user.username for user in page])
        return [{"id": user.pk, "username": user.username.upper()} for user in page]

    response = get_paginated_response(
        pagination_class=_TwoByName,
        serializer_class=UserRefSerializer,
        queryset=User.objects.filter(pk__in=[user.pk for user in users]),
        request=_page_request({"page_size": 1}),
        view=APIView(),
        expand=expand,
    )

    assert seen == [["a"]]
    assert [row["username"] for row in response.data["results"]] == ["A"]
