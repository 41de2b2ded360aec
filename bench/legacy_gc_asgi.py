"""`project.asgi` with an older garbage-collection setting, for comparisons in the same run.

`RIPPLE_BENCH_GC=legacy`: the settings before project/gc_policy.py (freeze at start-up,
full collections a hundred times rarer than CPython's default); `defaults`: CPython's
default thresholds after the start-up freeze, with no sweeps. Either way the policy's
sweeps never start: this `application` does not attach them to the loop.
"""

import asyncio
import gc
import os

from asgiref.typing import ASGIReceiveCallable, ASGISendCallable, Scope

from apps.notifications.realtime.push import serve_from_loop
from project.asgi import router
from project.gc_policy import THRESHOLDS

LEGACY_THRESHOLDS = (700, 10, 1000)

# Importing project.asgi started the watch on CPython's own full collections
# (RIPPLE_GC_SLOW_MS), so these workers log theirs as the policy's do.
gc.set_threshold(*(LEGACY_THRESHOLDS if os.environ["RIPPLE_BENCH_GC"] == "legacy" else THRESHOLDS))


async def application(scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
    serve_from_loop(asyncio.get_running_loop())
    await router(scope, receive, send)
