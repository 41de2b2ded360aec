"""Who may call which endpoint: every REST route, every kind of caller, nothing changed.

The routes come from the URL resolver, so a new endpoint fails `test_every_api_route_is_
classified` until it is added to PUBLIC, OBJECT_CASES or OWN_SCOPE here.

- Anonymous callers get 401 and suspended ones 403 on every non-public route.
- Objects a caller must not know of (another user's notification, a friend request not
  addressed to them, the post of someone who is not their friend) are 404, exactly as an
  id that does not exist; rules they may know of (messages only between friends, only the
  author deletes a post) are 403 or 400, as the API documents.
- Each refusal leaves every row of the database as it was.
"""

import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from apps.accounts.errors import ACCOUNT_SUSPENDED
from apps.digests.models import DigestSettings
from apps.friends.models import FriendPreference
from apps.friends.services import friendship_delete
from apps.notifications.models import Notification, NotificationPreference, PushSubscription
from apps.notifications.webpush.keys import b64url
from apps.notifications.webpush.subscriptions import push_subscription_save
from apps.posts.services import post_create
from tests.factories import UserFactory, make_friends
from tests.security.conftest import SECRET, World, snapshot, token_client

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


def api_operations() -> set[tuple[str, str]]:
    """Every (METHOD, route) the URL resolver serves under /api/, e.g. ("GET", "/api/me/")."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith("api/"):
                view = getattr(
                    pattern.callback, "cls", getattr(pattern.callback, "view_class", None)
                )
                path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
                for method in METHODS:
                    if hasattr(view, method):
                        yield method.upper(), path

    return set(walk(get_resolver().url_patterns))


PUBLIC = {
    ("POST", "/api/auth/register/"),
    ("POST", "/api/auth/token/"),
    ("GET", "/api/schema/"),
    ("GET", "/api/docs/"),
}

# What the owner (or the caller who has the right) sends; refusals send the same.
BODIES: dict[tuple[str, str], Callable[[World], dict]] = {
    ("POST", "/api/friend-requests/"): lambda w: {"to_user": w.sam.pk},
    ("POST", "/api/posts/"): lambda w: {"content": "hello", "type": "thoughts"},
    ("POST", "/api/posts/{post_id}/replies/"): lambda w: {"content": "a reply"},
    ("POST", "/api/messages/"): lambda w: {"to": w.bob.pk, "text": "hi"},
    ("POST", "/api/notifications/read-all/"): lambda w: {},
    ("POST", "/api/notifications/done-all/"): lambda w: {"up_to": w.notification.pk},
    ("POST", "/api/notifications/seen/"): lambda w: {"last_seen_id": w.notification.pk},
    ("PATCH", "/api/notification-preferences/"): lambda w: {"batch_window_seconds": 5},
    ("POST", "/api/muted-users/"): lambda w: {"user": w.sam.pk},
    ("POST", "/api/blocks/"): lambda w: {"user": w.sam.pk},
    ("PATCH", "/api/friend-preferences/"): lambda w: {"requests_from": "nobody"},
    ("PATCH", "/api/digest-settings/"): lambda w: {"frequency": "weekly"},
    ("POST", "/api/push-subscriptions/"): lambda w: browser_subscription(),
}


def browser_subscription(endpoint: str | None = None) -> dict:
    """A valid PushSubscription JSON, on a new endpoint unless given."""
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return {
        "endpoint": endpoint or f"https://push.example.com/{uuid.uuid4().hex}",
        "keys": {"p256dh": b64url(point), "auth": b64url(os.urandom(16))},
    }


def alice_push_endpoint(world: World) -> str:
    """The endpoint of alice's browser, subscribed on first use."""
    body = browser_subscription("https://push.example.com/alice")
    if not PushSubscription.objects.filter(endpoint=body["endpoint"]).exists():
        push_subscription_save(user=world.alice, endpoint=body["endpoint"], **body["keys"])
    return body["endpoint"]


