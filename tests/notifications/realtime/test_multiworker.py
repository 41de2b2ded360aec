"""Delivery across real worker processes sharing PostgreSQL and Redis."""

import asyncio

import pytest
from rest_framework.authtoken.models import Token
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from apps.notifications.models import Notification
from tests.conftest import use_workers_layer
from tests.factories import NotificationFactory, UserFactory, make_friends
from tests.wsclient import ahttp_json, recv_json, recv_nothing, ws_connect

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _users_with_tokens(*names: str):
    users = [UserFactory(username=name) for name in names]
    return users, [Token.objects.create(user=user).key for user in users]


def test_post_on_worker_a_reaches_every_connection_of_a_friend_on_worker_b(asgi_workers):
    (author, friend, stranger), (author_key, friend_key, stranger_key) = _users_with_tokens(
        "pablo", "tito", "stranger"
    )
    make_friends(author, friend)

    async def scenario(a, b):
        friend_tabs = [await ws_connect(b.ws_url, friend_key) for _ in range(3)]
        author_ws = await ws_connect(b.ws_url, author_key)
        stranger_ws = await ws_connect(a.ws_url, stranger_key)
        status, post = await ahttp_json(
            "POST", f"{a.http_url}/api/posts/", author_key, {"content": "hi", "type": "thoughts"}
        )
        frames = [await recv_json(tab) for tab in friend_tabs]
        quiet = [await recv_nothing(author_ws), await recv_nothing(stranger_ws)]
        for ws in [*friend_tabs, author_ws, stranger_ws]:
            await ws.close()
        _, inbox = await ahttp_json("GET", f"{b.http_url}/api/notifications/", friend_key)
        return status, post, frames, quiet, inbox

    with asgi_workers(2) as pool:
        status, post, frames, quiet, inbox = asyncio.run(scenario(*pool.workers))

    notification = Notification.objects.get(recipient=friend)
    assert status == 201
    assert frames == [frames[0]] * 3
    assert frames[0] == {
        "type": "new_post",
        "id": notification.id,
        "actor": {"id": post["author"]["id"], "username": "pablo"},
        "created_at": frames[0]["created_at"],
        "read_at": None,
        "data": post,
        "group": {"key": notification.group_key, "count": 1},
    }
    assert notification.data == frames[0]["data"]
    # One shape: the client can merge the pushed item into the page it fetched.
    assert inbox["results"] == [frames[0]]
    assert quiet == [True, True]


def test_friend_request_accept_and_message_are_pushed_across_workers(asgi_workers):
    (pablo, tito), (pablo_key, tito_key) = _users_with_tokens("pablo", "tito")

    async def scenario(a, b):
        pablo_ws, tito_ws = (
            await ws_connect(a.ws_url, pablo_key),
            await ws_connect(b.ws_url, tito_key),
        )
        _, request = await ahttp_json(
            "POST", f"{a.http_url}/api/friend-requests/", pablo_key, {"to_user": tito.id}
        )
        requested = await recv_json(tito_ws)
        await ahttp_json(
            "POST", f"{b.http_url}/api/friend-requests/{request['id']}/accept/", tito_key
        )
        accepted = await recv_json(pablo_ws)
        _, message = await ahttp_json(
            "POST", f"{a.http_url}/api/messages/", pablo_key, {"to": tito.id, "text": "hey"}
        )
        messaged = await recv_json(tito_ws)
        await pablo_ws.close()
        await tito_ws.close()
        return request, requested, accepted, message, messaged

    with asgi_workers(2) as pool:
        request, requested, accepted, message, messaged = asyncio.run(scenario(*pool.workers))

    assert requested["type"] == "friend_request"
    assert requested["data"] == {
        "request_id": request["id"],
        "from_user": {"id": pablo.id, "username": "pablo"},
    }
    assert accepted["type"] == "friend_accepted"
    assert accepted["data"] == {"user": {"id": tito.id, "username": "tito"}}
    assert messaged["type"] == "new_message"
    assert messaged["data"] == {
        "message_id": message["id"],
        "from_user": {"id": pablo.id, "username": "pablo"},
        "text": "hey",
        "created_at": message["created_at"],
    }


