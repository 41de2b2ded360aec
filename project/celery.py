"""The Celery application: the background worker that sends Web Push and email digests.

`make worker` (or the compose `worker` service) runs it against the Redis broker named by
CELERY_BROKER_URL, by default the first REDIS_URL. Without a broker (the embedded `make run`,
the test suite) tasks run in the calling process: they are only ever enqueued from
`transaction.on_commit`, so they still run after the commit.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings.prod")

app = Celery("ripple")
# Every CELERY_* setting in project/settings/base.py, lower-cased without the prefix.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["apps.notifications.webpush", "apps.digests"])
# `make beat` (one per deployment; a second one sends nothing twice, only wasted work).
app.conf.beat_schedule = {
    "digests-round": {"task": "digests.round", "schedule": crontab(minute=0)},
}