# Path parameters, as alice's objects (or her relations) for the refusal tables.
PARAMS: dict[str, Callable[[World], int]] = {
    "request_id": lambda w: w.request.pk,
    "post_id": lambda w: w.post.pk,
    "reply_id": lambda w: w.reply.pk,
    "notification_id": lambda w: w.notification.pk,
}
USER_PARAM = {
    "/api/friends/{user_id}/": lambda w: w.bob.pk,  # alice's friendship with bob
    "/api/muted-users/{user_id}/": lambda w: w.mal.pk,  # alice's mute of mal
    "/api/blocks/{user_id}/": lambda w: w.blocked.pk,  # alice's block of `blocked`
}
QUERIES = {
    ("GET", "/api/users/"): lambda w: {"username": "alice"},
    ("GET", "/api/messages/"): lambda w: {"with": w.bob.pk},
    ("GET", "/api/notifications/states/"): lambda w: {"ids": str(w.notification.pk)},
}


def url_for(world: World, route: str, *, ghost: bool = False) -> str:
    """The route with alice's objects in it; with `ghost`, with ids of nothing of hers:
    objects that do not exist, and a user unrelated to anyone."""

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name == "user_id":
            return str(UserFactory().pk if ghost else USER_PARAM[route](world))
        return str(10**9 if ghost else PARAMS[name](world))

    return re.sub(r"\{(\w+)\}", value, route)


def call(
    client: APIClient,
    world: World,
    method: str,
    route: str,
    body: Any = None,
    *,
    ghost: bool = False,
) -> Any:
    if body is None and (method, route) in BODIES:
        body = BODIES[(method, route)](world)
    query = QUERIES.get((method, route), lambda w: None)(world)
    url = url_for(world, route, ghost=ghost)
    if method == "GET":
        return client.get(url, query)
    return getattr(client, method.lower())(url, body, format="json")


# --- Coverage ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectCase:
    """A route that reaches one of alice's objects: who may, who is refused and how."""

    method: str
    route: str
    allowed: str  # the caller with the right (positive control)
    allowed_status: int
    refusals: dict[str, int] = field(hash=False)
    body: Callable[[World], dict] | None = field(default=None, hash=False)

    def __str__(self) -> str:
        return f"{self.method} {self.route}"


OUTSIDERS = ("sam", "eve", "blocked", "ray")  # not alice's friends
NOT_ALICE = (*OUTSIDERS, "bob", "mal")


def refused(status: int, *names: str) -> dict[str, int]:
    return dict.fromkeys(names, status)


