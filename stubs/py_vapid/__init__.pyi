from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

class Vapid02:
    private_key: ec.EllipticCurvePrivateKey
    def __init__(
        self, private_key: ec.EllipticCurvePrivateKey | None = ..., conf: Any = ...
    ) -> None: ...
    def sign(self, claims: dict[str, Any], crypto_key: str | None = ...) -> dict[str, str]: ...

Vapid = Vapid02
