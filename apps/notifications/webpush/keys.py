"""The VAPID key pair (RFC 8292) and the tokens signed with it.

Production reads the key from RIPPLE_VAPID_PRIVATE_KEY; development and tests generate one
on first use and keep it in RIPPLE_VAPID_KEY_FILE, so browsers' subscriptions (which are
bound to the public key) survive restarts. Tokens are signed once per push-service origin
and reused until they near expiry: signing is the costly part of a small push.
"""

import base64
import os
import threading
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from py_vapid import Vapid02


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Base64url with or without padding; raises ValueError (binascii.Error) on bad input."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class VapidKeys:
    vapid: Vapid02
    public_key: str  # the uncompressed point, base64url: the browser's applicationServerKey
    subject: str


def vapid_keys() -> VapidKeys | None:
    """The configured key pair, or None when Web Push is off (no key, none to generate)."""
    return _load(
        settings.RIPPLE_VAPID_PRIVATE_KEY,
        settings.RIPPLE_VAPID_PUBLIC_KEY,
        settings.RIPPLE_VAPID_SUBJECT,
        settings.RIPPLE_VAPID_GENERATE,
        Path(settings.RIPPLE_VAPID_KEY_FILE),
    )


@cache
def _load(
    private: str, public: str, subject: str, generate: bool, key_file: Path
) -> VapidKeys | None:
    if private:
        key = _parse_private_key(private)
    elif generate:
        key = _generated_key(key_file)
    else:
        return None
    vapid = Vapid02()
    vapid.private_key = key
    public_key = b64url(
        key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )
    if public and public.rstrip("=") != public_key:
        raise ImproperlyConfigured(
            "RIPPLE_VAPID_PUBLIC_KEY is not the public half of RIPPLE_VAPID_PRIVATE_KEY."
        )
    return VapidKeys(vapid=vapid, public_key=public_key, subject=subject)


def _parse_private_key(text: str) -> ec.EllipticCurvePrivateKey:
    try:
        if "BEGIN" in text:
            key = serialization.load_pem_private_key(text.encode(), password=None)
            if not isinstance(key, ec.EllipticCurvePrivateKey):
                raise ValueError("not an elliptic-curve key")
            return key
        return ec.derive_private_key(
            int.from_bytes(b64url_decode(text.strip()), "big"), ec.SECP256R1()
        )
    except ValueError as error:
        raise ImproperlyConfigured(
            f"RIPPLE_VAPID_PRIVATE_KEY is not a P-256 key: {error}"
        ) from None


def _generated_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """Read the kept key, or create it; exclusive creation so concurrent first runs agree."""
    if not path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as file:
                file.write(pem)
            return key
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, ec.EllipticCurvePrivateKey):
        raise ImproperlyConfigured(f"{path} does not hold a P-256 key.")
    return loaded


class TokenCache:
    """`Authorization: vapid t=…, k=…` per push-service origin, signed once and reused until
    RIPPLE_VAPID_TOKEN_RENEW_SECONDS before it expires. Thread-safe (the sender's event
    loop and any thread may ask); one per worker process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}

    def header(self, keys: VapidKeys, origin: str) -> str:
        now = time.time()
        cache_key = (keys.public_key, origin)
        with self._lock:
            cached = self._tokens.get(cache_key)
            if cached is not None and cached[1] - now > settings.RIPPLE_VAPID_TOKEN_RENEW_SECONDS:
                return cached[0]
            expires = int(now) + settings.RIPPLE_VAPID_TOKEN_SECONDS
            claims = {"aud": origin, "exp": expires, "sub": keys.subject}
            header: str = keys.vapid.sign(claims)["Authorization"]
            self._tokens[cache_key] = (header, expires)
            return header


tokens = TokenCache()