OBJECT_CASES = [
    ObjectCase("POST", "/api/friend-requests/{request_id}/accept/", "alice", 200,
               refused(404, *NOT_ALICE)),
    ObjectCase("POST", "/api/friend-requests/{request_id}/decline/", "alice", 200,
               refused(404, *NOT_ALICE)),
    # Each caller can only end their own friendship: alice's with bob is not theirs.
    ObjectCase("DELETE", "/api/friends/{user_id}/", "alice", 204,
               refused(404, *OUTSIDERS, "mal")),
    ObjectCase("GET", "/api/posts/{post_id}/", "alice", 200, refused(404, *OUTSIDERS)),
    ObjectCase("DELETE", "/api/posts/{post_id}/", "alice", 204,
               {**refused(404, *OUTSIDERS), **refused(403, "bob", "mal")}),
    ObjectCase("POST", "/api/posts/{post_id}/like/", "mal", 200, refused(404, *OUTSIDERS)),
    ObjectCase("DELETE", "/api/posts/{post_id}/like/", "bob", 200, refused(404, *OUTSIDERS)),
    ObjectCase("GET", "/api/posts/{post_id}/replies/", "bob", 200, refused(404, *OUTSIDERS)),
    ObjectCase("POST", "/api/posts/{post_id}/replies/", "bob", 201, refused(404, *OUTSIDERS)),
    # bob's reply on alice's post: bob or alice may delete it; another friend is told no.
    ObjectCase("DELETE", "/api/posts/{post_id}/replies/{reply_id}/", "bob", 204,
               {**refused(404, *OUTSIDERS), **refused(403, "mal")}),
    # Posting on alice's profile needs her friendship; the API names the field (400).
    ObjectCase("POST", "/api/posts/", "bob", 201, refused(400, *OUTSIDERS),
               body=lambda w: {"content": "hi", "type": "thoughts", "target_profile": w.alice.pk}),
    # Messages go to friends only: a documented rule, so 403 rather than 404.
    ObjectCase("POST", "/api/messages/", "bob", 201, refused(403, *OUTSIDERS),
               body=lambda w: {"to": w.alice.pk, "text": "hi"}),
    ObjectCase("POST", "/api/notifications/{notification_id}/read/", "alice", 200,
               refused(404, *NOT_ALICE)),
    ObjectCase("POST", "/api/notifications/{notification_id}/unread/", "alice", 200,
               refused(404, *NOT_ALICE)),
    ObjectCase("DELETE", "/api/notifications/{notification_id}/", "alice", 204,
               refused(404, *NOT_ALICE)),
    ObjectCase("POST", "/api/notifications/{notification_id}/done/", "alice", 200,
               refused(404, *NOT_ALICE)),
    ObjectCase("POST", "/api/notifications/{notification_id}/undone/", "alice", 200,
               refused(404, *NOT_ALICE)),
    ObjectCase("DELETE", "/api/muted-users/{user_id}/", "alice", 204, refused(404, *NOT_ALICE)),
    # Only the blocker lifts a block; to the blocked user it does not exist.
    ObjectCase("DELETE", "/api/blocks/{user_id}/", "alice", 204, refused(404, *NOT_ALICE)),
    # Only alice unsubscribes her browser; to others its endpoint is unknown.
    ObjectCase("DELETE", "/api/push-subscriptions/", "alice", 204, refused(404, *NOT_ALICE),
               body=lambda w: {"endpoint": alice_push_endpoint(w)}),
]  # fmt: skip

# Routes that only ever act on the caller's own data: the tests below prove that they show
# none of alice's private data and change none of her rows.
OWN_SCOPE = {
    ("GET", "/api/me/"),
    ("GET", "/api/users/"),
    ("GET", "/api/friend-requests/"),
    ("POST", "/api/friend-requests/"),
    ("GET", "/api/friends/"),
    ("GET", "/api/posts/"),
    ("POST", "/api/posts/"),
    ("GET", "/api/messages/"),
    ("POST", "/api/messages/"),
    ("GET", "/api/notifications/"),
    ("GET", "/api/notifications/unread-count/"),
    ("POST", "/api/notifications/read-all/"),
    ("POST", "/api/notifications/done-all/"),
    ("GET", "/api/notifications/seen/"),
    ("POST", "/api/notifications/seen/"),
    ("GET", "/api/notifications/states/"),
    ("GET", "/api/notification-preferences/"),
    ("PATCH", "/api/notification-preferences/"),
    ("GET", "/api/muted-users/"),
    ("POST", "/api/muted-users/"),
    ("GET", "/api/blocks/"),
    ("POST", "/api/blocks/"),
    ("GET", "/api/friend-preferences/"),
    ("PATCH", "/api/friend-preferences/"),
    ("GET", "/api/digest-settings/"),
    ("PATCH", "/api/digest-settings/"),
    ("GET", "/api/push-subscriptions/"),
    ("POST", "/api/push-subscriptions/"),
    ("GET", "/api/push/vapid-public-key/"),
}

PRIVATE_OPERATIONS = sorted(api_operations() - PUBLIC)


