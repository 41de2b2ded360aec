"""Enqueueing on the request path: bounded, and a broker outage never fails the request."""

import socket
import time

import pytest

from apps.notifications import metrics
from apps.notifications.models import Notification
from project.celery import app
from tests.factories import UserFactory, make_friends

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_at():
    """Point the Celery app at a broker URL (no eager tasks) for the test, then restore."""
    saved = (app.conf.task_always_eager, app.conf.broker_url)

    def use(url: str) -> None:
        app.conf.task_always_eager = False
        app.conf.broker_url = url
        app._after_fork()  # forget the connection and producer pools of the old URL

    yield use
    if app._pool is not None:
        app._pool.force_close_all()
    app.conf.task_always_eager, app.conf.broker_url = saved
    app._after_fork()


@pytest.fixture
def hung_broker():
    """A TCP port that accepts connections (the kernel's backlog) and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    server.close()


@pytest.mark.parametrize("broker", ["hung", "refused"])
def test_a_broker_outage_costs_the_pushes_not_the_post(
    client_for, django_capture_on_commit_callbacks, broker_at, hung_broker, broker
):
    author, friend = UserFactory.create_batch(2)
    make_friends(author, friend)
    broker_at(hung_broker if broker == "hung" else "redis://127.0.0.1:1/0")
    failed_before = metrics.counters().get("webpush_enqueue_failed", 0)

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(author).post(
            "/api/posts/", {"content": "hi", "type": "thoughts"}, format="json"
        )
    elapsed = time.monotonic() - started

    assert response.status_code == 201
    assert Notification.objects.filter(recipient=friend).count() == 1
    assert metrics.counters().get("webpush_enqueue_failed", 0) == failed_before + 1
    # One publish, bounded by the 0.5 s broker timeouts; generous for a loaded machine.
    assert elapsed < 5


def test_enqueueing_waits_for_the_commit(django_capture_on_commit_callbacks, monkeypatch):
    from apps.notifications.webpush import tasks
    from apps.posts.models import Post
    from apps.posts.services import post_create

    sent: list[tuple] = []
    monkeypatch.setattr(tasks.webpush_send_range, "apply_async", sent.append)
    author, friend = UserFactory.create_batch(2)
    make_friends(author, friend)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post_create(author=author, content="hi", type=Post.Type.THOUGHTS)
        assert sent == []
    for callback in callbacks:
        callback()

    (args,) = sent
    notification = Notification.objects.get(recipient=friend)
    assert args == ("new_post", author.id, notification.post_id, notification.id, notification.id)


def test_a_hung_broker_never_holds_the_commit_when_a_thread_publishes(
    django_capture_on_commit_callbacks, broker_at, hung_broker, settings
):
    from apps.notifications.webpush.enqueue import webpush_retract_after_commit

    # As in the web workers (the test settings publish inline, on the caller's thread).
    settings.RIPPLE_WEBPUSH_BACKGROUND = True
    broker_at(hung_broker)
    failed_before = metrics.counters().get("webpush_enqueue_failed", 0)

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        webpush_retract_after_commit({1: [1]})
    handed_over = time.monotonic() - started

    # The publish itself waits out the 0.5 s broker timeouts, on the Web Push thread.
    assert handed_over < 0.25
    deadline = time.monotonic() + 30
    while metrics.counters().get("webpush_enqueue_failed", 0) == failed_before:
        assert time.monotonic() < deadline, "the thread never gave up on the hung broker"
        time.sleep(0.05)
