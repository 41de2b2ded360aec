"""WebSocket routes collected from the apps."""

from typing import TYPE_CHECKING, cast

from apps.notifications.routing import websocket_urlpatterns as notification_routes

if TYPE_CHECKING:  # exists only for type checkers
    from channels.routing import URLRouter, _ExtendedURLPattern

# The apps build their routes with django.urls.path(), which returns plain URLPatterns;
# Channels' stubs want their own subtype, whose callback is an ASGI app, as these are.
websocket_urlpatterns = cast("list[_ExtendedURLPattern | URLRouter]", [*notification_routes])
