import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from apps.notifications.models import PushSubscription
from apps.notifications.webpush.keys import b64url, vapid_keys
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/push-subscriptions/"


def browser_keys() -> dict[str, str]:
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return {"p256dh": b64url(point), "auth": b64url(os.urandom(16))}


def subscription(endpoint: str = "https://push.example.com/send/abc") -> dict:
    return {"endpoint": endpoint, "expirationTime": None, "keys": browser_keys()}


@pytest.fixture
def me(db):
    return UserFactory()


@pytest.fixture
def client(client_for, me):
    return client_for(me)


def test_subscribe_lists_and_unsubscribes_this_browser(client, me):
    body = subscription()

    created = client.post(URL, body, format="json")
    again = client.post(URL, {**body, "keys": browser_keys()}, format="json")
    listed = client.get(URL)
    deleted = client.delete(URL, {"endpoint": body["endpoint"]}, format="json")

    assert (created.status_code, again.status_code) == (201, 200)
    assert [item["endpoint"] for item in listed.json()] == [body["endpoint"]]
    assert deleted.status_code == 204
    assert not PushSubscription.objects.exists()


def test_several_browsers_per_user_and_only_your_own_listed(client, me, client_for):
    client.post(URL, subscription("https://push.example.com/a"), format="json")
    client.post(URL, subscription("https://push.example.com/b"), format="json")
    other = client_for(UserFactory())
    other.post(URL, subscription("https://push.example.com/c"), format="json")

    listed = client.get(URL).json()

    assert {item["endpoint"] for item in listed} == {
        "https://push.example.com/a",
        "https://push.example.com/b",
    }


def test_a_browser_that_subscribes_under_another_login_moves_to_it(client, me, client_for):
    body = subscription()
    client.post(URL, body, format="json")
    other_user = UserFactory()

    client_for(other_user).post(URL, body, format="json")

    assert PushSubscription.objects.get().user == other_user


def test_deleting_someone_elses_endpoint_is_404_and_keeps_it(client, client_for):
    body = subscription()
    client_for(UserFactory()).post(URL, body, format="json")

    response = client.delete(URL, {"endpoint": body["endpoint"]}, format="json")

    assert response.status_code == 404
    assert PushSubscription.objects.count() == 1


def test_the_oldest_subscription_goes_past_the_limit(client, me, settings):
    settings.RIPPLE_WEBPUSH_MAX_SUBSCRIPTIONS = 2
    for name in ("a", "b", "c"):
        client.post(URL, subscription(f"https://push.example.com/{name}"), format="json")

    assert set(PushSubscription.objects.values_list("endpoint", flat=True)) == {
        "https://push.example.com/b",
        "https://push.example.com/c",
    }


def _with_keys(**keys):
    body = subscription()
    body["keys"] = {**body["keys"], **keys}
    return body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"keys": browser_keys()}, "endpoint"),
        ({**subscription(), "endpoint": "ftp://push.example.com/x"}, "endpoint"),
        ({**subscription(), "endpoint": "x" * 3000}, "endpoint"),
        ({"endpoint": "https://push.example.com/x"}, "keys.p256dh"),
        (_with_keys(p256dh=b64url(b"\x04" + bytes(63))), "keys.p256dh"),
        (_with_keys(p256dh=b64url(b"\x02" + bytes(64))), "keys.p256dh"),
        (_with_keys(p256dh=b64url(b"\x04" + bytes(64))), "keys.p256dh"),  # not on the curve
        (_with_keys(p256dh="not base64 !!"), "keys.p256dh"),
        (_with_keys(auth=b64url(bytes(15))), "keys.auth"),
        (_with_keys(auth=12), "keys.auth"),
        ([], "non_field_errors"),
    ],
)
def test_bad_subscriptions_are_400_naming_the_field(client, body, field):
    response = client.post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://push.example.com/x",
        "https://127.0.0.1/x",
        "https://10.1.2.3/x",
        "https://localhost/x",
        "https://[::1]/x",
        "https://redis/x",
    ],
)
def test_production_takes_only_https_to_public_hosts(client, settings, endpoint):
    settings.RIPPLE_WEBPUSH_ALLOW_HTTP = False

    response = client.post(URL, subscription(endpoint), format="json")

    assert response.status_code == 400
    assert "endpoint" in response.json()["fields"]


def test_anonymous_is_401(api_client):
    assert api_client.get(URL).status_code == 401
    assert api_client.post(URL, subscription(), format="json").status_code == 401


def test_vapid_public_key_is_the_configured_keys_public_half(client):
    response = client.get("/api/push/vapid-public-key/")

    assert response.status_code == 200
    keys = vapid_keys()
    assert keys is not None
    assert response.json() == {"public_key": keys.public_key}
    assert len(b64url_decode_len(response.json()["public_key"])) == 65


def b64url_decode_len(text: str) -> bytes:
    from apps.notifications.webpush.keys import b64url_decode

    return b64url_decode(text)


def test_vapid_public_key_is_null_without_a_key(client, settings):
    settings.RIPPLE_VAPID_PRIVATE_KEY = ""
    settings.RIPPLE_VAPID_GENERATE = False

    assert client.get("/api/push/vapid-public-key/").json() == {"public_key": None}
