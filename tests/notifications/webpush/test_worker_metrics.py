"""The Celery worker's own health and metrics port (project/worker.py), on a real worker
process whose pool is forked: counters moved in the pool's process reach /metrics."""

import json
import re
import socket
import time
import urllib.error
import urllib.request

import pytest
from django.test.utils import override_settings

from apps.notifications.webpush.subscriptions import push_subscription_save
from apps.posts.models import Post
from apps.posts.services import post_create
from project.celery import app
from tests.factories import UserFactory, make_friends
from tests.notifications.webpush.pushservice import wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one series in the text format, 0 when absent."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    pattern = re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if labels else "")
    match = re.search(rf"^{pattern} (\S+)$", text, re.MULTILINE)
    return float(match[1]) if match else 0.0


def test_the_worker_serves_its_push_and_task_counters_and_its_broker_health(
    celery_worker, push_service
):
    author = UserFactory(username="pablo")
    for name in ("tito", "ana"):
        friend = UserFactory(username=name)
        make_friends(author, friend)
        keys = push_service.subscriber(name).subscription()
        push_subscription_save(user=friend, endpoint=keys["endpoint"], **keys["keys"])
    push_service.answer("ana", 410)
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    with celery_worker(pool="prefork", WORKER_METRICS_PORT=str(port)) as worker_env:
        wait_for(lambda: _answers(f"{base}/healthz"))
        health_status, health = get(f"{base}/healthz")
        _, before = get(f"{base}/metrics")
        # Publish to the worker's queue, as a web worker with a broker does.
        saved = (app.conf.task_always_eager, app.conf.task_default_queue)
        app.conf.task_always_eager = False
        app.conf.task_default_queue = worker_env["CELERY_QUEUE"]
        try:
            with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
                post_create(author=author, content="hi", type=Post.Type.THOUGHTS)
        finally:
            app.conf.task_always_eager, app.conf.task_default_queue = saved
        wait_for(lambda: metric(get(f"{base}/metrics")[1], "ripple_webpush_gone_total") == 1)
        _, after = get(f"{base}/metrics")

    assert health_status == 200
    assert json.loads(health)["checks"]["broker"]["status"] == "ok"
    assert metric(before, "ripple_webpush_sent_total") == 0
    assert metric(after, "ripple_webpush_sent_total") == 1
    assert metric(after, "ripple_webpush_gone_total") == 1
    assert (
        metric(after, "ripple_worker_tasks_total", task="webpush.send_range", state="success") == 1
    )
    assert [a.name for a in push_service.delivered()] == ["tito"]


def test_the_worker_health_turns_to_503_within_its_timeout_when_the_broker_hangs(
    celery_worker, private_redis
):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with celery_worker(
        CELERY_BROKER_URL=private_redis.url,
        WORKER_METRICS_PORT=str(port),
        WORKER_HEALTH_TIMEOUT_SECONDS="2",
    ):
        wait_for(lambda: _answers(f"{base}/healthz"))
        healthy, _ = get(f"{base}/healthz")
        private_redis.freeze()
        try:
            started = time.monotonic()
            status, body = get(f"{base}/healthz")
            took = time.monotonic() - started
        finally:
            private_redis.thaw()

    assert healthy == 200
    assert status == 503
    assert json.loads(body)["checks"]["broker"]["status"] == "error"
    assert took < 8, f"the probe took {took:.1f} s"


def _answers(url: str) -> bool:
    try:
        return get(url)[0] in (200, 503)
    except OSError:
        return False
