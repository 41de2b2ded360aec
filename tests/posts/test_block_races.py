"""A like or a reply racing a block between its author and the post's author."""

import threading

import pytest
from django.db import connection, transaction

from apps.common.exceptions import NotFoundError
from apps.friends.services import block_create
from apps.notifications.models import Notification
from apps.posts.models import Like, Reply
from apps.posts.services import post_like, reply_create
from tests.factories import PostFactory, UserFactory, make_friends
from tests.locks import waits_on_a_lock

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    "act",
    [
        lambda post, user: post_like(post=post, user=user),
        lambda post, user: reply_create(post=post, author=user, content="hi"),
    ],
    ids=["like", "reply"],
)
def test_an_activity_racing_a_block_leaves_nothing_in_the_blockers_inbox(act):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time; the race needs PostgreSQL")
    author, friend = UserFactory(), UserFactory()
    make_friends(author, friend)
    post = PostFactory(author=author)
    blocked, release = threading.Event(), threading.Event()
    outcome: list[object] = []

    def block() -> None:
        try:
            with transaction.atomic():
                block_create(blocker=author, blocked=friend)
                blocked.set()
                assert release.wait(10)
        finally:
            connection.close()

    def activity() -> None:
        try:
            # The post was found visible before the block started.
            act(post, friend)
            outcome.append("stored")
        except NotFoundError as error:
            outcome.append(error)
        finally:
            connection.close()

    blocker = threading.Thread(target=block)
    blocker.start()
    assert blocked.wait(10)
    actor = threading.Thread(target=activity)
    actor.start()
    # Before the block commits: a held friendship makes the activity wait for it.
    waits_on_a_lock(seconds=2)
    release.set()
    blocker.join(10)
    actor.join(10)

    assert not Notification.objects.filter(recipient=author, actor=friend).exists()
    assert not Like.objects.filter(user=friend).exists()
    assert not Reply.objects.filter(author=friend).exists()
    assert [type(result) for result in outcome] == [NotFoundError]
