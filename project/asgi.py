"""ASGI entry point: Django for HTTP, Channels for WebSocket."""

import asyncio
import gc
import os

from asgiref.typing import ASGIReceiveCallable, ASGISendCallable, Scope
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings.prod")

# Django must be set up before anything imports models, so this comes first.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from apps.accounts.ws_auth import WebSocketAuthStack  # noqa: E402
from apps.notifications.realtime.push import after_response, serve_from_loop  # noqa: E402
from project.routing import websocket_urlpatterns  # noqa: E402

# A worker holding thousands of sockets tracks about a million objects; the default
# thresholds then run full collections that stall the event loop for seconds. Everything
# loaded so far lives for the whole process: freeze it out of collection, and run full
# collections a hundred times less often.
gc.freeze()
gc.set_threshold(700, 10, 1000)

router = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": WebSocketAuthStack(URLRouter(websocket_urlpatterns)),
    }
)


async def application(scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
    # Pushes made by a request are sent on this loop once its response has gone out.
    serve_from_loop(asyncio.get_running_loop())
    if scope["type"] != "http":
        await router(scope, receive, send)
        return
    async with after_response():
        await router(scope, receive, send)
