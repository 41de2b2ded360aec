"""VAPID keys and tokens, backoff, payload size: the parts on their own."""

import json
import threading
import time
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.exceptions import ImproperlyConfigured

from apps.notifications import metrics
from apps.notifications.webpush import background
from apps.notifications.webpush.delivery import backoff_seconds
from apps.notifications.webpush.keys import TokenCache, b64url, vapid_keys
from apps.notifications.webpush.payload import (
    MAX_PLAINTEXT,
    notification_payload,
    removal_payloads,
    topic_for,
)
from tests.notifications.webpush.pushservice import configured_keys, verify_vapid


def raw_private_key() -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    private = b64url(key.private_numbers().private_value.to_bytes(32, "big"))
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return private, b64url(public)


def test_keys_from_the_environment_sign_tokens_a_push_service_accepts(settings):
    private, public = raw_private_key()
    settings.RIPPLE_VAPID_PRIVATE_KEY = private
    settings.RIPPLE_VAPID_PUBLIC_KEY = public
    settings.RIPPLE_VAPID_SUBJECT = "mailto:ops@ripple.example"

    keys = configured_keys()
    header = TokenCache().header(keys, "https://push.example.net")

    assert keys.public_key == public
    claims = verify_vapid(header, "https://push.example.net")
    assert claims["sub"] == "mailto:ops@ripple.example"
    assert f"k={public}" in header


def test_a_public_key_that_does_not_match_the_private_one_is_refused(settings):
    settings.RIPPLE_VAPID_PRIVATE_KEY = raw_private_key()[0]
    settings.RIPPLE_VAPID_PUBLIC_KEY = raw_private_key()[1]

    with pytest.raises(ImproperlyConfigured):
        configured_keys()


def test_production_without_a_key_has_web_push_off(settings):
    settings.RIPPLE_VAPID_PRIVATE_KEY = ""
    settings.RIPPLE_VAPID_GENERATE = False

    assert vapid_keys() is None


def test_development_generates_a_key_once_and_keeps_it(settings, tmp_path):
    settings.RIPPLE_VAPID_PRIVATE_KEY = ""
    settings.RIPPLE_VAPID_KEY_FILE = tmp_path / "vapid.pem"
    first = configured_keys().public_key
    from apps.notifications.webpush import keys as keys_module

    keys_module._load.cache_clear()

    assert configured_keys().public_key == first
    assert (tmp_path / "vapid.pem").stat().st_mode & 0o077 == 0


def test_a_token_is_reused_per_origin_until_it_nears_expiry(settings, time_machine):
    settings.RIPPLE_VAPID_TOKEN_SECONDS = 3600
    settings.RIPPLE_VAPID_TOKEN_RENEW_SECONDS = 600
    keys = configured_keys()
    cache = TokenCache()
    time_machine.move_to(time.time(), tick=False)

    first = cache.header(keys, "https://a.example")
    same = cache.header(keys, "https://a.example")
    other_origin = cache.header(keys, "https://b.example")
    time_machine.shift(3600 - 601)
    still = cache.header(keys, "https://a.example")
    time_machine.shift(2)
    renewed = cache.header(keys, "https://a.example")

    assert first == same == still
    assert other_origin != first
    assert renewed != first


def test_backoff_doubles_honours_retry_after_and_is_capped(settings):
    settings.RIPPLE_WEBPUSH_BACKOFF_SECONDS = 2
    settings.RIPPLE_WEBPUSH_BACKOFF_MAX_SECONDS = 60

    assert [backoff_seconds(attempt) for attempt in (2, 3, 4, 5)] == [2, 4, 8, 16]
    assert backoff_seconds(2, [None, 30]) == 30
    assert backoff_seconds(10) == 60
    assert backoff_seconds(2, [3600]) == 60


def test_payload_stays_under_the_limit_and_never_cuts_ids():
    frame = {
        "id": 123456789,
        "type": "post_replied",
        "actor": {"id": 7, "username": "p" * 150},
        "data": {
            "post": {"id": 99, "excerpt": "x" * 5000, "author_id": 7},
            "reply": {"id": 98, "excerpt": "€" * 5000},
        },
        "group": {"key": "r99", "count": 3},
    }

    payload = notification_payload(recipient_id=5, frame=frame)

    assert len(payload) <= MAX_PLAINTEXT
    decoded = json.loads(payload)["notification"]
    assert decoded["id"] == 123456789
    assert (decoded["data"]["post"]["id"], decoded["data"]["reply"]["id"]) == (99, 98)
    assert decoded["actor"]["username"] == "p" * 150


def test_a_long_removal_is_split_and_names_every_id():
    ids = list(range(10**15, 10**15 + 1000))

    payloads = removal_payloads(ids=ids)

    assert all(len(p) <= MAX_PLAINTEXT for p in payloads)
    assert [i for p in payloads for i in json.loads(p)["ids"]] == ids


def test_topic_is_at_most_32_url_safe_characters():
    topic = topic_for("p12345-1764900000000")

    assert len(topic) <= 32
    assert set(topic) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


class BlockingTask:
    """Stands in for a Celery task that holds the background thread until released."""

    name = "test.blocking"
    # No broker: the thread runs the task rather than publishing it.
    app = SimpleNamespace(conf=SimpleNamespace(task_always_eager=True))

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.runs = 0

    def apply(self, args: tuple) -> "BlockingTask":
        self.runs += 1
        self.started.set()
        self.release.wait(30)
        return self

    def failed(self) -> bool:
        return False


def test_a_full_background_queue_drops_the_new_task_and_counts_it(settings, monkeypatch, caplog):
    settings.RIPPLE_WEBPUSH_BACKGROUND_QUEUE = 1
    monkeypatch.setattr(background, "_jobs", None)  # a thread and queue of this test's own
    task = BlockingTask()
    dropped_before = metrics.counters()["webpush_background_dropped"]

    background.run_later(task, ())  # taken by the thread, which then blocks
    assert task.started.wait(10)
    background.run_later(task, ())  # waits in the queue
    background.run_later(task, ())  # one too many
    task.release.set()

    assert metrics.counters()["webpush_background_dropped"] == dropped_before + 1
    assert "test.blocking dropped" in caplog.text
    queue = background._jobs[1] if background._jobs else None
    assert queue is not None
    queue.join()
    assert task.runs == 2
