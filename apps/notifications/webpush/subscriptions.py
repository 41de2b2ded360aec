"""Browsers' push subscriptions: validate, store, list, delete."""

import ipaddress
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from apps.accounts.models import User
from apps.common.exceptions import ApplicationError, NotFoundError

from ..models import PushSubscription
from .keys import b64url_decode

P256DH_BYTES = 65  # an uncompressed P-256 point: 0x04, then x and y
AUTH_BYTES = 16
NOT_SUBSCRIBED = "This browser is not subscribed."


def push_subscription_validate(*, endpoint: str, p256dh: str, auth: str) -> None:
    """Raise ApplicationError naming the field (`endpoint`, `keys.p256dh`, `keys.auth`)."""
    parts = urlsplit(endpoint)
    allowed = {"https", "http"} if settings.RIPPLE_WEBPUSH_ALLOW_HTTP else {"https"}
    if parts.scheme not in allowed or not parts.hostname:
        raise ApplicationError("Enter an https URL.", field="endpoint")
    if not settings.RIPPLE_WEBPUSH_ALLOW_HTTP and _local_host(parts.hostname):
        # The worker posts to this URL: never let it reach the deployment's own network.
        raise ApplicationError("Enter the URL of a public push service.", field="endpoint")
    point = _check_key(p256dh, "keys.p256dh", P256DH_BYTES, first_byte=4)
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        # 65 bytes that are not a point on P-256: no push could ever be encrypted to it.
        raise ApplicationError("Not a P-256 public key.", field="keys.p256dh") from None
    _check_key(auth, "keys.auth", AUTH_BYTES)


def _local_host(host: str) -> bool:
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." not in host
    return not address.is_global


def _check_key(value: str, field: str, size: int, *, first_byte: int | None = None) -> bytes:
    try:
        raw = b64url_decode(value)
    except ValueError:
        raw = b""
    if len(raw) != size or (first_byte is not None and raw[0] != first_byte):
        raise ApplicationError(
            f"Expected {size} bytes in base64url, as the browser's PushSubscription gives.",
            field=field,
        )
    return raw


@transaction.atomic
def push_subscription_save(
    *, user: User, endpoint: str, p256dh: str, auth: str
) -> tuple[PushSubscription, bool]:
    """Store this browser's subscription for the user; returns it and whether it is new.

    The endpoint identifies the browser: subscribing again replaces its keys, and a browser
    that changes hands (another login) moves to the new user. Past
    RIPPLE_WEBPUSH_MAX_SUBSCRIPTIONS the user's oldest subscription is deleted.
    """
    push_subscription_validate(endpoint=endpoint, p256dh=p256dh, auth=auth)
    subscription, created = PushSubscription.objects.update_or_create(
        endpoint=endpoint, defaults={"user": user, "p256dh": p256dh, "auth": auth}
    )
    keep = settings.RIPPLE_WEBPUSH_MAX_SUBSCRIPTIONS
    stale = PushSubscription.objects.filter(user=user).order_by("-created_at", "-id")[keep:]
    PushSubscription.objects.filter(id__in=list(stale.values_list("id", flat=True))).delete()
    return subscription, created


@transaction.atomic
def push_subscription_delete(*, user: User, endpoint: str) -> None:
    deleted, _ = PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()
    if not deleted:
        raise NotFoundError(NOT_SUBSCRIBED, field="endpoint", code="not_found")


def push_subscription_list(*, user: User) -> QuerySet[PushSubscription]:
    return PushSubscription.objects.filter(user=user).order_by("-created_at", "-id")
