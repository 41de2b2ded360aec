"""Counters of notifications stored, pushed and dropped, and the gauge of open sockets.

prometheus_client metrics in its default registry, exposed by `/metrics` (apps.common), which
finds them there: this module is imported when the app is ready. Under several workers
(`PROMETHEUS_MULTIPROC_DIR` set) every process writes its values to that directory and a
scrape of any worker sums them; `counters()` and `gauges()` are always this process's.
"""

import re
import threading

from prometheus_client import Counter, Gauge
from prometheus_client.metrics import MetricWrapperBase

from apps.common import prometheus

PREFIX = "ripple_"

# What each metric means, for the HELP lines of the exposition. Known counters exist from
# import, at 0, so a dashboard's rate() has a starting point.
COUNTERS = {
    "notifications_stored": "Notifications written to the database.",
    "notifications_pushed": "Notifications handed to the channel layer.",
    "notifications_push_failed": "Notifications whose push failed or timed out (still stored).",
    "notifications_push_dropped": "Deliveries the channel layer dropped: the channel was full.",
    "webpush_sent": "Web Pushes a push service accepted.",
    "webpush_gone": "Web Pushes answered 404/410: the subscription was deleted.",
    "webpush_retry": "Web Pushes answered 429/5xx or not at all: tried again later.",
    "webpush_failed": "Web Pushes refused for good (another 4xx).",
    "webpush_given_up": "Web Pushes still failing after the last attempt.",
    "webpush_enqueue_failed": "Web Push tasks not enqueued: the broker was down (still stored).",
    "webpush_background_dropped": (
        "Web Push tasks dropped without a broker: the background queue was full (still stored)."
    ),
}
GAUGES = {
    "websocket_connections": "WebSocket connections open.",
}

_INVALID_NAME_CHARS = re.compile(r"[^a-zA-Z0-9_:]")

_lock = threading.Lock()
_counters: dict[str, Counter] = {}
_gauges: dict[str, Gauge] = {}


def incr(name: str, amount: int = 1) -> None:
    _counter(name).inc(amount)


def snapshot() -> dict[str, float]:
    """This process's counters; the same as `counters()`."""
    return counters()


def counters() -> dict[str, float]:
    """This process's value of every counter: the known ones and any other incremented."""
    with _lock:
        metrics = dict(_counters)
    return {name: _value(metric) for name, metric in metrics.items()}


def gauge_add(name: str, delta: int) -> None:
    """Move a gauge up or down, e.g. +1 when a socket opens and -1 when it closes."""
    _gauge(name).inc(delta)


def gauges() -> dict[str, float]:
    """This process's value of every gauge: the known ones and any other moved."""
    with _lock:
        metrics = dict(_gauges)
    return {name: _value(metric) for name, metric in metrics.items()}


def _counter(name: str) -> Counter:
    with _lock:
        metric = _counters.get(name)
        if metric is None:
            metric = _counters[name] = Counter(_metric_name(name), _help(COUNTERS, name))
        return metric


def _gauge(name: str) -> Gauge:
    with _lock:
        metric = _gauges.get(name)
        if metric is None:
            # livesum: the total over the workers alive, so a crashed worker's sockets,
            # which are gone with it, stop counting (apps.common.prometheus marks it dead).
            metric = _gauges[name] = Gauge(
                _metric_name(name), _help(GAUGES, name), multiprocess_mode="livesum"
            )
        return metric


def _metric_name(name: str) -> str:
    # prometheus_client adds `_total` to counters' samples itself.
    return PREFIX + _INVALID_NAME_CHARS.sub("_", name)


def _help(known: dict[str, str], name: str) -> str:
    return known.get(name, name.replace("_", " "))


def _value(metric: MetricWrapperBase) -> float:
    (family,) = metric.collect()
    return family.samples[0].value


def _define_known_metrics() -> None:
    directory = prometheus.multiprocess_dir()
    if directory is not None:
        prometheus.mark_dead_processes(directory, including_this_one=True)
    for name in COUNTERS:
        _counter(name)
    for name in GAUGES:
        _gauge(name)


_define_known_metrics()
