"""Block and unblock across real worker processes, counted on real WebSocket clients."""

import asyncio

import pytest
from rest_framework.authtoken.models import Token

from apps.friends.models import FriendRequest, Friendship
from apps.notifications.models import Notification
from tests.factories import UserFactory, make_friends
from tests.wsclient import ahttp_json, recv_json, recv_nothing, recv_nothing_on_each, ws_connect

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

# Longer than a reconcile tick (0.2 s below): a frame that should not come has had its
# chance through the live path and the database catch-up both.
QUIET = 1.0


def test_block_retracts_live_on_both_sides_and_unblock_restores_nothing(asgi_workers):
    names = ["alice", "bob", "carol"]
    alice, bob, carol = (UserFactory(username=name) for name in names)
    key = {user.username: Token.objects.create(user=user).key for user in (alice, bob, carol)}
    make_friends(alice, bob)
    make_friends(alice, carol)

    async def http(worker, method, path, who, body=None):
        return await ahttp_json(method, f"{worker.http_url}{path}", key[who], body)

    async def scenario(a, b):
        alice_ws = await ws_connect(a.ws_url, key["alice"])
        bob_tabs = [await ws_connect(b.ws_url, key["bob"]) for _ in range(2)]
        carol_ws = await ws_connect(b.ws_url, key["carol"])
        post = {"content": "hi", "type": "thoughts"}
        await http(a, "POST", "/api/posts/", "alice", post)
        await http(b, "POST", "/api/posts/", "bob", post)
        await http(b, "POST", "/api/messages/", "bob", {"to": alice.id, "text": "hey"})
        await http(b, "POST", "/api/posts/", "carol", post)
        shown = {
            "alice": [(await recv_json(alice_ws))["id"] for _ in range(3)],
            "bob": [(await recv_json(tab))["id"] for tab in bob_tabs],
            "carol": [(await recv_json(carol_ws))["id"]],
        }

        status, _ = await http(a, "POST", "/api/blocks/", "alice", {"user": bob.id})
        alice_frames = [await recv_json(alice_ws) for _ in range(2)]
        bob_frames = [[await recv_json(tab) for _ in range(2)] for tab in bob_tabs]
        carol_quiet = await recv_nothing(carol_ws, QUIET)

        _, bob_search = await http(b, "GET", "/api/users/?username=alice", "bob")
        _, alice_search = await http(a, "GET", "/api/users/?username=bob", "alice")
        _, carol_search = await http(b, "GET", "/api/users/?username=alice", "carol")
        request_status, request = await http(
            b, "POST", "/api/friend-requests/", "bob", {"to_user": alice.id}
        )
        message_status, _ = await http(
            b, "POST", "/api/messages/", "bob", {"to": alice.id, "text": "hello?"}
        )
        _, incoming = await http(a, "GET", "/api/friend-requests/?direction=incoming", "alice")
        _, outgoing = await http(b, "GET", "/api/friend-requests/?direction=outgoing", "bob")
        quiet_after_block = await recv_nothing_on_each((alice_ws, *bob_tabs), QUIET)

        unblock_status, _ = await http(b, "DELETE", f"/api/blocks/{bob.id}/", "alice")
        quiet_after_unblock = await recv_nothing_on_each((alice_ws, *bob_tabs), QUIET)
        _, alice_inbox = await http(a, "GET", "/api/notifications/", "alice")
        for ws in (alice_ws, *bob_tabs, carol_ws):
            await ws.close()
        return {
            "shown": shown,
            "status": status,
            "alice_frames": alice_frames,
            "bob_frames": bob_frames,
            "carol_quiet": carol_quiet,
            "searches": [bob_search["results"], alice_search["results"], carol_search["results"]],
            "request": (request_status, request),
            "message_status": message_status,
            "lists": (incoming["results"], outgoing["results"]),
            "quiet_after_block": quiet_after_block,
            "unblock_status": unblock_status,
            "quiet_after_unblock": quiet_after_unblock,
            "alice_inbox": [item["id"] for item in alice_inbox["results"]],
        }

    with asgi_workers(2, RIPPLE_RECONCILE_SECONDS="0.2") as pool:
        seen = asyncio.run(scenario(*pool.workers))

    alice_from_bob = seen["shown"]["alice"][:2]  # bob's post and message; [2] is carol's
    assert seen["status"] == 201
    assert seen["alice_frames"] == [
        {"type": "notification_removed", "data": {"ids": sorted(alice_from_bob)}},
        {"type": "unread_count", "data": {"count": 1}},  # carol's post stays
    ]
    assert (
        seen["bob_frames"]
        == [
            [
                {"type": "notification_removed", "data": {"ids": seen["shown"]["bob"][:1]}},
                {"type": "unread_count", "data": {"count": 0}},
            ]
        ]
        * 2
    )
    assert seen["carol_quiet"]
    assert seen["searches"] == [[], [], [{"id": alice.id, "username": "alice"}]]
    request_status, request = seen["request"]
    assert (request_status, request["status"]) == (201, "pending")
    assert seen["message_status"] == 403
    assert seen["lists"] == ([], [request])
    assert seen["quiet_after_block"] == [True, True, True]
    assert seen["unblock_status"] == 204
    assert seen["quiet_after_unblock"] == [True, True, True]
    assert seen["alice_inbox"] == [seen["shown"]["alice"][2]]
    assert not Friendship.objects.filter(user=alice, friend=bob).exists()
    assert not Notification.objects.filter(recipient=alice, actor=bob).exists()
    assert FriendRequest.objects.get(pk=request["id"]).status == "declined"
