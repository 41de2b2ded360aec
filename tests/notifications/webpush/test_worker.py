"""A real Celery worker and Redis behind two web workers: a post made on one web worker
reaches, through the broker and the worker, the browser of a friend who is connected
nowhere, and not the browser of one connected to the other web worker."""

import asyncio
import os
import uuid

import pytest
from rest_framework.authtoken.models import Token

from apps.notifications.models import Notification, PushSubscription
from apps.notifications.webpush.subscriptions import push_subscription_save
from tests.factories import UserFactory, make_friends
from tests.notifications.webpush.pushservice import wait_for
from tests.wsclient import ahttp_json, ws_connect

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_the_worker_pushes_to_the_offline_friend_only(asgi_workers, celery_worker, push_service):
    author, offline, connected = (UserFactory(username=n) for n in ("pablo", "tito", "ana"))
    make_friends(author, offline)
    make_friends(author, connected)
    author_key, connected_key = (Token.objects.create(user=u).key for u in (author, connected))
    for user, name in ((offline, "offline"), (connected, "connected"), (offline, "gone")):
        keys = push_service.subscriber(name).subscription()
        push_subscription_save(user=user, endpoint=keys["endpoint"], **keys["keys"])
    push_service.answer("gone", 410)

    async def scenario(a, b):
        tab = await ws_connect(b.ws_url, connected_key)
        status, _ = await ahttp_json(
            "POST", f"{a.http_url}/api/posts/", author_key, {"content": "hi", "type": "thoughts"}
        )
        await asyncio.to_thread(wait_for, lambda: len(push_service.arrivals) >= 2)
        await tab.close()
        return status

    # One channel-layer prefix for all three processes: the worker reads the web workers'
    # presence.
    prefix = f"{os.environ.get('CHANNEL_LAYER_PREFIX') or 'test'}-{uuid.uuid4().hex[:12]}"
    with (
        celery_worker(CHANNEL_LAYER_PREFIX=prefix) as worker_env,
        asgi_workers(2, CHANNEL_LAYER_PREFIX=prefix, **worker_env) as pool,
    ):
        status = asyncio.run(scenario(*pool.workers))

    assert status == 201
    assert push_service.refused == []
    (delivered,) = push_service.delivered()
    assert delivered.name == "offline"
    stored = Notification.objects.get(recipient=offline)
    assert delivered.payload["notification"]["id"] == stored.id
    assert [a.name for a in push_service.arrivals if a.status == 410] == ["gone"]
    assert set(PushSubscription.objects.values_list("user__username", flat=True)) == {
        "tito",
        "ana",
    }
