"""An ex-friend keeps no notification of the other's posts, even racing the unfriending.

The unfriend deletes the friendship rows, then retracts the two users' `new_post`
notifications of each other: those made before it go, and a post made after it notifies
no ex-friend in the first place.

"After" is defined on the database: the post's fan-out (notifications_create_for_post)
started after the unfriend's transaction had committed. A fan-out that read the friendship
before that commit belongs to a post made before the unfriending, whatever the order in
which the two transactions then commit.

Why it holds, under PostgreSQL's READ COMMITTED:

- each statement of the fan-out (the chunk's read of the friendship rows, then INSERT ...
  SELECT over the friendship table) reads a snapshot taken when the statement starts, so a
  fan-out that starts after the unfriend committed cannot see the deleted rows;
- that first read also share-locks (KEY SHARE) the author's friendship rows, which a
  DELETE must wait for, and a DELETE in flight makes it wait. A fan-out that reaches the
  rows while an unfriend is in flight waits for it, then skips the deleted rows; an
  unfriend that reaches them while a fan-out is in flight waits for the post to commit.
  Either way the outcome follows commit order: the ex-friend gets the notification only if
  the post committed first, and then the unfriend's retraction, a statement that starts
  after the wait, sees it and deletes it.

These tests run the two sides in threads with real PostgreSQL transactions and hold each
one open at the interesting point.
"""

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction

import apps.posts.services as post_services
from apps.friends.models import Friendship
from apps.friends.services import friendship_delete
from apps.notifications.models import Notification
from apps.notifications.services import notifications_create_for_post
from apps.posts.services import post_create
from tests.factories import UserFactory, make_friends

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

WAIT = 10
ROUNDS = 20


class Worker(threading.Thread):
    """Runs `target` on its own database connection; keeps its result, error and backend pid."""

    def __init__(self, target: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.target = target
        self.result: Any = None
        self.error: BaseException | None = None
        self.pid: int | None = None
        self.started_pid = threading.Event()

    def run(self) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.pid = cursor.fetchone()[0]
            self.started_pid.set()
            self.result = self.target()
        except BaseException as error:  # re-raised in the test thread by `outcome`
            self.error = error
        finally:
            self.started_pid.set()
            connection.close()

    def outcome(self) -> Any:
        self.join(WAIT)
        assert not self.is_alive(), "worker thread hung"
        if self.error:
            raise self.error
        return self.result


def start(target: Callable[[], Any]) -> Worker:
    worker = Worker(target)
    worker.start()
    assert worker.started_pid.wait(WAIT)
    return worker


def wait_until_blocked_on_a_lock(worker: Worker) -> None:
    deadline = time.monotonic() + WAIT
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [worker.pid]
            )
            row = cursor.fetchone()
            if row and row[0] == "Lock":
                return
            time.sleep(0.01)
    raise AssertionError("the worker never waited on a lock")


def notified(user, post) -> bool:
    return Notification.objects.filter(recipient=user, post=post).exists()


@pytest.fixture
def trio():
    """An author with two friends; `leaving` is about to be unfriended, `staying` is not."""
    author, leaving, staying = UserFactory(), UserFactory(), UserFactory()
    make_friends(author, leaving)
    make_friends(author, staying)
    return author, leaving, staying


def unfriend(author, leaving, by: str) -> None:
    if by == "author":
        friendship_delete(user=author, friend_id=leaving.pk)
    else:
        friendship_delete(user=leaving, friend_id=author.pk)


@pytest.mark.parametrize("by", ["author", "ex_friend"])
def test_fan_out_reaching_an_unfriend_in_flight_waits_then_skips_the_ex_friend(trio, by):
    author, leaving, staying = trio
    deleted, release = threading.Event(), threading.Event()

    def unfriend_and_hold() -> None:
        with transaction.atomic():
            unfriend(author, leaving, by)
            deleted.set()
            assert release.wait(WAIT)

    unfriending = start(unfriend_and_hold)
    assert deleted.wait(WAIT)
    posting = start(lambda: post_create(author=author, content="racing", type="thoughts"))
    wait_until_blocked_on_a_lock(posting)
    release.set()
    unfriending.outcome()
    post = posting.outcome()

    assert not notified(leaving, post)
    assert notified(staying, post)
    assert not Friendship.objects.filter(user=author, friend=leaving).exists()


