"""Who may open the notification socket, and that each socket carries only its user's events.

Handshakes go through the whole ASGI stack (`project.asgi.application`): token header or
session cookie, the Origin check for cookies, the consumer's refusal of suspended users.
No credential is ever read from the query string.
"""

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from apps.posts.services import post_create
from project.asgi import application
from tests.security.conftest import SECRET, build_world

pytestmark = pytest.mark.django_db(transaction=True)

PATH = "/ws/notifications/"
ALLOWED_ORIGIN = b"http://localhost"


async def handshake(headers: list[tuple[bytes, bytes]], query: str = "") -> bool:
    communicator = WebsocketCommunicator(
        application, PATH + (f"?{query}" if query else ""), headers=headers
    )
    connected, _ = await communicator.connect()
    await communicator.disconnect()
    return connected


@pytest.fixture
def world(transactional_db):
    return build_world()


@database_sync_to_async
def token_of(user) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=user)[0].key


@database_sync_to_async
def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def token_header(key: str) -> tuple[bytes, bytes]:
    return (b"authorization", f"Token {key}".encode())


async def test_token_header_and_cookie_from_the_sites_origin_connect(world):
    """The controls for every refusal below."""
    key = await token_of(world.alice)
    cookie = await session_cookie(world.alice)

    assert await handshake([token_header(key)])
    assert await handshake([(b"cookie", cookie), (b"origin", ALLOWED_ORIGIN)])


@pytest.mark.parametrize("name", ["token", "access_token", "auth_token", "key", "authorization"])
async def test_token_in_the_query_string_is_ignored_and_refused(world, name):
    key = await token_of(world.alice)

    assert not await handshake([], query=f"{name}={key}")
    assert not await handshake([(b"origin", ALLOWED_ORIGIN)], query=f"{name}={key}")
    assert not await handshake([], query=f"{name}=Token%20{key}")


@pytest.mark.parametrize(
    "origin",
    [
        None,
        b"null",
        b"http://evil.example",
        b"http://localhost.evil.example",
        b"http://evil.example/localhost",
        b"http://localhost@evil.example",
        b"https://127.0.0.1.evil.example",
    ],
)
async def test_cookie_socket_from_a_foreign_or_missing_origin_is_refused(world, origin):
    cookie = await session_cookie(world.alice)
    headers = [(b"cookie", cookie)] + ([(b"origin", origin)] if origin else [])

    assert not await handshake(headers)


@pytest.mark.parametrize("name", ["sue", "dan"])
async def test_suspended_or_deactivated_user_is_refused_by_token_and_by_cookie(world, name):
    user = getattr(world, name)
    key = await token_of(user)
    cookie = await session_cookie(user)

    assert not await handshake([token_header(key)])
    assert not await handshake([(b"cookie", cookie), (b"origin", ALLOWED_ORIGIN)])


@pytest.mark.parametrize(
    "authorization", [b"Token ", b"Token wrong", b"Bearer x", b"Basic YTpi", b"token"]
)
async def test_bad_authorization_header_is_refused_even_with_a_valid_cookie(world, authorization):
    cookie = await session_cookie(world.alice)

    assert not await handshake(
        [(b"authorization", authorization), (b"cookie", cookie), (b"origin", ALLOWED_ORIGIN)]
    )


# --- Each socket carries its own user's events only --------------------------------------


async def connect(key: str, query: str = "") -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(
        application, PATH + (f"?{query}" if query else ""), headers=[token_header(key)]
    )
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def test_a_post_reaches_the_authors_friends_only(world):
    names = ["alice", "bob", "mal", "eve", "blocked", "sam", "ray"]
    sockets = {name: await connect(await token_of(getattr(world, name))) for name in names}

    post = await database_sync_to_async(post_create)(
        author=world.alice, content=f"live {SECRET}", type="thoughts"
    )

    for name in ("bob", "mal"):  # friends; alice muting mal does not stop *her* posts
        frame = await sockets[name].receive_json_from()
        assert (frame["type"], frame["data"]["id"]) == ("new_post", post.pk)
    for name in ("alice", "eve", "blocked", "sam", "ray"):
        assert await sockets[name].receive_nothing(), name
    for socket in sockets.values():
        await socket.disconnect()


@pytest.mark.parametrize("author", ["eve", "blocked", "mal"])
async def test_posts_of_ex_friends_and_muted_friends_never_reach_alice(world, author):
    socket = await connect(await token_of(world.alice))

    await database_sync_to_async(post_create)(
        author=getattr(world, author), content="hello", type="thoughts"
    )

    assert await socket.receive_nothing()
    await socket.disconnect()


@pytest.mark.parametrize("name", ["sam", "eve", "blocked", "ray", "bob", "mal"])
async def test_sync_and_after_replay_only_the_callers_own_notifications(world, name):
    key = await token_of(getattr(world, name))
    own = await database_sync_to_async(
        lambda: list(getattr(world, name).notifications.values_list("id", flat=True))
    )()

    on_connect = await connect(key, query="after=0")
    replayed = await frames_until_synced(on_connect)
    await on_connect.send_to(text_data=json.dumps({"type": "sync", "after": 0}))
    synced_again = await frames_until_synced(on_connect)
    await on_connect.disconnect()

    for frames in (replayed, synced_again):
        assert sorted(frame["id"] for frame in frames) == sorted(own)
        assert all(world.notification.pk != frame["id"] for frame in frames)


async def frames_until_synced(socket: WebsocketCommunicator) -> list[dict]:
    frames = []
    while (frame := await socket.receive_json_from()) and frame["type"] != "synced":
        frames.append(frame)
    return frames
