"""What `/metrics` serves: prometheus_client's text exposition of every registered metric.

Apps define their metrics with prometheus_client, in its default registry, when they are
imported. With `PROMETHEUS_MULTIPROC_DIR` set (docker/serve.sh sets it) every worker process
writes its values to files in that directory, and a scrape of any worker reads them all:
counters are summed over every process that ran since the directory was emptied, gauges
over the processes still alive. Without it (make run, tests) the default registry holds this
process's values and is served as is.
"""

import contextlib
import os
import re

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    REGISTRY,
    CollectorRegistry,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

# `generate_latest` writes the 0.0.4 text format; the library's CONTENT_TYPE_LATEST names 1.0.0.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

# The 0.0.4 text format has no field for a counter's creation time, so the library would add
# a `*_created` gauge per counter; multiprocess mode never has them. Leaving them out gives
# both modes the same series.
disable_created_metrics()

# prometheus_client names a live gauge's file `gauge_<mode>_<pid>.db`.
_LIVE_GAUGE_FILE = re.compile(r"gauge_live[a-z]+_(\d+)\.db")


def multiprocess_dir() -> str | None:
    """The shared metrics directory when several worker processes serve, else None."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def exposition() -> bytes:
    """Every registered metric in the text format, summed over the workers if multiprocess."""
    directory = multiprocess_dir()
    if directory is None:
        return generate_latest(REGISTRY)
    mark_dead_processes(directory)
    # A fresh registry per scrape, as prometheus_client asks: the default one holds only
    # this process's values (and its process_* metrics, which would not add up).
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)
    return generate_latest(registry)


def mark_dead_processes(directory: str, *, including_this_one: bool = False) -> None:
    """Drop the live gauges of worker processes that have exited.

    uvicorn's supervisor restarts a crashed worker but never tells prometheus_client, so
    without this a killed worker's open sockets would be counted forever. Counters are not
    touched: a dead worker's work stays in the totals. `including_this_one` is for a process
    that has not created any metric yet: files under its pid belong to an earlier process
    that had the same pid, whose gauges it would otherwise carry on from.
    """
    for entry in os.scandir(directory):
        match = _LIVE_GAUGE_FILE.fullmatch(entry.name)
        if match is None:
            continue
        pid = int(match[1])
        if (including_this_one and pid == os.getpid()) or not _running(pid):
            # Two workers scraped at once may both remove the same file.
            with contextlib.suppress(FileNotFoundError):
                mark_process_dead(pid, directory)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True