def test_every_api_route_is_classified():
    classified = PUBLIC | OWN_SCOPE | {(case.method, case.route) for case in OBJECT_CASES}

    assert api_operations() - classified == set(), "add the new endpoint to this module"
    assert classified - api_operations() == set(), "an endpoint listed here no longer exists"


# --- Anonymous, suspended, deactivated ---------------------------------------------------


@pytest.mark.parametrize(("method", "route"), PRIVATE_OPERATIONS)
@pytest.mark.parametrize("authorization", [None, "Token not-a-real-token", "Bearer abc"])
def test_anonymous_or_bad_credentials_get_401_and_change_nothing(
    world, method, route, authorization
):
    client = APIClient()
    if authorization:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    before = snapshot()

    response = call(client, world, method, route)

    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["code"] in {"not_authenticated", "authentication_failed"}
    assert snapshot() == before


@pytest.mark.parametrize(("method", "route"), PRIVATE_OPERATIONS)
def test_suspended_user_gets_403_and_changes_nothing(world, method, route):
    client = token_client(world.sue)
    before = snapshot()

    response = call(client, world, method, route)

    assert response.status_code == 403, response.content
    assert response.json() == {"detail": ACCOUNT_SUSPENDED, "code": "permission_denied"}
    assert snapshot() == before


@pytest.mark.parametrize(("method", "route"), PRIVATE_OPERATIONS)
def test_suspended_users_browser_session_gets_403_and_changes_nothing(world, method, route):
    client = APIClient(enforce_csrf_checks=False)
    client.force_login(world.sue)
    before = snapshot()

    response = call(client, world, method, route)

    assert response.status_code == 403, response.content
    assert snapshot() == before


@pytest.mark.parametrize(("method", "route"), PRIVATE_OPERATIONS)
def test_deactivated_users_token_gets_401_and_changes_nothing(world, method, route):
    client = token_client(world.dan)
    before = snapshot()

    response = call(client, world, method, route)

    assert response.status_code == 401, response.content
    assert snapshot() == before


@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE"])
def test_session_write_without_csrf_token_is_403_and_changes_nothing(world, method):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.alice)
    route = {"POST": "/api/posts/", "PATCH": "/api/notification-preferences/"}.get(
        method, "/api/notifications/{notification_id}/"
    )
    before = snapshot()

    response = call(client, world, method, route)

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert snapshot() == before


def test_suspended_user_cannot_obtain_a_token(world, api_client):
    before = snapshot()

    response = api_client.post(
        "/api/auth/token/",
        {"username": "sue", "password": "correct-horse-battery-staple"},
        format="json",
    )

    assert response.status_code == 403
    assert response.json() == {"detail": ACCOUNT_SUSPENDED, "code": "suspended"}
    assert snapshot() == before


# --- Objects a caller must not reach -----------------------------------------------------

REFUSALS = [
    pytest.param(case, actor, status, id=f"{case}-{actor}")
    for case in OBJECT_CASES
    for actor, status in case.refusals.items()
]


@pytest.mark.parametrize(("case", "actor", "status"), REFUSALS)
def test_object_refusal_has_its_status_and_changes_nothing(world, case, actor, status):
    client = token_client(world.user(actor))
    body = case.body(world) if case.body else None
    before = snapshot()

    response = call(client, world, case.method, case.route, body)

    assert response.status_code == status, response.content
    assert SECRET not in response.content.decode()
    assert snapshot() == before
    if status == 404:
        # Indistinguishable from asking for something that does not exist.
        ghost = call(client, world, case.method, case.route, body, ghost=True)
        assert (ghost.status_code, ghost.json()) == (404, response.json())


@pytest.mark.parametrize("case", OBJECT_CASES, ids=str)
def test_object_route_works_for_the_caller_with_the_right(world, case):
    """The positive control: the refusals above are about the caller, not a broken URL."""
    client = token_client(world.user(case.allowed))
    body = case.body(world) if case.body else None

    response = call(client, world, case.method, case.route, body)

    assert response.status_code == case.allowed_status, response.content


