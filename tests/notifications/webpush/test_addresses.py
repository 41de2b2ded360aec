"""The sender never connects to a push service on a private address, however it is named."""

import asyncio

import pytest

from apps.notifications.webpush.addresses import NotPublic, PublicResolver, is_public
from apps.notifications.webpush.sender import Message, Outcome, Target, send_all
from tests.notifications.webpush.pushservice import configured_keys


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("169.254.169.254", False),  # cloud metadata
        ("::1", False),
        ("fe80::1%eth0", False),
        ("::ffff:127.0.0.1", False),
        ("not an address", False),
    ],
)
def test_only_globally_routable_addresses_are_public(address, public):
    assert is_public(address) is public


@pytest.mark.parametrize("host", ["localhost", "0x7f.1", "2130706433"])
def test_a_name_or_spelling_of_a_private_address_resolves_to_nothing(host):
    async def resolve() -> None:
        resolver = PublicResolver()
        try:
            await resolver.resolve(host, 443)
        finally:
            await resolver.close()

    with pytest.raises(NotPublic):
        asyncio.run(resolve())


def test_an_endpoint_whose_name_resolves_to_loopback_is_gone_and_never_contacted(
    push_service, settings
):
    keys = push_service.subscriber("inside").subscription()
    # Subscribing refuses 127.0.0.1 written out; "localhost" names the same machine.
    endpoint = keys["endpoint"].replace("127.0.0.1", "localhost")
    message = Message(
        Target(1, endpoint, keys["keys"]["p256dh"], keys["keys"]["auth"]),
        b'{"kind":"notification"}',
        ttl=60,
        urgency="normal",
    )
    settings.RIPPLE_WEBPUSH_ALLOW_HTTP = False

    [result] = send_all([message], configured_keys())

    assert result.outcome is Outcome.GONE
    assert push_service.arrivals == []
    assert push_service.refused == []

    # Development allows loopback: the same message then reaches the service.
    settings.RIPPLE_WEBPUSH_ALLOW_HTTP = True
    send_all([message], configured_keys())
    assert len(push_service.arrivals) + len(push_service.refused) == 1
