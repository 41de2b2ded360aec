"""/healthz and /readyz: liveness without dependencies, readiness that names what is down."""

import socket
import time

import pytest
from channels.layers import channel_layers
from django.db import connection, connections

from scripts.workers import free_port

REDIS_LAYER = "apps.notifications.realtime.layer.RippleRedisChannelLayer"


def _redis_layer(url: str, prefix: str = "readyz-test") -> dict:
    return {
        "default": {
            "BACKEND": REDIS_LAYER,
            "CONFIG": {
                "hosts": [{"address": url, "socket_timeout": None, "socket_connect_timeout": 1}],
                "prefix": prefix,
            },
        }
    }


@pytest.fixture
def use_layer(settings):
    """Point the default channel layer at another configuration for this test."""

    def use(layers: dict) -> None:
        settings.CHANNEL_LAYERS = layers
        channel_layers.backends.clear()

    return use


@pytest.fixture
def database_down(monkeypatch):
    """New connections to the default database fail; the test's own connection is kept."""
    broken = dict(connections.settings["default"])
    if connection.vendor == "sqlite":
        broken["NAME"] = "/nonexistent-directory/ripple.sqlite3"
    else:
        broken.update(HOST="127.0.0.1", PORT=str(free_port()))
    monkeypatch.setitem(connections.settings, "default", broken)


def test_healthz_answers_ok_without_the_database(client):
    # No django_db mark: any query would raise.
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_probes_answer_any_host_over_plain_http_but_other_paths_still_check_it(client, settings):
    settings.ALLOWED_HOSTS = ["ripple.example.com"]
    settings.SECURE_SSL_REDIRECT = True

    probe = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    page = client.get("/api/auth/token/", HTTP_HOST="10.0.0.7:8000")

    assert probe.status_code == 200
    assert page.status_code == 400


@pytest.mark.django_db
def test_readyz_returns_200_with_every_check_when_database_and_layer_answer(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["channel_layer"]["status"] == "ok"
    assert "failing" not in body


@pytest.mark.django_db
def test_readyz_needs_no_authentication(client):
    assert client.get("/readyz").status_code == 200
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_readyz_returns_503_naming_the_channel_layer_when_redis_is_down(client, use_layer):
    use_layer(_redis_layer(f"redis://127.0.0.1:{free_port()}/0"))

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["failing"] == ["channel_layer"]
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["channel_layer"]["status"] == "error"
    assert body["checks"]["channel_layer"]["error"]


@pytest.mark.django_db
def test_readyz_returns_503_naming_the_database_when_it_is_down(client, database_down):
    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["database"]
    assert body["checks"]["channel_layer"]["status"] == "ok"
    assert body["checks"]["database"]["error"]


@pytest.mark.django_db
def test_readyz_names_both_parts_when_both_are_down(client, use_layer, database_down):
    use_layer(_redis_layer(f"redis://127.0.0.1:{free_port()}/0"))

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["failing"] == ["database", "channel_layer"]


@pytest.mark.django_db
def test_readyz_gives_up_on_a_hung_channel_layer_after_the_timeout(client, use_layer, settings):
    settings.RIPPLE_READY_TIMEOUT_SECONDS = 0.3
    # Accepts connections (the kernel completes the handshake) but never answers.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        use_layer(_redis_layer(f"redis://127.0.0.1:{silent.getsockname()[1]}/0"))
        started = time.monotonic()

        response = client.get("/readyz")

        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["checks"]["channel_layer"]["error"] == "timed out after 0.3s"
    assert elapsed < 2


@pytest.mark.services
@pytest.mark.django_db
def test_readyz_round_trips_through_real_redis(client, use_layer):
    import os
    import uuid

    use_layer(_redis_layer(os.environ["REDIS_URL"], prefix=f"readyz-{uuid.uuid4().hex[:8]}"))

    response = client.get("/readyz")

    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["channel_layer"]["status"] == "ok"