# --- Own-scope routes: nothing of alice's shows, nothing of hers changes -----------------


def alice_rows(world: World) -> dict[str, Any]:
    """Everything that is alice's: what an outsider's own-scope call must leave alone."""
    alice = world.alice
    return {
        "notifications": list(
            Notification.objects.filter(recipient=alice).order_by("pk").values_list()
        ),
        "preference": list(NotificationPreference.objects.filter(user=alice).values_list()),
        "mutes": list(alice.muted_users.order_by("pk").values_list()),
        "blocks": list(alice.blocks_made.order_by("pk").values_list()),
        "friend_preference": list(FriendPreference.objects.filter(user=alice).values_list()),
        "digest_settings": list(DigestSettings.objects.filter(user=alice).values_list()),
        "friends": list(alice.friendships.order_by("pk").values_list()),
        "requests": list(alice.received_friend_requests.order_by("pk").values_list()),
        "posts": list(alice.posts.order_by("pk").values_list()),
        "replies": list(world.post.replies.order_by("pk").values_list()),
        "likes": list(world.post.likes.order_by("pk").values_list()),
        "push_subscriptions": list(alice.push_subscriptions.order_by("pk").values_list()),
    }


OWN_READS = sorted(operation for operation in OWN_SCOPE if operation[0] == "GET")
OWN_WRITES = sorted(operation for operation in OWN_SCOPE if operation[0] != "GET")


@pytest.mark.parametrize(("method", "route"), OWN_READS)
@pytest.mark.parametrize("actor", OUTSIDERS)
def test_own_scope_reads_show_outsiders_nothing_of_alices(world, method, route, actor):
    client = token_client(world.user(actor))
    before = snapshot()

    responses = [call(client, world, method, route)]
    if route == "/api/messages/":
        responses.append(client.get(route, {"with": world.alice.pk}))

    for response in responses:
        assert response.status_code == 200, response.content
        assert SECRET not in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize(("method", "route"), OWN_WRITES)
@pytest.mark.parametrize("actor", [*OUTSIDERS, "mal"])
def test_own_scope_writes_by_others_leave_alices_rows_alone(world, method, route, actor):
    client = token_client(world.user(actor))
    other = UserFactory()
    make_friends(world.user(actor), other)
    body = {
        "/api/friend-requests/": {"to_user": UserFactory().pk},
        "/api/messages/": {"to": other.pk, "text": "hi"},
        "/api/muted-users/": {"user": other.pk},
        "/api/blocks/": {"user": other.pk},
    }.get(route)
    before = alice_rows(world)

    response = call(client, world, method, route, body)

    assert response.status_code in {200, 201}, response.content
    assert alice_rows(world) == before


@pytest.mark.parametrize("actor", ["eve", "blocked", "mal"])
def test_posts_of_ex_friends_and_muted_friends_do_not_notify_alice(world, actor):
    before = alice_rows(world)

    response = call(token_client(world.user(actor)), world, "POST", "/api/posts/")

    assert response.status_code == 201
    assert alice_rows(world) == before


def test_posts_of_a_friend_do_notify_alice(world):
    """The control for the test above: the same call by bob reaches alice's inbox."""
    before = Notification.objects.filter(recipient=world.alice).count()

    call(token_client(world.bob), world, "POST", "/api/posts/")

    assert Notification.objects.filter(recipient=world.alice).count() == before + 1


def test_ex_friend_loses_posts_made_while_they_were_friends(world):
    ex = UserFactory()
    make_friends(world.alice, ex)
    post = post_create(author=world.alice, content=f"old {SECRET}", type="thoughts")
    client = token_client(ex)
    assert client.get(f"/api/posts/{post.pk}/").status_code == 200

    friendship_delete(user=world.alice, friend_id=ex.pk)

    response = client.get(f"/api/posts/{post.pk}/")
    assert response.status_code == 404
    assert SECRET not in client.get("/api/posts/").content.decode()


