from collections.abc import Mapping
from typing import Any

import requests

class WebPushException(Exception):
    response: requests.Response | None

class WebPusher:
    def __init__(
        self,
        subscription_info: Mapping[str, Any],
        requests_session: requests.Session | None = ...,
        aiohttp_session: Any = ...,
        verbose: bool = ...,
    ) -> None: ...
    def encode(self, data: bytes, content_encoding: str = ...) -> Mapping[str, bytes]: ...

def webpush(
    subscription_info: Mapping[str, Any],
    data: str | bytes | None = ...,
    vapid_private_key: Any = ...,
    vapid_claims: dict[str, Any] | None = ...,
    content_encoding: str = ...,
    curl: bool = ...,
    timeout: float | None = ...,
    ttl: int = ...,
    verbose: bool = ...,
    headers: dict[str, str] | None = ...,
    requests_session: requests.Session | None = ...,
) -> requests.Response: ...
