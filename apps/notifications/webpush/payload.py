"""What a push carries: the notification's frame, as the WebSocket sends it, under 4 KB.

The service worker builds the title from the frame with the same function the toasts use
(static/ripple/notifications.js), so a push reads like the toast. Push services accept
4096 bytes of encrypted body; aes128gcm adds 103 (header, tag, padding delimiter), so the
plaintext stays under MAX_PLAINTEXT by shortening the texts it quotes, never its ids.
"""

import hashlib
import json
from typing import Any

from .keys import b64url

MAX_PLAINTEXT = 3800
# The keys whose string values are quoted text and may be shortened.
TEXT_KEYS = frozenset({"content", "text", "excerpt"})
ELLIPSIS = "…"


def notification_payload(*, recipient_id: int, frame: dict[str, Any]) -> bytes:
    return _fit({"kind": "notification", "recipient_id": recipient_id, "notification": frame})


def removal_payload(*, ids: list[int]) -> bytes:
    """Close these notifications where they are shown. The ids are never cut: a very long
    list is the caller's to split (see `removal_payloads`)."""
    return json.dumps({"kind": "removed", "ids": ids}, separators=(",", ":")).encode()


def removal_payloads(*, ids: list[int]) -> list[bytes]:
    """One or more removal payloads, each under the size limit, that name every id."""
    # An id takes at most 20 digits and a comma.
    per_payload = max(1, (MAX_PLAINTEXT - 40) // 21)
    return [removal_payload(ids=ids[i : i + per_payload]) for i in range(0, len(ids), per_payload)]


def topic_for(group_key: str) -> str:
    """RFC 8030 Topic: at most 32 characters of the base64url alphabet. A newer push with the
    same topic replaces one the push service still holds, so a burst collapses there."""
    return b64url(hashlib.sha256(group_key.encode()).digest()[:24])


def _fit(message: dict[str, Any]) -> bytes:
    encoded = _dump(message)
    limit = 1000
    while len(encoded) > MAX_PLAINTEXT and limit >= 1:
        message = _shorten(message, limit)
        encoded = _dump(message)
        limit //= 2
    return encoded


def _shorten(value: Any, limit: int, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {k: _shorten(v, limit, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_shorten(item, limit, key) for item in value]
    if isinstance(value, str) and key in TEXT_KEYS and len(value) > limit:
        return value[: max(0, limit - 1)] + ELLIPSIS
    return value


def _dump(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()