def test_inbox_of_another_users_browser_session_shows_nothing_of_alices(world):
    client = Client()
    client.force_login(world.sam)

    response = client.get("/api/notifications/")

    assert response.status_code == 200
    assert SECRET not in response.content.decode()


# --- The blocked caller: answered as any ex-friend, never told of the block ---------------

TOWARD_ALICE = [
    ("POST", "/api/friend-requests/", lambda w: {"to_user": w.alice.pk}),
    ("POST", "/api/messages/", lambda w: {"to": w.alice.pk, "text": "hi"}),
    ("GET", "/api/posts/{post_id}/", None),
    ("POST", "/api/posts/{post_id}/like/", None),
    ("GET", "/api/posts/{post_id}/replies/", None),
    ("POST", "/api/posts/",
     lambda w: {"content": "x", "type": "thoughts", "target_profile": w.alice.pk}),
    ("DELETE", "/api/friends/{user_id}/", None),
    ("GET", "/api/blocks/", None),
    ("POST", "/api/muted-users/", lambda w: {"user": w.alice.pk}),
]  # fmt: skip


def _without_ids(body: Any) -> Any:
    """The body without what names the caller or the moment: ids, usernames, times."""
    if isinstance(body, dict):
        return {
            k: _without_ids(v) for k, v in body.items() if k not in {"id", "created_at", "username"}
        }
    if isinstance(body, list):
        return [_without_ids(item) for item in body]
    return body


# The ids name a body without its address, which differs between the xdist processes.
@pytest.mark.parametrize(
    ("method", "route", "body"), TOWARD_ALICE, ids=lambda v: "body" if callable(v) else str(v)
)
def test_blocked_caller_gets_exactly_what_an_ex_friend_gets(world, method, route, body):
    """`blocked` (alice blocked them) and `eve` (alice unfriended her) are answered alike:
    nothing in a response tells the blocked user that they are blocked."""
    url = route.replace("{post_id}", str(world.post.pk))
    url = url.replace("{user_id}", str(world.alice.pk))
    answers = {}
    for name in ("blocked", "eve"):
        client = token_client(world.user(name))
        data = body(world) if body else None
        response = (
            client.get(url)
            if method == "GET"
            else getattr(client, method.lower())(url, data, format="json")
        )
        answers[name] = (response.status_code, _without_ids(response.json()))
        text = response.content.decode().replace('"username":"blocked"', "")
        assert "block" not in text.lower()

    assert answers["blocked"] == answers["eve"]


def test_blocked_callers_request_reaches_nothing_of_alices(world):
    before = alice_rows(world)

    response = call(
        token_client(world.blocked), world, "POST", "/api/friend-requests/",
        {"to_user": world.alice.pk},
    )  # fmt: skip

    assert response.status_code == 201
    after = alice_rows(world)
    # Stored (the sender sees it pending), but nowhere alice looks: no notification, and
    # not among the requests she is shown.
    assert after["notifications"] == before["notifications"]
    shown = token_client(world.alice).get("/api/friend-requests/", {"direction": "incoming"})
    filtered = token_client(world.alice).get("/api/friend-requests/", {"direction": "filtered"})
    assert response.json()["id"] not in [r["id"] for r in shown.json()["results"]]
    assert filtered.json()["results"] == []


@pytest.mark.parametrize("searcher", ["blocked", "alice"])
def test_blocked_caller_and_blocker_do_not_find_each_other(world, searcher):
    other = "alice" if searcher == "blocked" else "blocked"

    response = token_client(world.user(searcher)).get("/api/users/", {"username": other})

    assert response.status_code == 200
    assert response.json()["results"] == []
    # The control: an ex-friend who is not blocked still finds alice.
    found = token_client(world.eve).get("/api/users/", {"username": "alice"}).json()
    assert [u["username"] for u in found["results"]] == ["alice"]
