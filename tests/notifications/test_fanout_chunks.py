"""Large fan-outs in chunks: the first in the post's transaction (the friends online now,
else the first in id order), the rest after it commits, each friend exactly once, in a
constant number of statements."""

from io import StringIO

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.accounts.services import users_suspend
from apps.notifications.models import Notification, PostFanout
from apps.notifications.realtime.events import user_group
from apps.notifications.services import notifications_create_for_post
from apps.notifications.services.fanout import post_fanout_continue
from apps.posts.services import post_create, posts_remove
from tests.factories import PostFactory, UserFactory, make_friends

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_chunks(settings):
    settings.RIPPLE_FANOUT_CHUNK_SIZE = 2


@pytest.fixture
def online():
    """Give users an open connection in the realtime presence (the in-memory layer's groups
    here); closed again after the test."""
    layer = get_channel_layer()
    assert layer is not None
    marked: list[tuple[str, str]] = []

    def connect(*users) -> None:
        for user in users:
            group, channel = user_group(user.pk), f"test.online!{user.pk}"
            async_to_sync(layer.group_add)(group, channel)
            marked.append((group, channel))

    yield connect
    for group, channel in marked:
        async_to_sync(layer.group_discard)(group, channel)


def _author_with_friends(count: int):
    author = UserFactory()
    friends = UserFactory.create_batch(count)
    for friend in friends:
        make_friends(author, friend)
    return author, friends


def _rows_per_recipient(post) -> dict[int, int]:
    rows = Notification.objects.filter(post=post).values_list("recipient_id", flat=True)
    counts: dict[int, int] = {}
    for recipient_id in rows:
        counts[recipient_id] = counts.get(recipient_id, 0) + 1
    return counts


@pytest.mark.parametrize(("count", "online_step"), [(5, None), (7, 3)], ids=["offline", "online"])
def test_a_post_past_the_chunk_size_reaches_every_friend_once_after_commit(
    pushes, online, django_capture_on_commit_callbacks, count, online_step
):
    author, friends = _author_with_friends(count)
    if online_step:
        online(*friends[::online_step])

    with django_capture_on_commit_callbacks(execute=True):
        post = post_create(author=author, content="to many", type="thoughts")

    assert _rows_per_recipient(post) == {friend.id: 1 for friend in friends}
    assert not PostFanout.objects.exists()
    pushed = sorted(user_id for batch in pushes.batches for user_id, _ in batch)
    assert pushed == sorted(friend.id for friend in friends)


def test_the_first_chunk_is_stored_in_the_posting_transaction_the_rest_after_commit(
    pushes, django_capture_on_commit_callbacks
):
    author, friends = _author_with_friends(5)
    post = PostFactory(author=author)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        stored = notifications_create_for_post(post=post)

    assert stored == 2
    first_two = sorted(f.id for f in friends)[:2]
    assert sorted(_rows_per_recipient(post)) == first_two
    assert PostFanout.objects.get(post=post).after_friend_id == first_two[-1]
    # The first chunk's push and its Web Push enqueue, then the remaining chunks.
    assert len(callbacks) == 3


def test_a_chunk_run_again_stores_nothing_twice(pushes, django_capture_on_commit_callbacks):
    author, friends = _author_with_friends(5)
    post = PostFactory(author=author)
    with django_capture_on_commit_callbacks(execute=False):
        notifications_create_for_post(post=post)

    remaining = [post_fanout_continue(post_id=post.pk) for _ in range(4)]

    assert remaining == [True, False, False, False]
    assert _rows_per_recipient(post) == {friend.id: 1 for friend in friends}


def test_chunks_stop_when_the_post_is_removed(pushes, django_capture_on_commit_callbacks):
    author, _ = _author_with_friends(5)
    moderator = UserFactory()
    post = PostFactory(author=author)
    with django_capture_on_commit_callbacks(execute=False):
        notifications_create_for_post(post=post)

    posts_remove(post_ids=[post.pk], by=moderator, reason="spam")
    more = post_fanout_continue(post_id=post.pk)

    assert more is False
    assert not Notification.objects.filter(post=post).exists()
    assert not PostFanout.objects.exists()


def test_chunks_stop_when_the_author_is_suspended(pushes, django_capture_on_commit_callbacks):
    author, _ = _author_with_friends(5)
    post = PostFactory(author=author)
    with django_capture_on_commit_callbacks(execute=False):
        notifications_create_for_post(post=post)

    users_suspend(user_ids=[author.pk], reason="spam")
    more = post_fanout_continue(post_id=post.pk)

    assert more is False
    assert not Notification.objects.filter(post=post).exists()
    assert not PostFanout.objects.exists()


def test_every_chunk_shares_the_posts_instant_and_group(
    pushes, django_capture_on_commit_callbacks, clock
):
    author, _ = _author_with_friends(5)
    with django_capture_on_commit_callbacks(execute=False):
        post = post_create(author=author, content="first", type="thoughts")
    clock.advance(seconds=30)

    while post_fanout_continue(post_id=post.pk):
        pass

    rows = Notification.objects.filter(post=post)
    assert len({row.created_at for row in rows}) == 1
    assert len({row.group_key for row in rows}) == 1


