"""WebSocket authentication: an `Authorization: Token` header, or the session cookie.

Browsers cannot set headers on a WebSocket, so a header-authenticated socket is not open
to cross-site hijacking and skips the Origin check. Cookie-authenticated sockets must come
from an allowed Origin. A bad token is refused outright rather than falling back to the
cookie, so a client always knows which credential was used.
"""

from typing import TYPE_CHECKING, Any

from asgiref.typing import ASGIReceiveCallable, ASGISendCallable
from channels.auth import AuthMiddlewareStack
from channels.security.websocket import AllowedHostsOriginValidator, WebsocketDenier
from django.db import DEFAULT_DB_ALIAS, connection
from rest_framework.authtoken.models import Token

from apps.common.dbthreads import database_reader

from .models import User

if TYPE_CHECKING:  # the stubs' name for a Channels scope; it exists only for type checkers
    from channels.consumer import _ChannelScope

ASGIApp = Any


def _token_key(scope: "_ChannelScope") -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, key = value.decode("latin1").partition(" ")
            return key.strip() if scheme.lower() == "token" else ""
    return None


# One fixed statement: compiling the equivalent queryset cost more CPU than running it, and
# a reconnect storm runs a thousand at once. Its columns are the model's fields in their
# order, so on PostgreSQL, which returns every one of them as the model holds it, the row
# builds the user directly (`from_db`) without a raw queryset's column mapping. Other
# backends convert some values (SQLite's datetimes), which the raw queryset does.
_USER_FIELDS = [field.attname for field in User._meta.concrete_fields]
_USER_FOR_TOKEN = (
    "SELECT "
    + ", ".join(f'u."{field.column}"' for field in User._meta.concrete_fields)
    + f" FROM {User._meta.db_table} u "
    # A scalar subquery, not a join: two index probes whatever the planner believes of the
    # tables' sizes (see the replay query in notifications/selectors.py).
    f"WHERE u.id = (SELECT t.user_id FROM {Token._meta.db_table} t WHERE t.key = %s)"
)


@database_reader
def _user_for_token(key: str) -> User | None:
    user: User | None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_USER_FOR_TOKEN, [key])
            row = cursor.fetchone()
        user = None if row is None else User.from_db(DEFAULT_DB_ALIAS, _USER_FIELDS, row)
    else:
        user = next(iter(User.objects.raw(_USER_FOR_TOKEN, [key])), None)
    if user is None or not user.is_active or user.is_suspended:
        return None
    return user


class WebSocketAuthStack:
    def __init__(self, inner: ASGIApp) -> None:
        self.inner = inner
        self.cookie_app = AllowedHostsOriginValidator(AuthMiddlewareStack(inner))

    async def __call__(
        self, scope: "_ChannelScope", receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        key = _token_key(scope)
        if key is None:
            await self.cookie_app(scope, receive, send)
            return
        user = await _user_for_token(key) if key else None
        if user is None:
            await WebsocketDenier()(scope, receive, send)
            return
        await self.inner({**scope, "user": user, "auth": "token"}, receive, send)