def test_handshake_without_valid_credentials_is_refused_with_http_403(asgi_workers):
    (user,), (key,) = _users_with_tokens("pablo")

    async def status_of(url, headers):
        try:
            ws = await connect(url, additional_headers=headers)
        except InvalidStatus as refused:
            return refused.response.status_code
        await ws.close()
        return 101

    async def scenario(worker):
        url = f"{worker.ws_url}/ws/notifications/"
        return [
            await status_of(url, {"Authorization": f"Token {key}"}),
            await status_of(url, {"Authorization": "Token not-a-token"}),
            await status_of(url, {}),
            await status_of(url, {"Origin": "http://evil.example"}),
        ]

    with asgi_workers(1) as pool:
        statuses = asyncio.run(scenario(pool.workers[0]))

    assert statuses == [101, 403, 403, 403]


@pytest.mark.slow
def test_idle_connection_still_receives_live_after_two_receive_timeouts(asgi_workers):
    (author, friend), (author_key, friend_key) = _users_with_tokens("pablo", "tito")
    make_friends(author, friend)

    async def scenario(a, b):
        friend_ws = await ws_connect(b.ws_url, friend_key)
        # Idle past redis-py's default 5 s socket timeout and two of the layer's 5 s
        # blocking receives: a read timeout on the layer's connections would have fired.
        await asyncio.sleep(12)
        await ahttp_json(
            "POST", f"{a.http_url}/api/posts/", author_key, {"content": "late", "type": "thoughts"}
        )
        frame = await recv_json(friend_ws, timeout=3)
        await friend_ws.close()
        return frame

    # No reconciler to fall back on: the frame must come through the live path.
    with asgi_workers(2, RIPPLE_RECONCILE_SECONDS="3600") as pool:
        frame = asyncio.run(scenario(*pool.workers))

    assert frame["data"]["content"] == "late"


def test_preference_switches_counted_on_real_connections(asgi_workers):
    from apps.notifications.models import MutedUser, NotificationPreference

    names = ["pablo", "normal", "no_inbox", "no_realtime", "muter", "no_thoughts"]
    users, keys = _users_with_tokens(*names)
    author, *friends = users
    by_name = dict(zip(names, users, strict=True))
    for friend in friends:
        make_friends(author, friend)
    NotificationPreference.objects.create(user=by_name["no_inbox"], new_post_inbox=False)
    NotificationPreference.objects.create(user=by_name["no_realtime"], new_post_realtime=False)
    NotificationPreference.objects.create(
        user=by_name["no_thoughts"], muted_post_types=["thoughts"]
    )
    MutedUser.objects.create(user=by_name["muter"], muted=author)

    async def scenario(a, b):
        sockets = {
            name: await ws_connect(b.ws_url, key)
            for name, key in zip(names[1:], keys[1:], strict=True)
        }
        await ahttp_json(
            "POST", f"{a.http_url}/api/posts/", keys[0], {"content": "x", "type": "thoughts"}
        )

        async def count_frames(ws) -> int:
            frames = 0
            # Long enough for several reconcile ticks: a stored-but-silent row must stay silent.
            while not await recv_nothing(ws, 1.2 if not frames else 0.3):
                frames += 1
            return frames

        # Every socket watched at once, each for the same time as it would be alone.
        counted = await asyncio.gather(*(count_frames(ws) for ws in sockets.values()))
        for ws in sockets.values():
            await ws.close()
        return dict(zip(sockets, counted, strict=True))

    with asgi_workers(2, RIPPLE_RECONCILE_SECONDS="0.2") as pool:
        received = asyncio.run(scenario(*pool.workers))

    stored = {
        name: Notification.objects.filter(recipient=by_name[name]).count() for name in names[1:]
    }
    assert received == {"normal": 1, "no_inbox": 0, "no_realtime": 0, "muter": 0, "no_thoughts": 0}
    assert stored == {"normal": 1, "no_inbox": 0, "no_realtime": 1, "muter": 0, "no_thoughts": 0}


