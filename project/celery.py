"""The Celery application: the background worker that sends Web Push and email digests.

`make worker` (or the compose `worker` service) runs it against the Redis broker named by
CELERY_BROKER_URL, by default the first REDIS_URL. Without a broker (the embedded `make run`,
the test suite) tasks run in the calling process: they are only ever enqueued from
`transaction.on_commit`, so they still run after the commit, and on a thread of their own
rather than the request's (apps/notifications/webpush/background.py) outside the tests.
"""

import os
from typing import Any

from celery import Celery
from celery.schedules import crontab
from celery.signals import task_postrun, worker_ready

from project import worker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings.prod")
# First, while nothing has imported prometheus_client (project/worker.py).
worker.prepare_metrics_dir()

app = Celery("ripple")
# Every CELERY_* setting in project/settings/base.py, lower-cased without the prefix.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["apps.notifications.webpush", "apps.digests"])
# `make beat` (one per deployment; a second one sends nothing twice, only wasted work).
app.conf.beat_schedule = {
    "digests-round": {"task": "digests.round", "schedule": crontab(minute=0)},
}


# Health and metrics of the worker (project/worker.py): the counters in every process that
# runs tasks, the HTTP port in the main process.
@task_postrun.connect
def _count_task(sender: Any = None, state: str | None = None, **kwargs: Any) -> None:
    if worker.metrics_port() and sender is not None:
        worker.count_task(sender.name, state or "unknown")


@worker_ready.connect
def _serve_metrics(**kwargs: Any) -> None:
    worker.serve(_check_broker)


def _check_broker(timeout: float) -> None:
    """Open a new connection to the broker and talk to it; raises when it cannot."""
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=timeout)
        client = getattr(connection.default_channel, "client", None)
        if client is not None:
            client.ping()  # Redis: a round trip, not only a socket
