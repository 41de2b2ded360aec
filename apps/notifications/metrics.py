"""Process-wide counters of notifications stored, pushed and dropped, and gauges of open sockets.

Every worker process keeps its own numbers; `/metrics` exposes them for Prometheus, which
scrapes each worker and sums across them.
"""

import threading
from collections import Counter

from apps.common.prometheus import Metric, metric_name

# What each metric means, for the HELP lines of the exposition. Known counters are exposed
# at 0 before their first increment so a dashboard's rate() has a starting point.
COUNTERS = {
    "notifications_stored": "Notifications written to the database by this process.",
    "notifications_pushed": "Notifications handed to the channel layer by this process.",
    "notifications_push_failed": "Notifications whose push failed or timed out (still stored).",
    "notifications_push_dropped": "Deliveries the channel layer dropped: the channel was full.",
}
GAUGES = {
    "websocket_connections": "WebSocket connections open on this process.",
}

_lock = threading.Lock()
_counts: Counter[str] = Counter()
_gauges: Counter[str] = Counter()


def incr(name: str, amount: int = 1) -> None:
    with _lock:
        _counts[name] += amount


def snapshot() -> dict[str, int]:
    with _lock:
        return dict(_counts)


def counters() -> dict[str, int]:
    """Every known counter (0 when never incremented) plus any other incremented one."""
    with _lock:
        return {**dict.fromkeys(COUNTERS, 0), **_counts}


def gauge_add(name: str, delta: int) -> None:
    """Move a gauge up or down, e.g. +1 when a socket opens and -1 when it closes."""
    with _lock:
        _gauges[name] += delta


def gauges() -> dict[str, int]:
    """Every known gauge (0 when never moved) plus any other moved one."""
    with _lock:
        return {**dict.fromkeys(GAUGES, 0), **_gauges}


def prometheus_metrics() -> list[Metric]:
    """Every counter and gauge of this process, named `ripple_*` for the exposition."""
    samples = [
        Metric(
            name=metric_name(name, prefix="ripple_", counter=True),
            kind="counter",
            help=COUNTERS.get(name, name.replace("_", " ")),
            value=value,
        )
        for name, value in counters().items()
    ]
    samples += [
        Metric(
            name=metric_name(name, prefix="ripple_"),
            kind="gauge",
            help=GAUGES.get(name, name.replace("_", " ")),
            value=value,
        )
        for name, value in gauges().items()
    ]
    return samples
