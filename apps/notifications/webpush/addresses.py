"""Where the worker may connect: push services on the public internet only.

A subscription names the URL the worker posts to, so a hostile one could aim the worker at
the deployment's own network: `https://db.example.com/` whose name resolves to 10.0.0.5,
or an address spelt so that validation does not see one (`0x7f.1`). Subscribing refuses
private hosts it can recognise (subscriptions.py); this resolver closes the rest at
connection time, where the address is known: every address a name resolves to that is not
globally routable is dropped, and a name left with none fails the request with
`NotPublic`, which the sender treats as a subscription that can never be reached.

Tests and development (RIPPLE_WEBPUSH_ALLOW_HTTP) use a push service on loopback and skip it.
"""

import ipaddress
import socket

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult


class NotPublic(OSError):
    """The push service's name resolves to no public address."""


class PublicResolver(AbstractResolver):
    def __init__(self) -> None:
        self._resolver = aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._resolver.resolve(host, port, family)
        public = [entry for entry in found if is_public(entry["host"])]
        if not public:
            raise NotPublic(f"{host} resolves to no public address")
        return public

    async def close(self) -> None:
        await self._resolver.close()


def is_public(address: str) -> bool:
    try:
        # A scope id (fe80::1%eth0) is link-local whatever it names.
        return ipaddress.ip_address(address.split("%", 1)[0]).is_global
    except ValueError:
        return False