def test_a_chunk_runs_the_same_statements_for_few_and_many_friends(
    settings, pushes, django_capture_on_commit_callbacks, django_assert_num_queries
):
    settings.RIPPLE_FANOUT_CHUNK_SIZE = 3
    small_author, _ = _author_with_friends(4)  # a chunk of 1 follows the first
    large_author, _ = _author_with_friends(6)  # a chunk of 3 follows the first
    small, large = PostFactory(author=small_author), PostFactory(author=large_author)
    with django_capture_on_commit_callbacks(execute=False):
        notifications_create_for_post(post=small)
        notifications_create_for_post(post=large)

    with CaptureQueriesContext(connection) as few:
        post_fanout_continue(post_id=small.pk)
    with django_assert_num_queries(len(few.captured_queries)):
        post_fanout_continue(post_id=large.pk)

    assert Notification.objects.filter(post=large).count() == 6


def test_resume_fanouts_finishes_what_a_stopped_process_left(
    pushes, django_capture_on_commit_callbacks
):
    author, friends = _author_with_friends(5)
    with django_capture_on_commit_callbacks(execute=False), transaction.atomic():
        post = post_create(author=author, content="interrupted", type="thoughts")

    call_command("resume_fanouts", stdout=StringIO())

    assert _rows_per_recipient(post) == {friend.id: 1 for friend in friends}


def test_friends_online_are_stored_in_the_posting_transaction_before_the_rest(
    pushes, online, django_capture_on_commit_callbacks
):
    author, friends = _author_with_friends(5)
    by_id = sorted(friends, key=lambda friend: friend.id)
    online(by_id[1], by_id[4], UserFactory())  # two friends and a stranger
    post = PostFactory(author=author)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        stored = notifications_create_for_post(post=post)

    assert stored == 2
    assert _rows_per_recipient(post) == {by_id[1].id: 1, by_id[4].id: 1}
    progress = PostFanout.objects.get(post=post)
    assert (progress.after_friend_id, progress.first_ids) == (0, [by_id[1].id, by_id[4].id])
    for callback in callbacks:
        callback()
    first_push = sorted(user_id for user_id, _ in pushes.batches[0])
    assert first_push == [by_id[1].id, by_id[4].id]


def test_at_most_a_chunk_of_online_friends_comes_first_lowest_ids_first(
    pushes, online, django_capture_on_commit_callbacks
):
    author, friends = _author_with_friends(5)
    online(*friends)
    post = PostFactory(author=author)

    with django_capture_on_commit_callbacks(execute=True):
        stored = notifications_create_for_post(post=post)

    assert stored == 2
    assert _rows_per_recipient(post) == {friend.id: 1 for friend in friends}


def test_with_more_users_online_than_listed_the_friends_are_checked_instead(
    settings, pushes, online, django_capture_on_commit_callbacks
):
    settings.RIPPLE_FANOUT_ONLINE_LIST_MAX = 1
    author, friends = _author_with_friends(5)
    online(friends[2], UserFactory(), UserFactory())
    post = PostFactory(author=author)

    with django_capture_on_commit_callbacks(execute=False):
        notifications_create_for_post(post=post)

    assert _rows_per_recipient(post) == {friends[2].id: 1}


def test_a_resumed_fan_out_with_online_friends_first_stores_nothing_twice(
    pushes, online, django_capture_on_commit_callbacks
):
    author, friends = _author_with_friends(6)
    online(*friends[1::2])
    with django_capture_on_commit_callbacks(execute=False), transaction.atomic():
        post = post_create(author=author, content="interrupted", type="thoughts")
    post_fanout_continue(post_id=post.pk)  # then the process stopped

    call_command("resume_fanouts", stdout=StringIO())
    call_command("resume_fanouts", stdout=StringIO())
    more = post_fanout_continue(post_id=post.pk)

    assert more is False
    assert _rows_per_recipient(post) == {friend.id: 1 for friend in friends}


def test_a_large_chunk_builds_frames_for_its_online_recipients_only(
    settings, monkeypatch, pushes, online, django_capture_on_commit_callbacks
):
    settings.RIPPLE_FANOUT_CHUNK_SIZE = 10
    monkeypatch.setattr("apps.notifications.services.fanout.PUSH_PRESENCE_FIRST", 3)
    author, friends = _author_with_friends(5)
    online(friends[0], friends[3])

    with django_capture_on_commit_callbacks(execute=True):
        post = post_create(author=author, content="to a few online", type="thoughts")

    assert _rows_per_recipient(post) == {friend.id: 1 for friend in friends}
    assert sorted(user_id for user_id, _ in pushes) == sorted([friends[0].id, friends[3].id])
