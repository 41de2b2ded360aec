"""Admin changelists run a fixed number of queries however many rows they show."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.moderation.services import moderation_remove_posts
from tests.factories import (
    FriendRequestFactory,
    FriendshipFactory,
    LikeFactory,
    MessageFactory,
    NotificationFactory,
    PostFactory,
    ReplyFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CHANGELISTS = {
    "/admin/accounts/user/": lambda: UserFactory(),
    "/admin/friends/friendrequest/": lambda: FriendRequestFactory(),
    "/admin/friends/friendship/": lambda: FriendshipFactory(),
    "/admin/posts/post/": lambda: PostFactory(),
    "/admin/posts/like/": lambda: LikeFactory(),
    "/admin/posts/reply/": lambda: ReplyFactory(),
    "/admin/notifications/notification/": lambda: NotificationFactory(),
    "/admin/notifications/notificationpreference/": lambda: _preference(),
    "/admin/notifications/muteduser/": lambda: _mute(),
    "/admin/direct_messages/message/": lambda: MessageFactory(),
    "/admin/moderation/moderationlog/": lambda: _log(),
}


def _preference():
    from apps.notifications.models import NotificationPreference

    return NotificationPreference.objects.create(user=UserFactory())


def _mute():
    from apps.notifications.models import MutedUser

    return MutedUser.objects.create(user=UserFactory(), muted=UserFactory())


def _log():
    return moderation_remove_posts(moderator=UserFactory(), ids=[PostFactory().id], reason="x")


@pytest.fixture
def superuser_client():
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("url", list(CHANGELISTS))
def test_changelist_query_count_does_not_grow_with_rows(superuser_client, url, pushes):
    make = CHANGELISTS[url]
    for _ in range(3):
        make()
    few = _queries(superuser_client, url)
    for _ in range(30):
        make()

    many = _queries(superuser_client, url)

    assert many == few


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/admin/accounts/user/?suspended={}", "suspended_at"),
        ("/admin/accounts/user/?limited={}", "limited_at"),
        ("/admin/posts/post/?removed={}", "removed_at"),
    ],
)
def test_timestamp_filters_list_rows_with_and_without_the_timestamp(superuser_client, url, field):
    from django.utils import timezone

    factory = PostFactory if "posts" in url else UserFactory
    marked, plain = factory(**{field: timezone.now()}), factory()

    shown = {
        answer: {
            row.pk for row in superuser_client.get(url.format(answer)).context["cl"].result_list
        }
        for answer in ("yes", "no")
    }

    assert shown["yes"] >= {marked.pk}
    assert plain.pk not in shown["yes"]
    assert shown["no"] >= {plain.pk}
    assert marked.pk not in shown["no"]