@pytest.mark.parametrize("by", ["author", "ex_friend"])
def test_unfriend_reaching_a_fan_out_in_flight_waits_for_it_then_retracts_it(trio, by):
    author, leaving, staying = trio
    posted, release = threading.Event(), threading.Event()

    def post_and_hold():
        with transaction.atomic():
            post = post_create(author=author, content="just before", type="thoughts")
            posted.set()
            assert release.wait(WAIT)
        return post

    posting = start(post_and_hold)
    assert posted.wait(WAIT)
    unfriending = start(lambda: unfriend(author, leaving, by))
    wait_until_blocked_on_a_lock(unfriending)
    release.set()
    post = posting.outcome()
    unfriending.outcome()

    # The post committed first, while they were friends; the retraction saw it.
    assert not notified(leaving, post)
    assert notified(staying, post)
    assert not Friendship.objects.filter(user=author, friend=leaving).exists()


def test_post_whose_fan_out_starts_after_the_unfriend_committed_skips_the_ex_friend(
    trio, monkeypatch
):
    """The post's transaction began first (its row is written) but its fan-out began
    after the unfriend committed: a post made after the unfriending."""
    author, leaving, staying = trio
    at_fan_out, go = threading.Event(), threading.Event()
    fan_out = notifications_create_for_post

    def gated(*, post):
        at_fan_out.set()
        assert go.wait(WAIT)
        return fan_out(post=post)

    monkeypatch.setattr(post_services, "notifications_create_for_post", gated)
    posting = start(lambda: post_create(author=author, content="after", type="thoughts"))
    assert at_fan_out.wait(WAIT)
    unfriend(author, leaving, "ex_friend")  # commits: this thread is in autocommit
    go.set()
    post = posting.outcome()

    assert not notified(leaving, post)
    assert notified(staying, post)


@pytest.mark.parametrize("by", ["author", "ex_friend"])
def test_racing_posts_and_unfriends_leave_the_ex_friend_no_notification(trio, monkeypatch, by):
    """Many unsynchronised races: whichever side wins, the ex-friend ends with no
    notification of the post (skipped by a later fan-out, or retracted)."""
    author, leaving, staying = trio
    fan_out = notifications_create_for_post
    fan_out_started: dict[int, float] = {}

    def timed(*, post):
        fan_out_started[post.pk] = time.monotonic()
        return fan_out(post=post)

    monkeypatch.setattr(post_services, "notifications_create_for_post", timed)
    # From a 6 ms head start for the post to 6 ms for the unfriend, so both orders occur;
    # then, only if no fan-out has yet started after an unfriend (a busy machine stretches
    # every step), ever longer head starts for the unfriend until one does.
    leads = [(round_ % 7 - 3) * 0.002 for round_ in range(ROUNDS)]
    leads += [-0.01 * 2**step for step in range(7)]
    after = 0
    for round_, lead in enumerate(leads):
        if round_ >= ROUNDS and after:
            break
        if round_:
            make_friends(author, leaving)
        committed_at, post = race_once(author, leaving, by, lead=lead)

        assert notified(staying, post)
        assert not notified(leaving, post), f"round {round_}: the ex-friend kept it"
        if fan_out_started[post.pk] > committed_at:
            after += 1
    assert after, "no fan-out started after an unfriend: the race was not exercised"


def race_once(author, leaving, by: str, *, lead: float):
    """Post and unfriend at once, the unfriend `lead` seconds late (early if negative).

    Returns when the unfriend had certainly committed, and the post.
    """
    barrier = threading.Barrier(2)

    def unfriend_now() -> float:
        barrier.wait(WAIT)
        time.sleep(max(lead, 0))
        unfriend(author, leaving, by)
        return time.monotonic()

    def post_now():
        barrier.wait(WAIT)
        time.sleep(max(-lead, 0))
        return post_create(author=author, content="racing", type="thoughts")

    unfriending, posting = start(unfriend_now), start(post_now)
    return unfriending.outcome(), posting.outcome()
