"""ASGI entry point: Django for HTTP, Channels for WebSocket."""

import asyncio
import importlib
import os

from asgiref.typing import ASGIReceiveCallable, ASGISendCallable, Scope
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings.prod")

# Django must be set up before anything imports models, so this comes first.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from apps.accounts.ws_auth import WebSocketAuthStack  # noqa: E402
from apps.notifications.realtime.push import after_response, serve_from_loop  # noqa: E402
from project.gc_policy import policy as gc_policy  # noqa: E402
from project.routing import websocket_urlpatterns  # noqa: E402

router = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": WebSocketAuthStack(URLRouter(websocket_urlpatterns)),
    }
)


async def application(scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
    # Pushes made by a request are sent on this loop once its response has gone out.
    loop = asyncio.get_running_loop()
    serve_from_loop(loop)
    gc_policy.attach(loop)
    if scope["type"] != "http":
        await router(scope, receive, send)
        return
    with gc_policy.request():
        async with after_response():
            await router(scope, receive, send)


# The first request would import the URLconf (every view module, drf-spectacular) on the event
# loop, a stall of its own, and leave those objects to the sweeps instead of the freeze.
importlib.import_module(settings.ROOT_URLCONF)

# Last, so that what start-up built is frozen with the rest: full collections then run in
# small steps on the event loop, between requests (project/gc_policy.py).
gc_policy.slow_ms = settings.RIPPLE_GC_SLOW_MS
gc_policy.install()
