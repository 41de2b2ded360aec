"""Web Push tasks leave the request: a thread of the web worker publishes or runs them.

The caller is a request's commit, so whatever it did there the response would wait for.
With a broker, that is the publish: a few milliseconds, but up to the broker timeouts
when Redis is slow or hangs. Without one (CELERY_TASK_ALWAYS_EAGER, the embedded `make
run`), a published task would run in the caller: the response would wait for every push
service. Instead one daemon thread per process publishes (or runs) them, one after
another and so in order, from a queue of at most RIPPLE_WEBPUSH_BACKGROUND_QUEUE tasks.
When it is full (a broker or a push service that hangs, a burst of posts) the new task
is dropped, logged and counted: the notifications are stored and the inbox has them. A
process that exits loses what is queued, as it would lose pushes in flight.
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
    """Publish `task(*args)` to the broker (run it, without one) on this process's Web
    Push thread, soon; never blocks."""
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
            if task.app.conf.task_always_eager:
                # Here: the task's own follow-ups (chunks, retries) run here too.
                result = task.apply(args)
                if result.failed():
                    logger.error("Web Push task %s failed:\n%s", task.name, result.traceback)
            else:
                publish(task, args)
        except Exception:
            logger.exception("Web Push task %s failed", task.name)
        finally:
            # Back to the pool (or closed) between tasks, as a request's connection is.
            connections.close_all()
            jobs.task_done()


def publish(task: Any, args: tuple[Any, ...]) -> None:
    """Send the task to the broker, bounded by the broker timeouts; a failure costs the
    pushes, logged and counted, never the caller."""
    try:
        task.apply_async(args)
    except Exception as error:
        metrics.incr("webpush_enqueue_failed")
        logger.warning("Web Push not enqueued: %s: %s", type(error).__name__, error)
