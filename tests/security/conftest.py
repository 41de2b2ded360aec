"""A small world of users around one owner, and a snapshot of every row to prove no change.

`alice` owns the objects. Around her:

- bob: a friend;
- mal: a friend she has muted (muting silences his posts; he stays a friend);
- eve: an ex-friend (unfriended through the service);
- blocked: an ex-friend she has blocked (the block ended the friendship);
- sam: a stranger; ray: a stranger with a pending friend request to her;
- sue: a friend who was suspended; dan: a deactivated account.

Every private text contains SECRET, so a leak shows up as SECRET in a response body.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.db import transaction
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.accounts.services import users_suspend
from apps.direct_messages.services import message_send
from apps.friends.models import FriendRequest
from apps.friends.services import block_create, friend_request_create, friendship_delete
from apps.notifications.models import Notification
from apps.notifications.services import muted_user_create, preference_update
from apps.posts.models import Post, Reply
from apps.posts.services import post_create, post_like, reply_create
from tests.factories import UserFactory, make_friends

SECRET = "s3cret-7f2a"

# Every model whose rows an API call could change.
SNAPSHOT_APPS = {
    "accounts",
    "authtoken",
    "direct_messages",
    "friends",
    "moderation",
    "notifications",
    "posts",
}


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every Ripple model, in primary-key order."""
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values_list())
        for model in apps.get_models()
        if model._meta.app_label in SNAPSHOT_APPS
    }


@dataclass
class World:
    alice: User
    bob: User
    mal: User
    eve: User
    blocked: User
    sam: User
    ray: User
    sue: User
    dan: User
    post: Post  # alice's
    reply: Reply  # bob's, on alice's post
    request: FriendRequest  # ray -> alice, pending
    notification: Notification  # alice's: bob's post

    def user(self, name: str) -> User:
        return getattr(self, name)


def build_world() -> World:
    names = ["alice", "bob", "mal", "eve", "blocked", "sam", "ray", "sue", "dan"]
    users = {name: UserFactory(username=name) for name in names}
    alice = users["alice"]
    for name in ("bob", "mal", "eve", "blocked", "sue"):
        make_friends(alice, users[name])
    friendship_delete(user=alice, friend_id=users["eve"].pk)
    block_create(blocker=alice, blocked=users["blocked"])
    muted_user_create(user=alice, muted=users["mal"])
    preference_update(user=alice, changes={"batch_window_seconds": 0})
    users_suspend(user_ids=[users["sue"].pk], reason="spam")
    users["dan"].is_active = False
    users["dan"].save(update_fields=["is_active"])

    post = post_create(author=alice, content=f"alice's post {SECRET}", type=Post.Type.THOUGHTS)
    reply = reply_create(post=post, author=users["bob"], content=f"bob's reply {SECRET}")
    post_like(post=post, user=users["bob"])
    post_create(author=users["bob"], content=f"bob's post {SECRET}", type=Post.Type.THOUGHTS)
    message_send(sender=alice, recipient=users["bob"], text=f"alice to bob {SECRET}")
    request = friend_request_create(from_user=users["ray"], to_user=alice)
    notification = Notification.objects.get(recipient=alice, type=Notification.Type.NEW_POST)
    for user in users.values():
        Token.objects.get_or_create(user=user)
    return World(**users, post=post, reply=reply, request=request, notification=notification)


@pytest.fixture(scope="module")
def _module_world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """One world per module, in a transaction rolled back after the module's last test."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture
def world(_module_world, db) -> World:
    """The module's world; each test runs in a savepoint (the `db` fixture) rolled back after
    it, so every test starts from the same rows. Hundreds of tests share it: building it
    for each one cost most of their time."""
    return _module_world


def token_client(user: User) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def as_user(world):
    """`as_user("bob")`: an API client with that user's token; `as_user(None)`: anonymous."""

    def make(name: str | None) -> APIClient:
        return APIClient() if name is None else token_client(world.user(name))

    return make
