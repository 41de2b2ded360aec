"""A push service on loopback for the tests, strict where real ones are.

It refuses (401) a request whose VAPID token (RFC 8292) does not verify: an ES256 JWT signed
by the key in the header's `k=`, for this origin, expiring within 24 hours. It decrypts the
aes128gcm body (RFC 8188, 8291) with the subscriber's private key, which only a correct
encryption allows, and records what arrived. Each endpoint answers the statuses it is told
to, in order, then 201.
"""

import base64
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from apps.notifications.webpush.keys import VapidKeys, vapid_keys


def configured_keys() -> VapidKeys:
    keys = vapid_keys()
    assert keys is not None, "Web Push is on in the test settings"
    return keys


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


class Subscriber:
    """A browser: its key pair and auth secret, as PushManager.subscribe() makes them."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)

    def subscription(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "keys": {
                "p256dh": b64url(_point(self.private_key.public_key())),
                "auth": b64url(self.auth),
            },
        }

    def decrypt(self, body: bytes) -> bytes:
        """RFC 8291 §3.4 and RFC 8188 §2: one record, its padding delimiter 0x02."""
        salt, record_size, id_length = body[:16], int.from_bytes(body[16:20], "big"), body[20]
        sender_point = body[21 : 21 + id_length]
        ciphertext = body[21 + id_length :]
        assert id_length == 65, "the sender's public key as the key id"
        assert record_size >= len(ciphertext), "one aes128gcm record"
        sender = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), sender_point)
        shared = self.private_key.exchange(ec.ECDH(), sender)
        key_info = b"WebPush: info\x00" + _point(self.private_key.public_key()) + sender_point
        ikm = HKDF(hashes.SHA256(), 32, salt=self.auth, info=key_info).derive(shared)
        cek = HKDF(hashes.SHA256(), 16, salt=salt, info=b"Content-Encoding: aes128gcm\x00").derive(
            ikm
        )
        nonce = HKDF(hashes.SHA256(), 12, salt=salt, info=b"Content-Encoding: nonce\x00").derive(
            ikm
        )
        padded = AESGCM(cek).decrypt(nonce, ciphertext, None).rstrip(b"\x00")
        assert padded.endswith(b"\x02"), "the last record ends with the 0x02 delimiter"
        return padded[:-1]


def _expand(ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    return HKDF(hashes.SHA256(), length, salt=salt, info=info).derive(ikm)


def verify_vapid(header: str, origin: str) -> dict[str, Any]:
    """RFC 8292 §3: `vapid t=<JWT>, k=<public key>`; returns the claims or raises."""
    scheme, _, params = header.partition(" ")
    assert scheme.lower() == "vapid", f"scheme {scheme!r}"
    parts = dict(item.strip().split("=", 1) for item in params.split(","))
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(parts["k"]))
    head, claims_part, signature = parts["t"].split(".")
    assert json.loads(unb64url(head)) == {"typ": "JWT", "alg": "ES256"}
    raw = unb64url(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(der, f"{head}.{claims_part}".encode(), ec.ECDSA(hashes.SHA256()))
    claims: dict[str, Any] = json.loads(unb64url(claims_part))
    assert claims["aud"] == origin, f"aud {claims['aud']!r} is not {origin!r}"
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600, "exp within 24 h"
    assert claims["sub"].startswith(("mailto:", "https:")), "a contact in sub"
    return claims


@dataclass
class Arrival:
    name: str
    status: int
    headers: dict[str, str]
    payload: dict[str, Any] | None
    public_key: str


@dataclass
class PushService:
    server: ThreadingHTTPServer
    subscribers: dict[str, Subscriber] = field(default_factory=dict)
    scripts: dict[str, list[int]] = field(default_factory=dict)
    arrivals: list[Arrival] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Seconds every answer waits after the push is recorded: a slow push service.
    delay_seconds: float = 0.0

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def subscriber(self, name: str) -> Subscriber:
        subscriber = Subscriber(f"{self.origin}/push/{name}")
        self.subscribers[name] = subscriber
        return subscriber

    def answer(self, name: str, *statuses: int) -> None:
        self.scripts[name] = list(statuses)

    def delivered(self, name: str | None = None) -> list[Arrival]:
        return [a for a in self.arrivals if a.status == 201 and name in (None, a.name)]

    def handle(self, name: str, headers: dict[str, str], body: bytes) -> int:
        try:
            verify_vapid(headers.get("authorization", ""), self.origin)
            subscriber = self.subscribers[name]
            assert headers.get("content-encoding") == "aes128gcm"
            assert len(body) <= 4096, "push services take at most 4096 bytes"
            payload = json.loads(subscriber.decrypt(body))
        except (AssertionError, InvalidSignature, KeyError, ValueError) as error:
            with self.lock:
                self.refused.append(f"{name}: {type(error).__name__}: {error}")
            return 401
        with self.lock:
            script = self.scripts.get(name) or []
            status = script.pop(0) if script else 201
            key = dict(
                item.strip().split("=", 1)
                for item in headers["authorization"].split(" ", 1)[1].split(",")
            )["k"]
            self.arrivals.append(Arrival(name, status, headers, payload, key))
        return status


def start_push_service() -> PushService:
    service: PushService

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            name = self.path.rsplit("/", 1)[-1]
            headers = {key.lower(): value for key, value in self.headers.items()}
            status = service.handle(name, headers, body)
            if service.delay_seconds:
                time.sleep(service.delay_seconds)
            self.send_response(status)
            if status == 429:
                self.send_header("Retry-After", "0")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    service = PushService(server)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return service


def wait_for(condition: Callable[[], object], timeout: float = 60) -> None:
    """Poll until `condition()` is true: pushes arrive from another thread or process."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
