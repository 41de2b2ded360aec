"""Without a broker (the embedded `make run`) pushes run on a thread of the web worker,
never on the request's: the response does not wait for the push service."""

import asyncio
import time

import pytest
from rest_framework.authtoken.models import Token

from apps.notifications.models import Notification
from apps.notifications.webpush.subscriptions import push_subscription_save
from tests.factories import UserFactory, make_friends
from tests.notifications.webpush.pushservice import wait_for
from tests.wsclient import ahttp_json

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

SLOW_SECONDS = 6.0


def test_without_a_broker_a_post_answers_before_a_slow_push_service_and_the_push_still_arrives(
    asgi_workers, push_service
):
    author, friend = UserFactory(username="pablo"), UserFactory(username="tito")
    make_friends(author, friend)
    key = Token.objects.create(user=author).key
    keys = push_service.subscriber("slow").subscription()
    push_subscription_save(user=friend, endpoint=keys["endpoint"], **keys["keys"])
    push_service.delay_seconds = SLOW_SECONDS

    # The sender waits longer than the service is slow: one push, never a retry.
    with asgi_workers(
        1, CELERY_TASK_ALWAYS_EAGER="true", RIPPLE_WEBPUSH_TIMEOUT_SECONDS="30"
    ) as pool:
        url = f"{pool.workers[0].http_url}/api/posts/"
        started = time.monotonic()
        status, _ = asyncio.run(ahttp_json("POST", url, key, {"content": "hi", "type": "thoughts"}))
        answered = time.monotonic() - started
        wait_for(lambda: push_service.delivered("slow"))

    assert status == 201
    assert answered < SLOW_SECONDS, f"the POST waited {answered:.1f} s for the push service"
    assert push_service.refused == []
    (arrival,) = push_service.delivered("slow")
    assert arrival.payload["notification"]["id"] == Notification.objects.get(recipient=friend).id
