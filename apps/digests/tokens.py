"""Signed one-click unsubscribe tokens: the signature is the only authority they carry."""

from django.core import signing

# A salt of its own, so no other signed value of the site can pass for an unsubscribe.
SALT = "ripple.digests.unsubscribe"


def unsubscribe_token(*, user_id: int) -> str:
    return signing.dumps({"u": user_id}, salt=SALT)


def unsubscribe_user_id(*, token: str) -> int | None:
    """The user a token unsubscribes, or None for a forged or mangled one.

    No expiry: a digest from months ago must still unsubscribe (RFC 8058 asks that the
    link keep working), and the worst a leaked link does is turn the digest off."""
    try:
        value = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    user_id = value.get("u") if isinstance(value, dict) else None
    return user_id if isinstance(user_id, int) else None
