"""Quiet hours: pushes wait until the user's daily window ends, then go, collapsed."""

from datetime import UTC, datetime, time

import pytest

from apps.direct_messages.services import message_send
from apps.notifications.models import Notification, NotificationPreference, PushSubscription
from apps.notifications.webpush import tasks
from apps.notifications.webpush.delivery import messages_for_pairs
from apps.notifications.webpush.quiet import quiet_until
from apps.posts.models import Post
from apps.posts.services import post_create
from project.celery import app
from tests.factories import UserFactory, make_friends
from tests.notifications.webpush.test_delivery import subscribe

pytestmark = pytest.mark.django_db

# 23:30 in Paris (UTC+1 in December): inside a 22:00-07:00 window that ends at 06:00 UTC.
NIGHT = datetime(2026, 12, 5, 22, 30, tzinfo=UTC)
WINDOW_END = datetime(2026, 12, 6, 6, 0, tzinfo=UTC)


def quiet(user, **extra) -> NotificationPreference:
    return NotificationPreference.objects.create(
        user=user, quiet_start=time(22), quiet_end=time(7), time_zone="Europe/Paris", **extra
    )


@pytest.mark.parametrize(
    ("start", "end", "now", "until"),
    [
        (time(22), time(7), NIGHT, WINDOW_END),
        (time(22), time(7), datetime(2026, 12, 6, 5, 0, tzinfo=UTC), WINDOW_END),
        (time(22), time(7), datetime(2026, 12, 5, 20, 59, tzinfo=UTC), None),
        (time(22), time(7), WINDOW_END, None),
        (
            time(13),
            time(14),
            datetime(2026, 12, 5, 12, 30, tzinfo=UTC),
            datetime(2026, 12, 5, 13, tzinfo=UTC),
        ),
        (time(9), time(9), NIGHT, None),
    ],
)
def test_quiet_until_in_the_users_time_zone(start, end, now, until):
    preference = NotificationPreference(quiet_start=start, quiet_end=end, time_zone="Europe/Paris")

    assert quiet_until(preference, now) == until


@pytest.fixture
def held(monkeypatch):
    """The deferred tasks, as a worker would receive them (tasks run eagerly in the tests,
    where quiet hours could not wait)."""
    calls: list[tuple[tuple, float]] = []
    monkeypatch.setattr(
        tasks.webpush_retry,
        "apply_async",
        lambda args, countdown=0: calls.append((args, countdown)),
    )
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield calls
    app.conf.task_always_eager = eager


def send_range_of(post: Post) -> None:
    ids = list(Notification.objects.filter(post=post).values_list("id", flat=True))
    tasks.webpush_send_range("new_post", post.author_id, post.id, min(ids), max(ids))


def test_pushes_wait_for_the_end_of_the_window_then_go_collapsed(
    push_service, held, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(NIGHT, tick=False)
    author, friend = UserFactory.create_batch(2)
    make_friends(author, friend)
    subscribe(push_service, friend, "phone")
    quiet(friend)
    with django_capture_on_commit_callbacks(execute=False):
        posts = [post_create(author=author, content=f"p{i}", type="thoughts") for i in range(2)]

    for post in posts:
        send_range_of(post)

    assert push_service.arrivals == []
    assert [args[2] for args, _ in held] == [WINDOW_END.timestamp()] * 2
    pairs = [pair for args, _ in held for pair in args[0]]

    # Before the end a task only hops on, at most QUIET_HOP_SECONDS at a time.
    time_machine.move_to(datetime(2026, 12, 6, 5, 0, tzinfo=UTC), tick=False)
    tasks.webpush_retry(*held[0][0])
    assert held[-1][1] == tasks.QUIET_HOP_SECONDS
    assert push_service.arrivals == []

    time_machine.move_to(WINDOW_END, tick=False)
    sent = tasks.webpush_retry(pairs, 1, WINDOW_END.timestamp())

    assert sent == 1  # one group: only the newest of the burst
    (arrival,) = push_service.delivered()
    assert arrival.payload["notification"]["group"]["count"] == 2


def test_messages_come_through_unless_the_user_says_otherwise(
    push_service, held, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(NIGHT, tick=False)
    sender, open_, strict = UserFactory.create_batch(3)
    quiet(open_)
    quiet(strict, quiet_allow_messages=False)
    for recipient, name in ((open_, "open"), (strict, "strict")):
        make_friends(sender, recipient)
        subscribe(push_service, recipient, name)

    for recipient in (open_, strict):
        with django_capture_on_commit_callbacks(execute=False):
            message_send(sender=sender, recipient=recipient, text="still up?")
        notification = Notification.objects.get(recipient=recipient)
        tasks.webpush_send_range("new_message", sender.id, None, notification.id, notification.id)

    assert [a.name for a in push_service.delivered()] == ["open"]
    assert len(held) == 1


def test_without_a_worker_held_pushes_are_dropped_not_sent(
    push_service, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(NIGHT, tick=False)
    author, friend = UserFactory.create_batch(2)
    make_friends(author, friend)
    subscribe(push_service, friend, "phone")
    quiet(friend)

    with django_capture_on_commit_callbacks(execute=True):
        post_create(author=author, content="late", type="thoughts")

    assert push_service.arrivals == []
    assert Notification.objects.filter(recipient=friend).count() == 1
    assert PushSubscription.objects.count() == 1


def test_a_retry_of_one_group_sends_the_newest_only(
    push_service, django_capture_on_commit_callbacks
):
    author, friend = UserFactory.create_batch(2)
    make_friends(author, friend)
    subscribe(push_service, friend, "phone")
    with django_capture_on_commit_callbacks(execute=False):
        for i in range(3):
            post_create(author=author, content=f"p{i}", type="thoughts")
    subscription = PushSubscription.objects.get()
    ids = sorted(Notification.objects.filter(recipient=friend).values_list("id", flat=True))

    batch = messages_for_pairs([(subscription.id, i) for i in ids])

    assert [m.notification_id for m in batch.messages] == [ids[-1]]
