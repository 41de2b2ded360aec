"""A Redis that hangs (SIGSTOP: it accepts connections and never answers) costs nothing.

Real parts: a private redis-server frozen with SIGSTOP, two uvicorn workers that use it for
the channel layer and the throttle cache, WebSocket clients on both.
"""

import asyncio
import time

import pytest
from rest_framework.authtoken.models import Token

from apps.notifications.models import Notification
from tests.factories import UserFactory, make_friends
from tests.wsclient import (
    collect,
    http_json,
    recv_json,
    recv_nothing_on_each,
    ws_connect,
)

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

RECONCILE_SECONDS = 1.5


def timed_post(worker, key: str, content: str) -> tuple[int, float]:
    started = time.monotonic()
    status, _ = http_json(
        "POST", f"{worker.http_url}/api/posts/", key, {"content": content, "type": "thoughts"}
    )
    return status, time.monotonic() - started


def test_friends_on_both_workers_get_every_post_made_while_redis_hangs(asgi_workers, private_redis):
    author, friend = UserFactory(username="pablo"), UserFactory(username="tito")
    make_friends(author, friend)
    author_key = Token.objects.create(user=author).key
    friend_key = Token.objects.create(user=friend).key
    # Each post must arrive within two reconcile intervals; the slack is for a busy machine.
    deadline = 2 * RECONCILE_SECONDS + 2

    async def scenario(a, b):
        clients = [await ws_connect(a.ws_url, friend_key), await ws_connect(b.ws_url, friend_key)]
        private_redis.freeze()
        try:
            posts = [
                await asyncio.to_thread(timed_post, a, author_key, f"hung {i}") for i in range(3)
            ]
            during = [await collect(ws, 3, timeout=deadline) for ws in clients]
            opened_at = time.monotonic()
            late = await ws_connect(b.ws_url, friend_key, query="after=0")
            handshake = time.monotonic() - opened_at
            replayed = await collect(late, 3, timeout=deadline)
            synced = await recv_json(late, timeout=deadline)
            posts.append(await asyncio.to_thread(timed_post, b, author_key, "still hung"))
            live = [await collect(ws, 1, timeout=deadline) for ws in [*clients, late]]
        finally:
            private_redis.thaw()
        # Pushes that are not notifications may have been lost: once its layer answers,
        # each worker tells every socket to refresh what it shows.
        resynced = [await recv_json(ws, timeout=deadline) for ws in [*clients, late]]
        posts.append(await asyncio.to_thread(timed_post, a, author_key, "thawed"))
        after = [await collect(ws, 1, timeout=deadline) for ws in [*clients, late]]
        quiet = await recv_nothing_on_each([*clients, late], 2 * RECONCILE_SECONDS)
        for ws in [*clients, late]:
            await ws.close()
        return posts, during, handshake, replayed, synced, live, resynced, after, quiet

    with asgi_workers(2, REDIS_URL=private_redis.url) as pool:
        posts, during, handshake, replayed, synced, live, resynced, after, quiet = asyncio.run(
            scenario(*pool.workers)
        )

    ids = list(
        Notification.objects.filter(recipient=friend).order_by("id").values_list("id", flat=True)
    )
    assert len(ids) == 5
    assert [status for status, _ in posts] == [201] * 5
    assert max(seconds for _, seconds in posts) < 1.2, posts
    assert during == [ids[:3], ids[:3]]
    assert handshake < 1.0
    assert replayed == ids[:3]
    assert synced == {"type": "synced", "last_id": ids[2]}
    assert live == [[ids[3]]] * 3
    assert resynced == [{"type": "synced", "last_id": ids[3]}] * 3
    assert after == [[ids[4]]] * 3
    assert quiet == [True, True, True]
