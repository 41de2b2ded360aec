"""Web Push tasks without a broker (the embedded `make run`): run off the request.

With CELERY_TASK_ALWAYS_EAGER a published task would run in the caller, and the caller is
a request's commit: the response would wait for every push service. Instead one daemon
thread per process runs them, one after another, from a queue of at most
RIPPLE_WEBPUSH_BACKGROUND_QUEUE tasks. When it is full (a push service that hangs, a burst
of posts) the new task is dropped, logged and counted: the notifications are stored and
the inbox has them. A process that exits loses what is queued, as it would lose pushes in
flight; a deployment runs the broker and the worker for pushes that must survive.
"""

import logging
import os
import queue
import threading
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections

from .. import metrics

logger = logging.getLogger(__name__)

Job = tuple[Any, tuple[Any, ...]]  # a Celery task and its arguments

_jobs: tuple[int, "queue.Queue[Job]"] | None = None
_lock = threading.Lock()


def run_later(task: Any, args: tuple[Any, ...]) -> None:
    """Run `task(*args)` on this process's Web Push thread, soon; never blocks."""
    try:
        _queue().put_nowait((task, args))
    except queue.Full:
        metrics.incr("webpush_background_dropped")
        logger.warning(
            "Web Push task %s dropped: %d already waiting for the background thread",
            task.name,
            settings.RIPPLE_WEBPUSH_BACKGROUND_QUEUE,
        )


def _queue() -> "queue.Queue[Job]":
    global _jobs
    with _lock:
        # A forked child does not inherit the thread: it starts its own.
        if _jobs is None or _jobs[0] != os.getpid():
            jobs: queue.Queue[Job] = queue.Queue(settings.RIPPLE_WEBPUSH_BACKGROUND_QUEUE)
            threading.Thread(target=_work, args=(jobs,), name="webpush-eager", daemon=True).start()
            _jobs = (os.getpid(), jobs)
        return _jobs[1]


def _work(jobs: "queue.Queue[Job]") -> None:
    while True:
        task, args = jobs.get()
        close_old_connections()
        try:
            # Eagerly, here: the task's own follow-ups (chunks, retries) run here too.
            result = task.apply(args)
            if result.failed():
                logger.error("Web Push task %s failed:\n%s", task.name, result.traceback)
        except Exception:
            logger.exception("Web Push task %s failed", task.name)
        finally:
            # Back to the pool (or closed) between tasks, as a request's connection is.
            connections.close_all()
            jobs.task_done()
