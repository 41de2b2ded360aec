"""Running the chunks of a large fan-out after its first chunk commits.

There is no background worker yet, so each process runs them itself: on one thread of its
own (RIPPLE_FANOUT_BACKGROUND), posts one after another and each post's chunks in order,
started once the request that posted has answered (after the first chunk) and handed the
first chunk's pushes on. Each chunk is `post_fanout_continue`, which a task queue can run
instead: it is idempotent and keeps its progress in the database (`PostFanout`), so a
process that stops mid-fan-out leaves a row that `manage.py resume_fanouts` finishes.
"""

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections, connection

from ..models import PostFanout
from ..realtime.push import after_this_response

logger = logging.getLogger(__name__)

# Stores the next chunk of a post's fan-out; returns whether another remains
# (`fanout.post_fanout_continue`, passed in: that module schedules through this one).
Step = Callable[..., bool]

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def schedule(*, post_id: int, step: Step) -> None:
    """Run the remaining chunks of this post: on the fan-out thread, or here and now."""
    if not settings.RIPPLE_FANOUT_BACKGROUND:
        run(post_id=post_id, step=step)
        return
    # Once the POST has answered and handed its pushes on: the chunks' work would
    # otherwise compete with the response and the online friends' frames for the CPU.
    after_this_response(lambda: _fanout_executor().submit(_run_in_thread, post_id, step))


def run(*, post_id: int, step: Step) -> None:
    """Store every remaining chunk of this post, in order."""
    while step(post_id=post_id):
        pass


def resume_all(*, step: Step) -> int:
    """Finish every fan-out left unfinished (by a stopped process); returns how many."""
    post_ids = list(PostFanout.objects.order_by("post_id").values_list("post_id", flat=True))
    for post_id in post_ids:
        run(post_id=post_id, step=step)
    return len(post_ids)


def _fanout_executor() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            # One thread: fan-outs of one process never compete with each other for the
            # database, and a post's chunks cannot overtake the previous post's.
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ripple-fanout")
        return _executor


def _run_in_thread(post_id: int, step: Step) -> None:
    close_old_connections()
    try:
        run(post_id=post_id, step=step)
    except Exception:
        # The progress row stays, and `manage.py resume_fanouts` finishes the fan-out.
        logger.exception("fan-out of post %s stopped", post_id)
    finally:
        connection.close()
