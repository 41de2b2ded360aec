"""Prometheus text exposition format (version 0.0.4), written by hand: no client library.

https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
"""

import math
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

_INVALID_NAME_CHARS = re.compile(r"[^a-zA-Z0-9_:]")
# Module import is close enough to process start; Prometheus uses it to spot restarts.
_STARTED_AT = time.time()


@dataclass(frozen=True)
class Metric:
    """One unlabelled sample with its metadata."""

    name: str
    kind: Literal["counter", "gauge"]
    help: str
    value: float


def metric_name(raw: str, *, prefix: str = "", counter: bool = False) -> str:
    """A valid metric name; counters end in `_total`, as the naming conventions ask."""
    name = _INVALID_NAME_CHARS.sub("_", prefix + raw)
    if name[:1].isdigit():
        name = "_" + name
    if counter and not name.endswith("_total"):
        name += "_total"
    return name


def process_start_time() -> Metric:
    return Metric(
        name="process_start_time_seconds",
        kind="gauge",
        help="Start time of the process since the Unix epoch in seconds.",
        value=_STARTED_AT,
    )


def render(metrics: Iterable[Metric]) -> str:
    """Each metric as `# HELP`, `# TYPE` and one sample line; ends with a newline."""
    lines = []
    for metric in metrics:
        lines.append(f"# HELP {metric.name} {_escape_help(metric.help)}")
        lines.append(f"# TYPE {metric.name} {metric.kind}")
        lines.append(f"{metric.name} {_format_value(metric.value)}")
    return "\n".join(lines) + "\n" if lines else ""


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _format_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))
