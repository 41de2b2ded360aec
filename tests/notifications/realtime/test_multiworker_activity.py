"""Likes, replies and mentions across real worker processes sharing PostgreSQL and Redis."""

import asyncio

import pytest
from rest_framework.authtoken.models import Token

from apps.notifications.models import Notification, NotificationPreference
from tests.factories import PostFactory, UserFactory, make_friends
from tests.wsclient import ahttp_json, recv_json, ws_connect

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

KINDS = ("post_liked", "post_replied", "mentioned")
SETTINGS = {"on": {}, "no_inbox": {"inbox": False}, "no_realtime": {"realtime": False}}


def _user(name: str):
    user = UserFactory(username=name)
    return user, Token.objects.create(user=user).key


async def _frames_until_quiet(ws, first_wait: float, quiet: float) -> list[dict]:
    """Every frame until none came for `quiet` seconds (`first_wait` for the first one)."""
    frames: list[dict] = []
    while True:
        try:
            frames.append(await recv_json(ws, timeout=quiet if frames else first_wait))
        except TimeoutError:
            return frames


def test_each_activity_type_and_its_switches_counted_on_real_sockets(asgi_workers):
    tito, tito_key = _user("tito")
    recipients = {}
    for kind in KINDS:
        for setting, switches in SETTINGS.items():
            user, key = _user(f"{kind}-{setting}"[:30])
            make_friends(tito, user)
            NotificationPreference.objects.create(
                user=user, **{f"{kind}_{channel}": on for channel, on in switches.items()}
            )
            recipients[kind, setting] = (user, key, PostFactory(author=user))

    async def scenario(a, b):
        sockets = {
            name: await ws_connect(b.ws_url, key) for name, (_, key, _) in recipients.items()
        }
        tito_ws = await ws_connect(b.ws_url, tito_key)
        for (kind, _), (_, _, post) in recipients.items():
            url = f"{a.http_url}/api/posts/{post.id}/"
            if kind == "post_liked":
                await ahttp_json("POST", url + "like/", tito_key)
            elif kind == "post_replied":
                await ahttp_json("POST", url + "replies/", tito_key, {"content": "nice"})
        mentions = " ".join(
            f"@{user.username}" for (k, _), (user, _, _) in recipients.items() if k == "mentioned"
        )
        await ahttp_json(
            "POST", f"{a.http_url}/api/posts/", tito_key, {"content": mentions, "type": "thoughts"}
        )
        # Every socket is watched at once, each for as long as before: long enough for
        # several reconcile ticks, so a stored-but-silent row stays silent.
        *frames, tito_frames = await asyncio.gather(
            *(_frames_until_quiet(ws, first_wait=3, quiet=1.2) for ws in sockets.values()),
            _frames_until_quiet(tito_ws, first_wait=3, quiet=1.2),
        )
        for ws in [*sockets.values(), tito_ws]:
            await ws.close()
        return dict(zip(sockets, frames, strict=True)), tito_frames

    with asgi_workers(2, RIPPLE_RECONCILE_SECONDS="0.2") as pool:
        received, tito_frames = asyncio.run(scenario(*pool.workers))

    for (kind, setting), (user, _, post) in recipients.items():
        pushed = [f for f in received[kind, setting] if f.get("type") == kind]
        stored = Notification.objects.filter(recipient=user, type=kind)
        expected_stored = 0 if setting == "no_inbox" else 1
        assert stored.count() == expected_stored, (kind, setting)
        assert len(pushed) == (1 if setting == "on" else 0), (kind, setting)
        if pushed:
            assert pushed[0]["id"] == stored.get().id
            if kind != "mentioned":  # a mention is about tito's own post
                assert pushed[0]["data"]["post"]["id"] == post.id
    # The liker and replier is a friend of each author: their feed's counts move live, on
    # the other worker, without a notification.
    counts = {f["data"]["post_id"]: f["data"] for f in tito_frames if f["type"] == "post_counts"}
    for (kind, _), (_, _, post) in recipients.items():
        if kind == "post_liked":
            assert counts[post.id] == {"post_id": post.id, "likes_count": 1, "reply_count": 0}
        elif kind == "post_replied":
            assert counts[post.id] == {"post_id": post.id, "likes_count": 0, "reply_count": 1}
    assert not [f for f in tito_frames if f.get("type") in KINDS]