def test_moderation_reaches_open_sockets_removed_ids_and_suspension_close(asgi_workers, settings):
    from apps.accounts.services import users_suspend
    from apps.posts.services import posts_remove

    (author, friend, moderator), (author_key, friend_key, _) = _users_with_tokens(
        "pablo", "tito", "mod"
    )
    make_friends(author, friend)

    async def scenario(a, b):
        friend_ws = await ws_connect(b.ws_url, friend_key)
        author_ws = await ws_connect(a.ws_url, author_key)
        _, post = await ahttp_json(
            "POST", f"{a.http_url}/api/posts/", author_key, {"content": "bad", "type": "thoughts"}
        )
        created = await recv_json(friend_ws)
        await asyncio.to_thread(
            _in_thread, posts_remove, post_ids=[post["id"]], by=moderator, reason="spam"
        )
        removed = await recv_json(friend_ws)
        unread = await recv_json(friend_ws)
        await asyncio.to_thread(_in_thread, users_suspend, user_ids=[author.id], reason="abuse")
        terminated = await recv_json(author_ws)
        try:
            await asyncio.wait_for(author_ws.recv(), 5)
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
        await friend_ws.close()
        return created, removed, unread, terminated, code

    with asgi_workers(2) as pool:
        use_workers_layer(settings, pool)
        created, removed, unread, terminated, code = asyncio.run(scenario(*pool.workers))

    assert removed == {"type": "notification_removed", "data": {"ids": [created["id"]]}}
    assert unread == {"type": "unread_count", "data": {"count": 0}}
    assert terminated["type"] == "session_terminated"
    assert code == 4403


def _in_thread(service, **kwargs):
    from django.db import connection

    try:
        return service(**kwargs)
    finally:
        connection.close()


def test_triage_changes_reach_every_tab_of_the_user_on_both_workers(asgi_workers):
    (tito,), (tito_key,) = _users_with_tokens("tito")
    first, second = (NotificationFactory(recipient=tito) for _ in range(2))

    async def scenario(a, b):
        tabs = [
            await ws_connect(a.ws_url, tito_key),
            await ws_connect(b.ws_url, tito_key),
            await ws_connect(b.ws_url, tito_key),
        ]
        base = f"{a.http_url}/api/notifications"
        frames = []
        for method, url, body in [
            ("POST", f"{base}/{first.id}/read/", None),
            ("POST", f"{b.http_url}/api/notifications/{second.id}/done/", None),
            ("POST", f"{base}/{second.id}/undone/", None),
            ("POST", f"{base}/seen/", {"last_seen_id": second.id}),
        ]:
            status, _ = await ahttp_json(method, url, tito_key, body)
            assert status == 200
            frames.append([await recv_json(tab) for tab in tabs])
        for tab in tabs:
            await tab.close()
        return frames

    with asgi_workers(2) as pool:
        frames = asyncio.run(scenario(*pool.workers))

    for per_tab in frames:
        assert per_tab == [per_tab[0]] * 3
    read, done, undone, seen = (per_tab[0] for per_tab in frames)
    assert read["type"] == "notification_updated"
    assert (read["data"]["ids"], read["data"]["state"]) == ([first.id], "read")
    assert read["data"]["counts"]["unread"] == 1
    assert (done["data"]["ids"], done["data"]["state"]) == ([second.id], "done")
    assert done["data"]["counts"]["unread"] == 0
    assert (undone["data"]["state"], undone["data"]["items"][0]["id"]) == ("undone", second.id)
    assert undone["data"]["counts"]["unread"] == 1
    assert (seen["data"]["state"], seen["data"]["counts"]["unseen"]) == ("seen", 0)
